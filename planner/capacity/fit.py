"""Refit the efficiency figures on the published cases: ``python -m planner.capacity.fit``.

Coordinate descent on the mean absolute log error (robust to the scale of each metric) over the
serving rows for the serving figures, and over the training rows for MFU. Prints the fitted values
to paste into :mod:`planner.capacity.calibration`; nothing is changed on disk.
"""

from __future__ import annotations

import math
import sys

from planner.capacity.calibration import FAMILY, LEGACY_ENGINE
from planner.capacity.validation import Overrides, predictions

SERVING_PARAMS = [("hopper", "eta_mem"), ("hopper", "eta_flops_8"), ("ampere", "eta_mem"),
                  ("ampere", "eta_flops_16"), ("*", "layer_overhead_us"),
                  ("*", "prefill_layer_overhead_us"), ("*", "step_overhead_ms"),
                  ("*", "overlap"), ("legacy-engine", "gqa_kv_read_exponent")]
TRAINING_PARAMS = [("hopper", "train_mfu_16"), ("hopper", "train_mfu_8"), ("ampere", "train_mfu_16")]
BOUNDS = {"eta_mem": (0.5, 0.92), "gqa_kv_read_exponent": (0.0, 1.0), "overlap": (1.0, 8.0), "layer_overhead_us": (0.0, 200.0),
          "prefill_layer_overhead_us": (0.0, 400.0), "step_overhead_ms": (0.0, 10.0)}


def _overrides(values: dict[tuple[str, str], float]) -> Overrides:
    out: dict[str, dict[str, float]] = {"hopper": {}, "ampere": {}, "legacy-engine": {}}
    for (fam, name), v in values.items():
        for f in (("hopper", "ampere") if fam == "*" else (fam,)):
            out[f][name] = v
    return out


def loss(values: dict[tuple[str, str], float], kind: str) -> float:
    rows = [r for r in predictions(_overrides(values)) if r["kind"] == kind]
    return sum(abs(math.log(r["predicted"] / r["published"])) for r in rows) / len(rows)


def fit(params: list[tuple[str, str]], kind: str, rounds: int = 6) -> dict[tuple[str, str], float]:
    values = {(f, n): LEGACY_ENGINE[n] if f == "legacy-engine" else getattr(FAMILY["hopper" if f == "*" else f], n)
              for f, n in params}
    best = loss(values, kind)
    step = 0.2
    for _ in range(rounds):
        for key in params:
            lo, hi = BOUNDS.get(key[1], (0.05, 0.98))
            improved = True
            while improved:
                improved = False
                for factor in (1 + step, 1 / (1 + step)):
                    trial = dict(values)
                    base = values[key] if values[key] > 0 else 1.0
                    trial[key] = min(hi, max(lo, base * factor))
                    val = loss(trial, kind)
                    if val < best - 1e-6:
                        values, best, improved = trial, val, True
        step /= 2
    return values


def main() -> int:
    for params, kind in ((SERVING_PARAMS, "serving"), (TRAINING_PARAMS, "training")):
        values = fit(params, kind)
        sys.stdout.write(f"{kind}: mean |log error| {loss(values, kind):.4f}\n")
        for (fam, name), v in values.items():
            sys.stdout.write(f"  {fam:7s} {name:20s} {v:.3f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
