"""Capacity model: pure functions from workloads to hardware (no prices, no I/O).

See docs/capacity.md. Every estimate carries an ``explain``/``bounds``/``assumptions`` record saying
which bound was binding and which efficiency figure (and its source) was used.
"""

from planner.capacity.calibration import Calibration, default_calibration
from planner.capacity.deployment import batch_plan, edge_plan, realtime_option, realtime_plan
from planner.capacity.hardware import Accelerator, get_accelerator, list_accelerators
from planner.capacity.llm import LLMReplicaEstimate, llm_replica
from planner.capacity.llm_sizing import size_llm_serving, smallest_tp, tp_per_token
from planner.capacity.models import DTYPES, ModelSpec, get_model, list_models
from planner.capacity.queueing import erlang_c, mdc_wait_quantile_s, mmc_wait_quantile_s
from planner.capacity.requirements import ComputeOption, Requirement, StorageNeed
from planner.capacity.serving import (
    DEFAULT_UTILIZATION_TARGET,
    replicas_for_latency_slo,
    replicas_for_profile,
    size_cpu_serving,
)
from planner.capacity.storage import gb_by_month, gb_months_billed, storage_need
from planner.capacity.training import TrainingEstimate, estimate_training, parse_tokens

__all__ = [
    "DEFAULT_UTILIZATION_TARGET", "DTYPES", "Accelerator", "Calibration", "ComputeOption", "LLMReplicaEstimate", "ModelSpec", "Requirement",
    "StorageNeed", "TrainingEstimate", "batch_plan", "default_calibration", "edge_plan", "erlang_c",
    "estimate_training", "gb_by_month", "gb_months_billed", "get_accelerator", "get_model", "list_accelerators", "list_models",
    "llm_replica", "mdc_wait_quantile_s", "mmc_wait_quantile_s", "parse_tokens", "realtime_option",
    "realtime_plan", "replicas_for_latency_slo", "replicas_for_profile", "size_cpu_serving",
    "size_llm_serving", "smallest_tp", "storage_need", "tp_per_token",
]
