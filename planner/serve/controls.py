"""The page's controls for a scenario: one per lever, each named by the ``what_if`` path it sets.

A control is a plain dict the page renders (``kind`` number, int, select, multi or factor; ``value`` as in the
scenario; bounds for the slider). The server accepts changes only on these paths and, for choices, only the
listed options; every value then goes through :func:`planner.whatif.what_if`, so the page and
``planner compare --set PATH=VALUE`` read the same change the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from planner.errors import InputError, quoted
from planner.scenario import CLOUDS, MAX_GB, MAX_QPS, Scenario, Serving, Storage, Training
from pricing.catalog import Catalog

Control = dict[str, Any]

# labels shown beside each lever (units in the label, as in the scenario's field names)
_LABELS = {
    "qps_mean": "Mean traffic (requests/s)", "qps_peak": "Peak traffic (requests/s)",
    "qps_growth_pct_per_month": "Traffic growth (% a month)", "model": "Model", "ttft_p95_ms": "Time to first token, p95 (ms)",
    "tpot_ms": "Time per output token (ms)", "accelerators": "Accelerators it may run on",
    "latency_p95_ms": "Latency SLO, p95 (ms)", "requests_per_run": "Requests per run", "runs_per_month": "Runs a month",
    "window_hours": "Window per run (h)", "devices": "Devices", "gpu_hours": "GPU-hours per run", "tokens": "Training tokens",
    "gpus": "GPUs at once", "accelerator": "Accelerator", "gb": "Stored at the start (GB)",
    "growth_gb_per_month": "Growth (GB a month)", "growth_pct_per_month": "Growth (% a month)",
}


def workload_key(sc: Scenario, index: int) -> str:
    """How a what_if path names the workload: by name when the name is a plain path step, else by position."""
    name = sc.workloads[index].name
    names = [w.name for w in sc.workloads]
    plain = name and "." not in name and not name.isdigit() and name == name.strip()
    return name if plain and not any(n == str(index) for n in names) else str(index)


def _num(path: str, field: str, value: float | None, *, lo: float, hi: float, log: bool = False, step: float | None = None,
         integer: bool = False, nullable: bool = False, group: str = "") -> Control:
    return {"path": path, "field": field, "label": _LABELS.get(field, field), "kind": "int" if integer else "number",
            "value": value, "min": lo, "max": hi, "log": log, "step": step, "nullable": nullable, "group": group}


def _around(v: float, down: float, up: float, floor: float, ceil: float) -> tuple[float, float]:
    """Slider bounds around ``v``: from v/down to v*up, within [floor, ceil]."""
    return max(floor, v / down), min(ceil, v * up)


def _choice(path: str, field: str, value: Any, options: list[str], *, multi: bool = False, group: str = "",
            label: str | None = None, nullable: bool = False) -> Control:
    opts = list(options)
    for v in (value if isinstance(value, list) else [value]):
        if v is not None and v not in opts:
            opts.insert(0, v)  # the scenario's own value stays selectable
    return {"path": path, "field": field, "label": label or _LABELS.get(field, field), "kind": "multi" if multi else "select",
            "value": value, "options": opts, "nullable": nullable, "group": group}


def workload_controls(sc: Scenario, index: int) -> list[Control]:
    from planner.capacity import list_accelerators, list_models

    w = sc.workloads[index]
    p = f"workloads.{workload_key(sc, index)}."
    g = w.name
    out: list[Control] = []
    if isinstance(w, Serving):
        if w.style == "real_time":
            q = w.qps_mean or 1.0
            lo, hi = _around(q, 100, 100, 0.01, MAX_QPS)
            out.append(_num(p + "qps_mean", "qps_mean", w.qps_mean, lo=lo, hi=hi, log=True, group=g))
            out.append(_num(p + "qps_peak", "qps_peak", w.qps_peak, lo=lo, hi=min(MAX_QPS, hi * 4), log=True, nullable=True,
                            group=g))
            out.append(_num(p + "qps_growth_pct_per_month", "qps_growth_pct_per_month", w.qps_growth_pct_per_month,
                            lo=-20, hi=max(50, w.qps_growth_pct_per_month), step=0.5, group=g))
            if w.model is not None:
                out.append(_choice(p + "model", "model", w.model, list_models(), group=g))
                out.append(_num(p + "ttft_p95_ms", "ttft_p95_ms", w.ttft_p95_ms, lo=50, hi=20000, log=True, nullable=True,
                                group=g))
                out.append(_num(p + "tpot_ms", "tpot_ms", w.tpot_ms, lo=5, hi=1000, log=True, nullable=True, group=g))
                out.append(_choice(p + "accelerators", "accelerators", w.accelerators, list_accelerators(), multi=True,
                                   nullable=True, group=g))
            elif w.latency_p95_ms is not None:
                out.append(_num(p + "latency_p95_ms", "latency_p95_ms", w.latency_p95_ms, lo=1, hi=60000, log=True,
                                nullable=True, group=g))
        elif w.style == "batch":
            r = w.requests_per_run or 1.0
            out.append(_num(p + "requests_per_run", "requests_per_run", w.requests_per_run,
                            lo=max(1.0, r / 100), hi=r * 100, log=True, group=g))
            out.append(_num(p + "runs_per_month", "runs_per_month", w.runs_per_month, lo=1, hi=max(60, w.runs_per_month),
                            step=1, group=g))
            out.append(_num(p + "window_hours", "window_hours", w.window_hours, lo=0.5, hi=48, log=True, nullable=True,
                            group=g))
        elif w.style == "edge" and w.devices is not None:
            lo, hi = _around(w.devices, 100, 100, 1, 1_000_000_000)
            out.append(_num(p + "devices", "devices", w.devices, lo=int(lo), hi=int(hi), log=True, integer=True, group=g))
    elif isinstance(w, Training):
        if w.gpu_hours is not None:
            lo, hi = _around(w.gpu_hours, 100, 100, 1, 1e10)
            out.append(_num(p + "gpu_hours", "gpu_hours", w.gpu_hours, lo=lo, hi=hi, log=True, group=g))
        elif w.tokens is not None:
            lo, hi = _around(w.tokens, 100, 100, 1e6, 1e16)
            out.append(_num(p + "tokens", "tokens", w.tokens, lo=lo, hi=hi, log=True, group=g))
            if w.model is not None:
                out.append(_choice(p + "model", "model", w.model, list_models(), group=g))
        gpus = w.gpus or 8
        out.append(_num(p + "gpus", "gpus", w.gpus, lo=1, hi=max(1024, gpus * 8), log=True, integer=True, nullable=True,
                        group=g))
        out.append(_choice(p + "accelerator", "accelerator", w.accelerator, list_accelerators(), group=g))
    elif isinstance(w, Storage):
        lo, hi = _around(w.gb, 100, 100, 1, MAX_GB)
        out.append(_num(p + "gb", "gb", w.gb, lo=lo, hi=hi, log=True, group=g))
        out.append(_num(p + "growth_gb_per_month", "growth_gb_per_month", w.growth_gb_per_month, lo=0,
                        hi=max(w.gb, w.growth_gb_per_month * 4, 1.0), group=g))
        out.append(_num(p + "growth_pct_per_month", "growth_pct_per_month", w.growth_pct_per_month, lo=0,
                        hi=max(50, w.growth_pct_per_month), step=0.5, group=g))
    return out


def available_clouds(catalog: Catalog) -> list[str]:
    """The three clouds, and any other the catalog has prices for (an imported Lambda catalog)."""
    from planner.scenario import KNOWN_CLOUDS

    return [c for c in KNOWN_CLOUDS if c in CLOUDS or catalog.regions(c)]


def scenario_controls(sc: Scenario, catalog: Catalog) -> list[Control]:
    from pricing.schema import PURCHASE_OPTIONS

    clouds = available_clouds(catalog)
    out: list[Control] = [
        _num("horizon_months", "horizon_months", sc.horizon_months, lo=1, hi=max(60, sc.horizon_months), step=1,
             integer=True, group="") | {"label": "Horizon (months)"},
        _choice("clouds", "clouds", list(sc.compare.clouds), clouds, multi=True, label="Clouds"),
        _choice("purchase_options", "purchase_options", list(sc.compare.purchase_options), list(PURCHASE_OPTIONS),
                multi=True, label="Purchase options"),
        _choice("placement", "placement", sc.compare.placement, ["single_region", "per_workload"], label="Placement"),
    ]
    for c in clouds:
        out.append(_choice(f"regions.{c}", "regions", sc.compare.regions_for(c), catalog.regions(c), multi=True,
                           label=f"{c.upper()} regions"))
    for c in clouds:
        out.append(_num(f"prices.{c}", "prices", sc.prices.get(c, 1.0), lo=0.5, hi=1.5, step=0.01)
                   | {"kind": "factor", "label": f"{c.upper()} prices (x list)"})
    b = sc.budget_usd_per_month
    out.append(_num("budget_usd_per_month", "budget_usd_per_month", b, lo=100, hi=max(1e7, (b or 0) * 10), log=True,
                    nullable=True) | {"label": "Budget ($ a month)"})
    return out


def all_controls(sc: Scenario, catalog: Catalog) -> list[Control]:
    out = scenario_controls(sc, catalog)
    for i in range(len(sc.workloads)):
        out += workload_controls(sc, i)
    return out


def check_overrides(overrides: Any, controls: list[Control]) -> dict[str, Any]:
    """The page's changes, refused unless each names one of the scenario's controls (and, for a choice, one of
    its options). Values are not judged here: :func:`planner.whatif.what_if` validates them like a file."""
    if not isinstance(overrides, Mapping):
        raise InputError("overrides must be a mapping of path to value", field="overrides")
    by_path = {c["path"]: c for c in controls}
    out: dict[str, Any] = {}
    for path, value in overrides.items():
        c = by_path.get(path)
        if c is None:
            raise InputError(f"{quoted(path)} is not one of this page's controls", field="overrides")
        label = c["label"].lower()
        if value is None:
            if not c.get("nullable"):
                raise InputError(f"{label} needs a value", field=path)
        elif c["kind"] == "select":
            if not isinstance(value, str) or value not in c["options"]:
                raise InputError(f"{quoted(str(value))} is not one of the choices for {label}", field=path)
        elif c["kind"] == "multi":
            if not isinstance(value, list) or not value or any(not isinstance(v, str) or v not in c["options"]
                                                               for v in value):
                raise InputError(f"{label} takes a list of the listed choices", field=path)
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{label} takes a number, got {value!r}", field=path)
        out[path] = value
    return out
