"""What the page asks for, computed with the Python API: a scenario with the page's changes (``what_if``), its
three-cloud comparison (``compare``), a scaling curve, the changed scenario as YAML and the Markdown report.

Everything here is plain data in, plain data out (JSON-ready dicts and text); :mod:`planner.serve.app` only
routes requests to it, so the page's numbers can be tested without a browser.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from planner.comparison import Comparison, compare, scale_points
from planner.errors import InputError, one_line
from planner.money import money
from planner.scenario import Scenario, Serving
from planner.serve.controls import all_controls, check_overrides
from planner.serve.store import Entry, ScenarioStore, check_models
from planner.whatif import what_if
from pricing.catalog import Catalog

CACHE_SIZE = 64  # comparisons kept per server (a slider dragged back and forth hits them)
BAND_CACHE_SIZE = 16  # P10-P90 bands kept (each is N_DRAWS comparisons)
SCALE_POINTS = 9  # points of the scaling curve: from a tenth of today's mean QPS to ten times it


def _key(sid: str, overrides: dict[str, Any]) -> str:
    return sid + "\n" + json.dumps(overrides, sort_keys=True, separators=(",", ":"))


def _po(x: str | None) -> str:
    return (x or "").replace("_", "-")


def capacity_text(r: dict[str, Any]) -> str:
    """A month row's capacity: ``3x p5.4xlarge on-demand`` or the committed base and burst."""
    if not r.get("instance_type"):
        return ""
    text = f"{r['count']}x {r['instance_type']} {_po(r['purchase_option'])}"
    if r.get("committed") is not None:
        text = f"{r['count']}x {r['instance_type']}: {r['committed']} {_po(r['purchase_option'])}"
        if r.get("burst_instance_hours"):
            text += f" + {r['burst_instance_hours']:,.0f} instance-h {_po(r['burst_option'])}"
    return text


def cloud_view(cmp: Comparison) -> list[dict[str, Any]]:
    """Per cloud: the headline figures, the month-by-month spend and its line items (money in cents)."""
    out = []
    for c in cmp.clouds:
        names: list[str] = []
        for r in c.by_month:
            if r["workload"] not in names:
                names.append(r["workload"])
        months: dict[int, dict[str, Any]] = {}
        for r in c.by_month:
            row = months.setdefault(r["month"], {"month": r["month"], "cells": {}})
            cell = row["cells"].setdefault(r["workload"], {"cost": Decimal(0), "what": capacity_text(r)})
            cell["cost"] = None if cell["cost"] is None or r["contracted_cost"] is None else cell["cost"] + r["contracted_cost"]
        rows = []
        for m in sorted(months):
            cells = [months[m]["cells"].get(n) for n in names]
            rows.append({"month": m, "cells": [None if x is None else {"cost": money(x["cost"]), "what": x["what"]}
                                               for x in cells],
                         "total": money(c.monthly_spend[m - 1]) if m - 1 < len(c.monthly_spend) else None})
        out.append({
            "cloud": c.cloud,
            "region": c.region,
            "complete": c.complete,
            "horizon_total": money(c.contracted_horizon_cost),
            "commitment_tail": money(c.contracted_commitment_tail),
            "decided_on": money(cmp.decisive(c)) if c.contracted_horizon_cost is not None else None,
            "month_1": money(c.month_1_billed),
            "average_month": money(c.average_month),
            "monthly": [money(v) for v in c.monthly_spend],
            "items": [{"workload": i.workload, "description": i.description, "purchase_option": i.purchase_option,
                       "monthly_cost": money(i.contracted_monthly_cost), "status": i.status} for i in c.items],
            "unpriced": [f"{i.workload}: {i.status} ({i.note})" for i in c.unpriced] + list(c.horizon_issues),
            "workloads": names,
            "months": rows,
        })
    return out


def winner_view(cmp: Comparison) -> dict[str, Any] | None:
    from planner.comparison import CLOSE_CALL_PCT

    win, m = cmp.winner, cmp.margin()
    if win is None:
        return None
    ranked = [c for c in cmp.ranking if c.complete]
    return {
        "cloud": win.cloud,
        "region": win.region,
        "horizon_total": money(win.contracted_horizon_cost),
        "runner_up": ranked[1].cloud if len(ranked) > 1 else None,
        "margin_usd": money(m[0]) if m else None,
        "margin_pct": round(m[1], 1) if m else None,
        "margin_pct_of_differing_costs": None if (d := cmp.margin_of_differing_costs()) is None else round(d, 1),
        "too_close_to_call": cmp.too_close_to_call,
        "close_call_pct": CLOSE_CALL_PCT,
    }


class Engine:
    """The server's state: its scenarios, the catalog and price book loaded once, and a cache of comparisons."""

    def __init__(self, store: ScenarioStore, catalog: Catalog, pricebook: Any = None) -> None:
        self.store = store
        self.catalog = catalog
        self.pricebook = pricebook
        self._cache: OrderedDict[str, tuple[Scenario, Comparison]] = OrderedDict()
        self._bands: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    # -- scenarios and their controls ------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        from planner.serve import uncertainty

        cat = self.catalog
        return {
            "scenarios": [self.listing(e) for e in self.store.entries()],
            "catalog": {"name": cat.name, "fetched_at": cat.fetched_at, "age_days": cat.age_days(),
                        "stale": cat.is_stale()},
            "pricebook": getattr(self.pricebook, "name", None),
            "features": {"uncertainty": uncertainty.available()},
        }

    @staticmethod
    def listing(e: Entry) -> dict[str, Any]:
        return {"id": e.id, "label": e.label, "name": e.scenario.name, "origin": e.origin}

    def view(self, sid: str) -> dict[str, Any]:
        """A scenario's controls (with today's values) and the workloads a scaling curve can be drawn for."""
        e = self.store.get(sid)
        sc = e.scenario
        return {
            **self.listing(e),
            "description": sc.description,
            "horizon_months": sc.horizon_months,
            "controls": all_controls(sc, self.catalog),
            "workloads": [{"name": w.name, "type": w.type, "style": getattr(w, "style", None)} for w in sc.workloads],
            "scale_workloads": [w.name for w in sc.workloads if isinstance(w, Serving) and w.style == "real_time"],
        }

    # -- the comparison ---------------------------------------------------------------------------------
    def scenario(self, sid: str, overrides: Any) -> tuple[Entry, dict[str, Any], Scenario]:
        """The scenario with the page's changes, validated like a file (a one-line InputError otherwise)."""
        e = self.store.get(sid)
        changes = check_overrides(overrides or {}, all_controls(e.scenario, self.catalog))
        sc = what_if(e.scenario, changes)
        check_models(sc, e.scenario if e.origin == "file" else None, where=e.label)
        return e, changes, sc

    def comparison(self, sid: str, overrides: Any) -> tuple[Entry, dict[str, Any], Comparison]:
        e, changes, sc = self.scenario(sid, overrides)
        key = _key(sid, changes)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        if hit is None:
            hit = (sc, compare(sc, self.catalog, pricebook=self.pricebook))
            with self._lock:
                self._cache[key] = hit
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return e, changes, hit[1]

    def evaluate(self, sid: str, overrides: Any) -> dict[str, Any]:
        """The page's numbers for a scenario with changes: per cloud, the winner, and the file's own totals."""
        from planner.render import summary_lines

        t0, c0 = time.perf_counter(), time.thread_time()
        e, changes, cmp = self.comparison(sid, overrides)
        _, _, base = self.comparison(sid, {}) if changes else (e, changes, cmp)
        return {
            "scenario": {"id": e.id, "name": cmp.scenario.name, "horizon_months": cmp.scenario.horizon_months,
                         "budget_usd_per_month": cmp.scenario.budget_usd_per_month},
            "changes": changes,
            "clouds": cloud_view(cmp),
            "winner": winner_view(cmp),
            "summary": summary_lines(cmp),
            "warnings": list(cmp.warnings),
            "base": {c.cloud: money(c.contracted_horizon_cost) for c in base.clouds},
            "base_horizon_months": base.scenario.horizon_months,
            "server_ms": round((time.perf_counter() - t0) * 1000, 1),  # wall time of the request's work
            "server_cpu_ms": round((time.thread_time() - c0) * 1000, 1),  # CPU time of it (the handler's thread)
        }

    def band(self, sid: str, overrides: Any) -> dict[str, Any]:
        """The P10-P90 band of each cloud's spend around the scenario on screen (see :mod:`planner.serve.uncertainty`)."""
        from planner.serve import uncertainty

        if not uncertainty.available():
            raise InputError("the uncertainty band needs scipy, which this install does not have; "
                             "pip install scipy", field="uncertainty")
        e, changes, _ = self.scenario(sid, overrides)
        key = "band\n" + _key(e.id, changes)
        with self._lock:
            hit = self._bands.get(key)
        if hit is None:
            hit = uncertainty.band(self, sid, changes)
            with self._lock:
                self._bands[key] = hit
                while len(self._bands) > BAND_CACHE_SIZE:
                    self._bands.popitem(last=False)
        return hit

    def scale(self, sid: str, overrides: Any, workload: str | None) -> dict[str, Any]:
        """The scaling curve of a real-time serving workload around its (changed) mean QPS."""
        _, _, sc = self.scenario(sid, overrides)
        names = [w.name for w in sc.workloads if isinstance(w, Serving) and w.style == "real_time"]
        if not names:
            return {"workload": None, "qps": None, "points": []}
        name = workload if workload is not None else names[0]
        if name not in names:
            raise InputError(f"no real-time serving workload {name!r}; choose one of {', '.join(names)}", field="workload")
        w = sc.workload(name)
        assert isinstance(w, Serving) and w.qps_mean is not None
        q = w.qps_mean
        qps = sorted({float(f"{q * 10 ** (k / ((SCALE_POINTS - 1) / 2) - 1):.3g}") for k in range(SCALE_POINTS)} | {q})
        rows = scale_points(sc, name, qps, self.catalog, pricebook=self.pricebook)
        return {"workload": name, "qps": q, "points": [
            {k: r[k] for k in ("cloud", "qps", "qps_peak", "contracted_monthly_cost", "instance_type", "count",
                               "purchase_option", "cost_per_1k_requests", "status")} for r in rows]}

    # -- downloads --------------------------------------------------------------------------------------
    def scenario_yaml(self, sid: str, overrides: Any) -> tuple[str, str]:
        """(file name, YAML) of the scenario as on the page; ``planner compare`` on it gives the page's numbers."""
        import yaml

        from planner.whatif.overrides import scenario_data

        e, changes, sc = self.scenario(sid, overrides)
        head = [f"# {one_line(sc.name)}: made with planner serve from {one_line(e.label)}"]
        if changes:
            head.append("# changed on the page (the same as planner compare with these --set options):")
            head += [f"#   --set {shlex.quote(f'{p}={json.dumps(v)}')}" for p, v in changes.items()]
        text = yaml.safe_dump(scenario_data(sc), sort_keys=False, allow_unicode=True, width=100)
        stem = e.label.rsplit(".", 1)[0] if e.label.endswith((".yaml", ".yml")) else e.label
        return f"{stem}{'-whatif' if changes else ''}.yaml", "\n".join(head) + "\n" + text

    def report_markdown(self, sid: str, overrides: Any) -> tuple[str, str]:
        """(file name, Markdown): the comparison as ``planner compare --format markdown`` writes it, the changes
        made on the page, and the month-by-month tables."""
        from planner import render

        e, changes, cmp = self.comparison(sid, overrides)
        intro = [f"Scenario file: {one_line(e.label)}."]
        if changes:
            intro.append("Changed on the page: " + "; ".join(f"`{p}` = `{json.dumps(v)}`" for p, v in changes.items()) + ".")
        body = render.to_markdown(cmp)
        first, _, rest = body.partition("\n")
        monthly = "\n".join("#" + ln if ln.startswith("#") else ln for ln in render.monthly_to_markdown(cmp).splitlines())
        text = "\n".join([first, "", *intro, rest, monthly])
        stem = e.label.rsplit(".", 1)[0] if e.label.endswith((".yaml", ".yml")) else e.label
        return f"{stem}-report.md", text.rstrip("\n") + "\n"

    def report_html(self, sid: str, overrides: Any) -> tuple[str, str]:
        """(file name, HTML): the monthly budget report (:func:`planner.report.build_report`, as ``planner report
        --out FILE.html`` writes it) of the plan's first month -- the scenario's ``plan_start``, else this month --
        for the scenario on screen, with no actual spend."""
        from planner.report import build_report
        from pricing.catalog import today

        e, _, cmp = self.comparison(sid, overrides)
        sc = cmp.scenario
        month = sc.plan_start or today().strftime("%Y-%m")
        report = build_report(sc, month, catalog=self.catalog, pricebook=self.pricebook, comparison=cmp)
        stem = e.label.rsplit(".", 1)[0] if e.label.endswith((".yaml", ".yml")) else e.label
        return f"{stem}-report-{month}.html", report.to_html()

