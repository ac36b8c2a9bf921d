"""What spot capacity costs beyond its rate: work lost to interruptions, as extra billed hours.

A spot (preemptible) instance can be reclaimed at any time. A checkpointed job loses, per interruption,
the work since its last checkpoint (half the checkpoint interval on average) plus the time to get capacity
back and reload (``restart_minutes``). For synchronous multi-node training an interruption of any one
instance stops all of them, so the job's interruption rate is the instance rate x the instances in step.

    overhead = instances_in_step x interruptions_per_instance_hour x lost_hours_per_interruption
    billed hours on spot = hours x (1 + overhead)

Default interruption rates (fraction of instances interrupted in a month), a judgment call stated here
and in ``--explain``: 20 % for GPU and accelerator instances, 5 % for CPU instances. AWS's Spot Instance
Advisor and Azure's eviction-rate figures report interruption frequency in buckets (<5 %, 5-10 %, 10-15 %,
15-20 %, >20 % of instances a month); large GPU types are commonly in the top bucket, so 20 % is its lower
edge. Google publishes no rate for Spot VMs; the same defaults apply. Override per workload with
``spot_interruption_pct_per_month``, ``checkpoint_interval_minutes`` and ``restart_minutes``.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 730.0
DEFAULT_PCT_PER_MONTH = {"accelerator": 20.0, "cpu": 5.0}
DEFAULT_CHECKPOINT_INTERVAL_MINUTES = 30.0
DEFAULT_RESTART_MINUTES = 10.0
# a synchronous spot run this large gets a warning: every interruption stops every instance
LARGE_SPOT_RUN_INSTANCES = 16


@dataclass(frozen=True)
class SpotTerms:
    """A workload's interruption assumptions (None = the default for the hardware)."""

    pct_per_month: float | None = None
    checkpoint_interval_minutes: float = DEFAULT_CHECKPOINT_INTERVAL_MINUTES
    restart_minutes: float = DEFAULT_RESTART_MINUTES


@dataclass(frozen=True)
class SpotOverhead:
    pct_per_month: float  # instances interrupted per month, percent
    instances_in_step: int
    lost_minutes: float  # per interruption
    overhead: float  # fraction of extra hours
    expected_interruptions: float  # over the hours given

    def explain(self) -> dict[str, float | int | str]:
        return {
            "interruptions_pct_per_instance_month": self.pct_per_month,
            "instances_in_step": self.instances_in_step,
            "lost_minutes_per_interruption": round(self.lost_minutes, 2),
            "overhead_pct": round(self.overhead * 100, 3),
            "expected_interruptions": round(self.expected_interruptions, 2),
            "rule": "hours x (1 + instances in step x interruptions per instance-hour x lost hours per interruption)",
        }


def spot_overhead(terms: SpotTerms, *, accelerator: bool, instances_in_step: int, hours: float) -> SpotOverhead:
    """Extra fraction of hours a checkpointed job on spot pays for interruptions, over ``hours`` of running."""
    pct = terms.pct_per_month if terms.pct_per_month is not None else DEFAULT_PCT_PER_MONTH[
        "accelerator" if accelerator else "cpu"]
    per_instance_hour = pct / 100.0 / HOURS_PER_MONTH
    lost = terms.checkpoint_interval_minutes / 2.0 + terms.restart_minutes
    rate = per_instance_hour * max(1, instances_in_step)
    return SpotOverhead(pct, max(1, instances_in_step), lost, rate * lost / 60.0, rate * hours)
