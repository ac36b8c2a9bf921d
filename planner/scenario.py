"""Scenario files -> validated, typed models.

A scenario names the clouds, regions and purchase options to compare, a horizon, an optional budget,
fixed monthly costs, and workloads of three types: ``training``, ``serving`` and ``storage``
(``scenarios/example-all-fields.yaml`` shows every field with its default). Problems are reported as
one line: ``<file>: <field path> (line N): <what is wrong and how to fix it>``.
"""

from __future__ import annotations

import re
import types
import typing
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from planner.errors import InputError, quoted
from planner.yamlfile import load_yaml, path_text
from pricing.numbers import BOOL_HINT, finite_float, has_control_chars
from pricing.schema import PURCHASE_OPTIONS, STORAGE_CLASSES

CLOUDS = ("aws", "gcp", "azure")  # compared by default
# may be listed too; their prices come from an imported catalog (e.g. a SkyPilot lambda/vms.csv)
KNOWN_CLOUDS = (*CLOUDS, "lambda")
DEFAULT_REGIONS = {"aws": ["us-east-1"], "gcp": ["us-central1"], "azure": ["eastus"], "lambda": ["us-east-1"]}
HOURS_PER_MONTH = 730.0


# Upper bounds far beyond any real workload: they catch unit mistakes and keep the arithmetic finite.
MAX_QPS = 1e8
MAX_GB = 1e12  # a zettabyte (10^12 GB)
MAX_USD = 1e11
MAX_COUNT = 1e15


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _plain_values(cls, data: Any) -> Any:
        """Numbers that are numbers, text that is text, true/false only where a yes/no belongs.

        A refused value is replaced by a :class:`_Refused` carrying the reason, which then fails the field's
        own type check, so the error keeps the field's path and line.
        """
        if not isinstance(data, dict):
            return data
        fields = {(f.alias or n): (n, f) for n, f in cls.model_fields.items()}
        out = dict(data)
        for key, value in data.items():
            if key not in fields or key == "type":  # unknown keys are reported as such; type picks the model
                continue
            name, field = fields[key]
            try:
                out[key] = _check_value(value, field.annotation, free_text=name == "description")
            except ValueError as exc:
                out[key] = _Refused(str(exc))
        return out


class _Refused:
    """A value refused before validation; the reason is the message shown for its field."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return "<refused>"


_SCALAR_KINDS: dict[Any, str] = {bool: "bool", int: "int", float: "float", str: "text"}


def _kinds(ann: Any) -> set[str]:
    """The scalar kinds a field annotation takes: 'bool', 'int', 'float', 'text', 'list:<kinds>', 'other'."""
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _kinds(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_kinds(a) for a in typing.get_args(ann) if a is not type(None)))
    if origin is Literal:
        return {"text"}
    if origin is list:
        return {"list"}
    return {_SCALAR_KINDS.get(ann, "other")}


def _check_value(value: Any, ann: Any, *, free_text: bool = False) -> Any:
    """Refuse values YAML parses but no field means (see :mod:`pricing.numbers`); normalize -0.0 to 0."""
    if isinstance(value, (bytes, bytearray)):
        raise ValueError("binary data where a number or text belongs; write the value as plain text")  # noqa: TRY004
    kinds = _kinds(ann)
    if kinds == {"bool"}:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        return value
    if kinds & {"int", "float"} and not kinds & {"text", "other"}:
        if isinstance(value, bool):
            what = "a whole number" if kinds == {"int"} else "a number"
            raise ValueError(f"must be {what}, not {str(value).lower()} ({BOOL_HINT})")
        if isinstance(value, (int, float, str)) and not (isinstance(value, str) and not _NUMBER_TEXT.match(value)):
            return finite_float(value) if isinstance(value, (float, str)) else _int_in_range(value)
        return value
    if "text" in kinds and not kinds & {"int", "float", "bool"}:
        if isinstance(value, bool):
            raise ValueError(f"must be text, not {str(value).lower()} ({BOOL_HINT}; put quotes around it)")
        if isinstance(value, str) and has_control_chars(value, allow="\n\t" if free_text else ""):
            raise ValueError(f"{value!r} holds a control character (a line break, tab or escape); "
                             "write it on one line")
    if kinds == {"list"} and isinstance(value, list):
        item = typing.get_args(_unwrap_list(ann))[0] if typing.get_args(_unwrap_list(ann)) else Any
        out = []
        for v in value:
            try:
                out.append(_check_value(v, item))
            except ValueError as exc:
                out.append(_Refused(str(exc)))
        return out
    return value


# text meant as a number (YAML 1.1 reads 2e12 and 1e-9 as text); other text is left for the type check
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\.?[0-9]|nan|inf)", re.IGNORECASE)


def _int_in_range(value: int) -> int:
    finite_float(value)  # too large for any float: refused with its digit count
    return value


def _unwrap_list(ann: Any) -> Any:
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _unwrap_list(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        for a in typing.get_args(ann):
            if typing.get_origin(a) is list:
                return a
    return ann


def _check_names(values: list[str], valid: tuple[str, ...], what: str) -> list[str]:
    for v in values:
        if v not in valid:
            close = get_close_matches(v, valid, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"unknown {what} {v!r}; {hint}valid: {', '.join(valid)}")
    if len(set(values)) != len(values):
        raise ValueError(f"a {what} is listed twice")
    return values


class Compare(_Model):
    clouds: list[str] = Field(default_factory=lambda: list(CLOUDS), min_length=1)
    # regions per cloud; a cloud left out gets DEFAULT_REGIONS
    regions: dict[str, list[str]] = Field(default_factory=dict)
    purchase_options: list[str] = Field(default_factory=lambda: ["on_demand", "spot"], min_length=1)
    # single_region: every workload of a cloud in the one region that is cheapest overall;
    # per_workload: each workload in its own cheapest region.
    placement: Literal["single_region", "per_workload"] = "single_region"

    @field_validator("clouds")
    @classmethod
    def _clouds(cls, v: list[str]) -> list[str]:
        return _check_names(v, KNOWN_CLOUDS, "cloud")

    @field_validator("purchase_options")
    @classmethod
    def _options(cls, v: list[str]) -> list[str]:
        return _check_names(v, PURCHASE_OPTIONS, "purchase option")

    @field_validator("regions")
    @classmethod
    def _region_clouds(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        _check_names(list(v), KNOWN_CLOUDS, "cloud")
        for cloud, regs in v.items():
            if not regs:
                raise ValueError(f"no regions listed for {cloud}; list at least one or leave {cloud} out")
        return v

    def regions_for(self, cloud: str) -> list[str]:
        return self.regions.get(cloud) or DEFAULT_REGIONS[cloud]


class FixedCost(_Model):
    name: str
    usd_per_month: float = Field(ge=0, le=MAX_USD)


class Calibration(_Model):
    """Overrides of the capacity model's efficiency figures (defaults are per accelerator family)."""

    mfu: float | None = Field(default=None, gt=0, le=1)
    bandwidth_efficiency: float | None = Field(default=None, gt=0, le=1)
    flops_efficiency: float | None = Field(default=None, gt=0, le=1)
    step_overhead_ms: float | None = Field(default=None, ge=0, le=1e4)


class _Workload(_Model):
    name: str = Field(min_length=1)
    interruptible: bool = False  # may run on spot / preemptible capacity
    hours_per_month: float = Field(default=HOURS_PER_MONTH, gt=0, le=744)
    # spot interruptions (training and batch on spot; planner/interruptions.py): instances interrupted a month,
    # percent [20 for GPU instances, 5 for CPU]; work lost per interruption = half the checkpoint interval + restart
    spot_interruption_pct_per_month: float | None = Field(default=None, ge=0, le=1000)
    checkpoint_interval_minutes: float = Field(default=30.0, gt=0, le=10080)
    restart_minutes: float = Field(default=10.0, ge=0, le=10080)


class Training(_Workload):
    type: Literal["training"]
    schedule: Literal["monthly", "once"] = "monthly"  # monthly: every month; once: a one-off run
    accelerator: str | None = None  # canonical id, e.g. H100-SXM; required with gpu_hours
    gpu_hours: float | None = Field(default=None, gt=0, le=1e10)
    gpus: int | None = Field(default=None, gt=0, le=1_000_000)  # GPUs used at once (packed onto 8-GPU nodes)
    model: str | None = None  # preset name or path of a Hugging Face config.json
    tokens: float | None = Field(default=None, gt=0, le=1e16)  # training tokens (with model)
    dtype: Literal["bf16", "fp16", "fp8", "int8", "int4"] = "bf16"
    # restarts, evaluation, checkpointing: [1.0 with gpu_hours; the capacity model's default (1.1) with model+tokens]
    overhead_factor: float | None = Field(default=None, ge=1.0, le=10.0)
    calibration: Calibration | None = None
    interruptible: bool = True  # checkpointed training tolerates preemption

    @model_validator(mode="after")
    def _either(self) -> Training:
        if self.gpu_hours is None and (self.model is None or self.tokens is None):
            raise ValueError("give gpu_hours (with accelerator) or model and tokens")
        if self.gpu_hours is not None and self.model is not None:
            raise ValueError("give gpu_hours or model+tokens, not both")
        if self.accelerator is None:
            raise ValueError("accelerator is required (e.g. H100-SXM, A100-80GB, L4)")
        return self


class Replica(_Model):
    """A measured (load-tested) replica: its hardware and the throughput it sustains at the SLO."""

    # the instance type the profile was measured on (any cloud's name): sets the hardware below
    instance_type: str | None = None
    accelerator: str | None = None  # None = CPU serving
    gpus: int = Field(default=1, gt=0, le=64)
    vcpus: float | None = Field(default=None, gt=0, le=1024)  # CPU serving; with an accelerator: vCPUs per replica
    memory_gib: float | None = Field(default=None, gt=0, le=65536)
    requests_per_s: float | None = Field(default=None, ge=1e-4, le=MAX_QPS)  # sustained per replica at the SLO
    latency_ms: float | None = Field(default=None, ge=1e-3, le=3.6e6)  # per-request service time (queueing model)
    concurrency: int = Field(default=1, gt=0, le=100_000)  # requests one replica serves at once

    @model_validator(mode="after")
    def _check(self) -> Replica:
        if self.requests_per_s is None and self.latency_ms is None:
            raise ValueError("give requests_per_s (measured throughput) or latency_ms (service time)")
        if self.accelerator is None and self.vcpus is None and self.instance_type is None:
            raise ValueError("give instance_type (measured on), accelerator (GPU serving) or vcpus (CPU serving)")
        return self


class Serving(_Workload):
    type: Literal["serving"]
    style: Literal["real_time", "batch", "edge"] = "real_time"
    qps_mean: float | None = Field(default=None, gt=0, le=MAX_QPS)  # requests per second, average
    qps_peak: float | None = Field(default=None, gt=0, le=MAX_QPS)  # defaults to qps_mean
    qps_growth_pct_per_month: float = Field(default=0.0, gt=-100, le=1000)
    latency_p95_ms: float | None = Field(default=None, gt=0, le=3.6e6)  # SLO for queueing-based sizing
    # measured replica profile(s): one, or a list of alternatives on different hardware (the cheapest wins)
    replica: Replica | list[Replica] | None = None
    model: str | None = None  # LLM sizing from the model (preset or config.json)
    accelerators: list[str] | None = None  # candidates for model sizing; default: all known
    dtype: Literal["bf16", "fp16", "fp8", "int8", "int4"] = "bf16"
    input_tokens: int = Field(default=512, gt=0, le=10_000_000)
    output_tokens: int = Field(default=256, gt=0, le=10_000_000)
    ttft_p95_ms: float | None = Field(default=None, gt=0, le=3.6e6)
    tpot_ms: float | None = Field(default=None, gt=0, le=3.6e6)
    calibration: Calibration | None = None
    min_replicas: int = Field(default=1, ge=0, le=1_000_000)
    zones: int = Field(default=1, ge=1, le=100)  # replicas are spread over this many zones (at least one each)
    # diurnal traffic: qps_peak lasts this many hours a day; the rest of the day runs at the level that
    # keeps the daily mean (qps_mean), with fewer replicas. 24 = always sized for the peak.
    peak_hours_per_day: float = Field(default=24.0, gt=0, le=24)
    utilization_target: float = Field(default=0.7, gt=0, le=1)
    # batch style: a volume of work per run, runs per month, and a window to finish each run in
    requests_per_run: float | None = Field(default=None, gt=0, le=MAX_COUNT)
    runs_per_month: float = Field(default=30.0, gt=0, le=744)
    window_hours: float | None = Field(default=None, gt=0, le=744)
    # edge style: devices in the field (the cloud side is a separate training/serving workload)
    devices: int | None = Field(default=None, gt=0, le=1_000_000_000)
    device_unit_cost_usd: float | None = Field(default=None, ge=0, le=1e7)
    device_lifetime_months: int = Field(default=36, gt=0, le=240)
    device_usd_per_month: float = Field(default=0.0, ge=0, le=1e6)  # connectivity, management per device

    @model_validator(mode="after")
    def _check(self) -> Serving:
        if self.style == "edge":
            if self.devices is None or self.device_unit_cost_usd is None:
                raise ValueError("edge serving needs devices and device_unit_cost_usd")
            return self
        if self.style == "batch":
            if self.requests_per_run is None:
                raise ValueError("batch serving needs requests_per_run (work per run) and runs_per_month")
        elif self.qps_mean is None:
            raise ValueError("real-time serving needs qps_mean (and optionally qps_peak)")
        if self.qps_peak is not None and self.qps_mean is not None and self.qps_peak < self.qps_mean:
            raise ValueError(f"qps_peak ({self.qps_peak:g}) is below qps_mean ({self.qps_mean:g})")
        if (self.replica is None) == (self.model is None):
            raise ValueError("give either replica (measured throughput) or model (LLM sizing)")
        # the peak alone must not carry more requests a day than the daily mean allows
        if (self.peak_hours_per_day < 24 and self.qps_mean is not None and self.qps_peak is not None
                and self.qps_peak * self.peak_hours_per_day > self.qps_mean * 24 * (1 + 1e-9)):
            raise ValueError(
                f"qps_peak {self.qps_peak:g} for {self.peak_hours_per_day:g} h a day is more traffic than "
                f"qps_mean {self.qps_mean:g} over 24 h ({self.qps_peak * self.peak_hours_per_day:g} > "
                f"{self.qps_mean * 24:g} request-seconds per second); lower qps_peak or peak_hours_per_day, "
                "or raise qps_mean"
            )
        return self

    @field_validator("replica")
    @classmethod
    def _some_profile(cls, v: Replica | list[Replica] | None) -> Replica | list[Replica] | None:
        if isinstance(v, list) and not v:
            raise ValueError("an empty list of profiles; give at least one replica profile")
        return v

    @property
    def replicas(self) -> list[Replica]:
        if self.replica is None:
            return []
        return self.replica if isinstance(self.replica, list) else [self.replica]

    @property
    def peak_qps(self) -> float:
        return self.qps_peak or self.qps_mean or 0.0


class Storage(_Model):
    type: Literal["storage"]
    name: str = Field(min_length=1)
    gb: float = Field(gt=0, le=MAX_GB)  # stored at the start of month 1
    storage_class: Literal[STORAGE_CLASSES] = Field(default="object_standard", alias="class")  # type: ignore[valid-type]
    growth_gb_per_month: float = Field(default=0.0, ge=0, le=MAX_GB)
    growth_pct_per_month: float = Field(default=0.0, ge=0, le=1000)
    write_requests_per_month: float = Field(default=0.0, ge=0, le=MAX_COUNT)
    read_requests_per_month: float = Field(default=0.0, ge=0, le=MAX_COUNT)
    egress_gb_per_month: float = Field(default=0.0, ge=0, le=MAX_GB)  # to the internet


Workload = Annotated[Training | Serving | Storage, Field(discriminator="type")]


_YYYY_MM = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def _month_text(v: str) -> str:
    if not _YYYY_MM.match(v):
        raise ValueError(f"a month is written YYYY-MM, e.g. 2026-03; got {v!r}")
    return v


class Volume(_Model):
    """Work one workload did in one calendar month: what the report's unit costs divide by."""

    month: str  # YYYY-MM
    workload: str = Field(min_length=1)
    requests: float | None = Field(default=None, ge=0, le=MAX_COUNT)
    tokens: float | None = Field(default=None, ge=0, le=MAX_COUNT)
    training_runs: float | None = Field(default=None, ge=0, le=1e6)

    @field_validator("month")
    @classmethod
    def _month(cls, v: str) -> str:
        return _month_text(v)


class ActualsMapping(_Model):
    """How billed spend maps to the scenario's workloads (``planner report``)."""

    workload_tag: str = Field(default="workload", min_length=1)  # the resource tag that names the workload
    # tag values per workload, when they differ from the workload's name
    tag_values: dict[str, list[str]] = Field(default_factory=dict)
    volumes: list[Volume] = Field(default_factory=list)  # measured work per month (or planner report --volumes)


class Scenario(_Model):
    name: str = Field(min_length=1)
    description: str = ""
    horizon_months: int = Field(default=12, gt=0, le=120)
    budget_usd_per_month: float | None = Field(default=None, gt=0, le=MAX_USD)
    compare: Compare = Field(default_factory=Compare)
    fixed_costs: list[FixedCost] = Field(default_factory=list)
    # what-if price change per cloud: every list price of that cloud times this factor (0.8 = 20% lower)
    prices: dict[str, float] = Field(default_factory=dict)
    workloads: list[Workload] = Field(min_length=1)
    plan_start: str | None = None  # YYYY-MM: the calendar month of the plan's month 1 (planner report)
    actuals: ActualsMapping | None = None  # billed spend -> workloads (planner report)
    source_path: str | None = Field(default=None, exclude=True)

    @field_validator("plan_start")
    @classmethod
    def _plan_start(cls, v: str | None) -> str | None:
        return None if v is None else _month_text(v)

    @field_validator("prices")
    @classmethod
    def _price_factors(cls, v: dict[str, float]) -> dict[str, float]:
        _check_names(list(v), KNOWN_CLOUDS, "cloud")
        for cloud, f in v.items():
            if not 0 < f <= 100:
                raise ValueError(f"price factor for {cloud} must be above 0 and at most 100 (1 = list price, "
                                 f"0.8 = 20% lower), got {f:g}")
        return v

    @model_validator(mode="after")
    def _unique(self) -> Scenario:
        from collections import Counter

        dup = [n for n, k in Counter(w.name for w in self.workloads).items() if k > 1]
        if dup:
            raise ValueError(f"workload names must be unique; {', '.join(quoted(n) for n in sorted(dup))} repeated")
        if self.actuals is not None:
            names = [w.name for w in self.workloads]
            for what, given in (("actuals.tag_values", list(self.actuals.tag_values)),
                                ("actuals.volumes", [v.workload for v in self.actuals.volumes])):
                for n in given:
                    if n not in names:
                        close = get_close_matches(n, names, n=1)
                        hint = f"did you mean {close[0]!r}? " if close else ""
                        raise ValueError(f"{what} names workload {n!r}, which the scenario does not have; {hint}"
                                         f"workloads: {', '.join(names)}")
        return self

    def workload(self, name: str) -> Training | Serving | Storage:
        for w in self.workloads:
            if w.name == name:
                return w
        from planner.errors import UnknownNameError, suggest

        raise UnknownNameError(suggest(name, [w.name for w in self.workloads], what="workload"), field="--workload")


# ---------------------------------------------------------------------------------------------
_TAGS = {"training", "serving", "storage"}
_MODELS: dict[str, type[BaseModel]] = {"training": Training, "serving": Serving, "storage": Storage}


def _is_branch(p: Any) -> bool:
    """A union-member label pydantic puts in error paths, e.g. ``list[function-after[_check(), Replica]]``."""
    return isinstance(p, str) and "[" in p and p.endswith("]")


def _branch_matches(loc: tuple[Any, ...], data: Any) -> bool:
    """Keep only the errors of the union member that matches the input's shape (mapping vs list)."""
    node = data
    for p in loc:
        if _is_branch(p):
            if p.startswith("list["):
                return isinstance(node, list)
            return not isinstance(node, list)
        if p in _TAGS and isinstance(node, dict) and node.get("type") == p:
            continue
        node = node[p] if isinstance(node, (dict, list)) and _has(node, p) else None
    return True


def _field_path(loc: tuple[Any, ...], data: Any) -> tuple[str, tuple[Any, ...]]:
    """Pretty path (``workloads[0] (chat).qps_mean``) and the raw data path (tags removed)."""
    parts: list[str] = []
    raw: list[Any] = []
    node = data
    for i, p in enumerate(loc):
        if isinstance(p, str) and p in _TAGS and i > 0 and isinstance(loc[i - 1], int):
            continue  # discriminated-union tag inserted by pydantic
        if _is_branch(p):
            continue
        raw.append(p)
        if isinstance(p, int):
            label = f"[{p}]"
            if isinstance(node, list) and p < len(node) and isinstance(node[p], dict) and "name" in node[p]:
                label += f" ({_label(node[p]['name'])})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + path_text((p,)))
        node = node[p] if isinstance(node, (dict, list)) and _has(node, p) else None
    return "".join(parts), tuple(raw)


_PLAIN_LABEL = re.compile(r"^[\w][\w .:/+\-]*$")


def _label(name: Any) -> str:
    """A workload's name as shown in a field path: as written when it is a plain name, else quoted."""
    text = str(name)
    return text if _PLAIN_LABEL.match(text) and text == text.strip() else quoted(text)


def _has(node: Any, key: Any) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(key, int) and 0 <= key < len(node)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] | None = Scenario
    for p in loc[:-1]:
        if model is None:
            return []
        if isinstance(p, int):
            continue
        if p in _MODELS:
            model = _MODELS[p]
            continue
        if _is_branch(p):
            continue
        f = model.model_fields.get(p)
        model = _inner_model(f.annotation) if f else None
    if model is None:
        return []
    return sorted((f.alias or n) for n, f in model.model_fields.items() if n != "source_path")


def _inner_model(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in getattr(ann, "__args__", ()) or ():
        m = _inner_model(a)
        if m is not None:
            return m
    return None


def _message(err: Any, loc: tuple[Any, ...]) -> str:
    t = err["type"]
    if isinstance(err.get("input"), _Refused):
        return str(err["input"].reason)
    if t == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc)
        close = get_close_matches(key, allowed, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown field; {hint}allowed here: {', '.join(allowed)}"
    if t == "missing":
        return "required field is missing; add it"
    if t == "union_tag_invalid":
        return f"unknown workload type {err['ctx']['tag']!r}; use training, serving or storage"
    if t == "union_tag_not_found":
        return "workload has no type; add 'type: training', 'type: serving' or 'type: storage'"
    if t in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of fields, got {type(err.get('input')).__name__}"
    if t == "list_type":
        return f"expected a list, got {type(err.get('input')).__name__}"
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ")
    if "input" in err and t not in ("value_error",) and not isinstance(err["input"], (dict, list)):
        msg += f" (got {err['input']!r})"
    return msg


def scenario_from_dict(data: Any, *, where: str = "<scenario>", lines: dict[Any, int] | None = None) -> Scenario:
    if data is None:
        raise InputError("file is empty; a scenario needs at least name and workloads", where=where)
    if not isinstance(data, dict):
        raise InputError(
            f"a scenario must be a mapping of fields (name, workloads, ...), got a {type(data).__name__}",
            where=where,
        )
    try:
        return Scenario.model_validate({**data, "source_path": where})
    except ValidationError as exc:
        errors = [e for e in exc.errors() if _branch_matches(e["loc"], data)] or exc.errors()
        # unknown keys first: a misspelt key is usually why a required one is missing
        errors.sort(key=lambda e: e["type"] != "extra_forbidden")
        err = errors[0]
        pretty, raw = _field_path(err["loc"], data)
        line = None
        if lines:
            for cut in range(len(raw), -1, -1):
                if raw[:cut] in lines:
                    line = lines[raw[:cut]]
                    break
        field = (pretty or "<top>") + (f" (line {line})" if line else "")
        more = len(errors) - 1
        loc = tuple(p for p in err["loc"] if not _is_branch(p))
        msg = _message(err, loc) + (f" [+{more} more problem{'s' * (more > 1)}]" if more else "")
        raise InputError(msg, where=where, field=field) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML); raises :class:`planner.errors.InputError`."""
    p = Path(path)
    data, lines = load_yaml(p, what="scenario file")
    return scenario_from_dict(data, where=str(path), lines=lines)
