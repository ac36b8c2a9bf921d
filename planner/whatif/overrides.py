"""What-if overrides: a scenario with some of its fields changed, validated like a scenario file.

A path names a field with dots. Workloads are named by their ``name`` (or their position), so
``workloads.chat.qps_mean`` is the mean QPS of the workload called ``chat``. Short forms:

==========================  ==========================================
path                        means
==========================  ==========================================
``regions.aws``             ``compare.regions.aws``
``clouds``                  ``compare.clouds``
``purchase_options``        ``compare.purchase_options``
``placement``               ``compare.placement``
``prices.gcp``              every GCP list price times this factor
``chat.qps_mean``           ``workloads.chat.qps_mean`` (a workload name first)
==========================  ==========================================

Values given as text (the CLI's ``--set PATH=VALUE``) are read as YAML, so ``30``, ``true``,
``[us-west-2, us-east-1]`` and ``null`` mean what they do in a scenario file.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

from planner.errors import InputError
from planner.scenario import (
    KNOWN_CLOUDS,
    Calibration,
    Compare,
    FixedCost,
    Replica,
    Scenario,
    Serving,
    Storage,
    Training,
    scenario_from_dict,
)

_SHORT = {"regions": ("compare", "regions"), "clouds": ("compare", "clouds"),
          "purchase_options": ("compare", "purchase_options"), "placement": ("compare", "placement")}
_WORKLOAD_MODELS = {"training": Training, "serving": Serving, "storage": Storage}


class OverrideError(InputError):
    """An override path or value that does not fit the scenario."""


def _fields(model: type) -> list[str]:
    return [(f.alias or n) for n, f in model.model_fields.items() if n != "source_path"]  # type: ignore[attr-defined]


def _unknown(path: str, part: str, choices: list[str], what: str) -> OverrideError:
    close = get_close_matches(part, choices, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(choices[:40])}"
    return OverrideError(f"unknown {what} {part!r} in override {path!r}; {hint}", field=path)


def scenario_data(sc: Scenario) -> dict[str, Any]:
    """The scenario as the mapping a scenario file holds (only the fields it sets, by their file names)."""
    return sc.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude={"source_path"})


def parse_value(text: str) -> Any:
    """A ``--set`` value read as YAML: numbers, true/false, lists and null as in a scenario file."""
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text


def split_assignment(text: str, *, where: str = "--set") -> tuple[str, str]:
    """``PATH=VALUE`` -> (path, value text); a missing ``=`` is an error."""
    path, eq, value = text.partition("=")
    if not eq or not path.strip():
        raise OverrideError(f"expected PATH=VALUE (e.g. workloads.chat.qps_mean=30), got {text!r}", field=where)
    return path.strip(), value.strip()


def _resolve(data: dict[str, Any], path: str) -> tuple[Any, Any, type | None]:
    """(container, key, model of the container) for ``path``; raises on an unknown step."""
    parts = [p for p in path.split(".")]
    if any(not p for p in parts):
        raise OverrideError(f"empty step in override path {path!r}", field=path)
    names = [w.get("name") for w in data.get("workloads", [])]
    head = parts[0]
    if head in _SHORT:
        parts = [*_SHORT[head], *parts[1:]]
    elif head not in _fields(Scenario) and head in names:
        parts = ["workloads", *parts]
    node: Any = data
    model: type | None = Scenario
    for i, part in enumerate(parts[:-1]):
        if model is Scenario and part == "workloads":
            nxt = parts[i + 1]
            if i + 1 == len(parts) - 1:
                raise OverrideError(f"override {path!r} names a workload but no field of it; e.g. "
                                    f"workloads.{nxt}.qps_mean", field=path)
            idx = names.index(nxt) if nxt in names else int(nxt) if nxt.isdigit() and int(nxt) < len(names) else None
            if idx is None:
                raise _unknown(path, nxt, [str(n) for n in names], "workload")
            wl = data["workloads"][idx]
            return _resolve_in(wl, parts[i + 2:], path, _WORKLOAD_MODELS.get(wl.get("type", ""), Serving))
        if model is Scenario and part == "compare":
            node = node.setdefault("compare", {})
            return _resolve_in(node, parts[i + 1:], path, Compare)
        if model is Scenario and part == "prices":
            return _resolve_in(node.setdefault("prices", {}), parts[i + 1:], path, None, keys=list(KNOWN_CLOUDS))
        if model is Scenario and part == "fixed_costs":
            return _resolve_in(node.setdefault("fixed_costs", []), parts[i + 1:], path, FixedCost,
                               names=[f.get("name") for f in node.get("fixed_costs", [])])
        break
    return _resolve_in(node, parts, path, Scenario)


def _resolve_in(node: Any, parts: list[str], path: str, model: type | None, *, keys: list[str] | None = None,
                names: list[Any] | None = None) -> tuple[Any, Any, type | None]:
    if names is not None:  # a list of named entries (fixed costs)
        if not parts or len(parts) < 2:
            raise OverrideError(f"override {path!r} needs an entry name and a field, e.g. fixed_costs.NAME.usd_per_month",
                                field=path)
        if parts[0] not in names:
            raise _unknown(path, parts[0], [str(n) for n in names], "entry")
        return _resolve_in(node[names.index(parts[0])], parts[1:], path, model)
    for j, part in enumerate(parts):
        last = j == len(parts) - 1
        if model is not None:
            allowed = _fields(model)
            if part not in allowed:
                raise _unknown(path, part, allowed + (list(_SHORT) if model is Scenario else []), "field")
            if last:
                return node, part, model
            nested = {"calibration": Calibration, "replica": Replica}.get(part)
            if model is Compare and part == "regions":
                node = node.setdefault("regions", {})
                model, keys = None, list(KNOWN_CLOUDS)
                continue
            if nested is None:
                raise OverrideError(f"override {path!r}: {part} has no fields of its own", field=path)
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if isinstance(child, list):  # a list of replica profiles: by position
                nxt = parts[j + 1] if j + 1 < len(parts) else ""
                if not nxt.isdigit() or int(nxt) >= len(child):
                    raise OverrideError(f"override {path!r}: {part} is a list of {len(child)}; give its position "
                                        f"(0 to {len(child) - 1}) before the field", field=path)
                return _resolve_in(child[int(nxt)], parts[j + 2:], path, nested)
            node, model = child, nested
            continue
        if keys is not None and part not in keys:
            raise _unknown(path, part, keys, "cloud")
        if last:
            return node, part, None
        raise OverrideError(f"override {path!r} goes deeper than {part}", field=path)
    raise OverrideError(f"override {path!r} names no field", field=path)


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of scenario ``data`` with each dotted path set; raises :class:`OverrideError` on an unknown path."""
    out = copy.deepcopy(data)
    for path, value in overrides.items():
        node, key, _ = _resolve(out, str(path))
        if value is None and isinstance(node, dict):
            node.pop(key, None)  # null: back to the default
        else:
            node[key] = copy.deepcopy(value)
    return out


def _normalize(overrides: Mapping[str, Any] | None, kw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict(overrides or {})
    for k, v in kw.items():  # keyword form: workloads__chat__qps_mean=30
        out[k.replace("__", ".")] = v
    return out


def what_if(scenario: Scenario, overrides: Mapping[str, Any] | None = None, /, **kw: Any) -> Scenario:
    """A new validated scenario: ``scenario`` with the fields named by dotted paths changed.

    >>> what_if(sc, {"workloads.chat.qps_mean": 30, "regions.aws": ["us-west-2"], "prices.gcp": 0.8})
    >>> what_if(sc, horizon_months=24, workloads__chat__qps_peak=80)

    Raises :class:`OverrideError` (a :class:`planner.PlannerError`) for an unknown path, with suggestions,
    and the scenario's own one-line errors for a value that does not fit the field.
    """
    changes = _normalize(overrides, kw)
    if not changes:
        return scenario
    data = apply_overrides(scenario_data(scenario), changes)
    where = scenario.source_path or "<scenario>"
    label = ", ".join(f"{k}={v!r}" for k, v in list(changes.items())[:4]) + (" ..." if len(changes) > 4 else "")
    try:
        return scenario_from_dict(data, where=f"{where} with {label}")
    except InputError as exc:
        raise OverrideError(exc.message, where=exc.where, field=exc.field) from None
