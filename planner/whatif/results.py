"""Results of what-if runs: each has ``.to_frame()`` (a pandas DataFrame) and ``.plot()`` (a matplotlib Axes).

Money columns are US dollars as floats; a cost that could not be priced is NaN (shown as missing, never 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.whatif.core import GridError

METRICS = ("horizon_cost", "monthly_cost", "month_1_cost")
METRIC_LABELS = {"horizon_cost": "cost over the horizon (contracted)",
                 "monthly_cost": "average month (contracted)",
                 "month_1_cost": "month 1 billed (contracted)"}
CLOUD_COLORS = {"aws": "#e8870e", "gcp": "#2e9e4f", "azure": "#1f6fc5", "lambda": "#7b4fb8"}
_OTHER_COLORS = ["#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_STYLES = ["-", "--", ":", "-."]


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise GridError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}", field="metric")


def cloud_color(cloud: str, order: Sequence[str] = ()) -> str:
    if cloud in CLOUD_COLORS:
        return CLOUD_COLORS[cloud]
    i = list(order).index(cloud) if cloud in order else 0
    return _OTHER_COLORS[i % len(_OTHER_COLORS)]


def usd_short(x: float) -> str:
    """$1.23M, $456k, $789: axis ticks and labels."""
    if x is None or not math.isfinite(x):
        return "missing"
    a = abs(x)
    if a >= 1e9:
        return f"${x / 1e9:.3g}B"
    if a >= 1e6:
        return f"${x / 1e6:.3g}M"
    if a >= 1e3:
        return f"${x / 1e3:.3g}k"
    return f"${x:.0f}"


def label(v: Any) -> str:
    """A grid value as text: lists joined with +, floats without trailing zeros."""
    if isinstance(v, (list, tuple)):
        return "+".join(label(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _new_axes(ax: Any, size: tuple[float, float] = (8, 4.8)) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _money_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: usd_short(v)))


def _clouds(frame: Any) -> list[str]:
    return list(dict.fromkeys(frame["cloud"]))


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)) for v in values)


def _follows(frame: Any, x: str, path: str) -> bool:
    """Whether ``path`` has one value for each value of ``x`` in ``frame`` (it moves with x)."""
    pairs = frame[[x, path]].map(label).drop_duplicates()
    return bool(pairs[x].is_unique)


def concat_frames(parts: Sequence[Any]) -> Any:
    """Result frames of consecutive chunks as one, categorical columns kept categorical (over the union of the
    chunks' categories) rather than decayed to text by ``pd.concat``."""
    import pandas as pd
    from pandas.api.types import union_categoricals

    parts = list(parts)
    if not parts:
        raise GridError("no variants to evaluate", field="grid")
    for col in parts[0].columns:
        if isinstance(parts[0][col].dtype, pd.CategoricalDtype):
            cats = union_categoricals([p[col] for p in parts if isinstance(p[col].dtype, pd.CategoricalDtype)],
                                      ignore_order=True).categories
            parts = [p.assign(**{col: pd.Categorical(p[col], categories=cats)}) for p in parts]
    return pd.concat(parts, ignore_index=True)


def short_path(path: str) -> str:
    return path.removeprefix("workloads.").removeprefix("compare.")


# ------------------------------------------------------------------------------------------------ sweep
@dataclass(frozen=True)
class SweepResult:
    """One row per variant and cloud (:attr:`frame`); :attr:`grid` is the axes that made the variants."""

    scenario: Any
    grid: dict[str, list[Any]]
    frame: Any
    engine: str

    @property
    def paths(self) -> list[str]:
        return list(self.grid)

    @property
    def lazy(self) -> bool:
        """Whether :attr:`frame` is a ``dask.dataframe.DataFrame`` (a grid too large for one machine)."""
        return not hasattr(self.frame, "iloc") or type(self.frame).__module__.startswith("dask")

    def to_frame(self) -> Any:
        """The tidy frame: ``variant``, one column per path, then cloud, region, costs, hardware, winner.

        A grid too large for one machine (``engine="dask"``) gives a lazy ``dask.dataframe.DataFrame`` with the
        same columns: reduce it on the cluster (``.groupby(...)``, ``.to_parquet(...)``) before ``.compute()``.
        """
        return self.frame if self.lazy else self.frame.copy()

    def _local(self, what: str) -> None:
        if self.lazy:
            n = math.prod(len(v) for v in self.grid.values())
            raise GridError(f"{what} needs the sweep's rows in memory, and this one has {n:,} variants on a Dask "
                            "cluster; reduce to_frame() there first, or sweep a coarser grid", field="engine")

    def winners(self, metric: str = "horizon_cost") -> Any:
        """One row per variant: its path values, the winning cloud, its cost and hardware (no winner: NaN)."""
        check_metric(metric)
        self._local("winners()")
        f = self.frame
        base = f.drop_duplicates("variant")[["variant", *self.paths]].set_index("variant")
        win = f[f["winner"]].set_index("variant")[["cloud", metric, "instance_type", "count", "purchase_option"]]
        out = base.join(win).reset_index()
        out["count"] = out["count"].astype("Int64")  # whole numbers; <NA> where no cloud won
        return out

    def plot(self, ax: Any = None, metric: str = "horizon_cost", *, x: str | None = None, hue: str | None = None,
             where: Mapping[str, Any] | None = None, kind: str | None = None, value: str = "winner") -> Any:
        """A chart of the sweep; returns the matplotlib Axes.

        - one numeric axis (``x``, default the first numeric path): a line per cloud, a marker and the new
          instance type where a cloud's cheapest hardware changes, the winner's hardware changes ringed;
        - a second axis (``hue``): one line style per value of it;
        - two numeric axes and no ``hue`` (or ``kind="heatmap"``): a heat map of the winner (``value="winner"``,
          its cost written in each cell) or of the cheapest cost (``value="cost"``);
        - no numeric axis: grouped bars, one per cloud and value, the instance type on each bar.

        Further axes are fixed with ``where={path: value}``.
        """
        check_metric(metric)
        self._local("plot()")
        f = self.frame
        where = dict(where or {})
        for p, v in where.items():
            if p not in self.grid:
                raise GridError(f"where: {p!r} is not an axis of this sweep; axes: {', '.join(self.paths)}", field="where")
            f = f[f[p].map(label) == label(v)]
            if f.empty:
                raise GridError(f"where: {p} has no value {label(v)}; values: "
                                f"{', '.join(label(x) for x in self.grid[p])}", field="where")
        free = [p for p in self.paths if p not in where]
        if x is not None and x not in free:
            raise GridError(f"x: {x!r} is not a free axis of this sweep; free axes: {', '.join(free)}", field="x")
        if x is not None:  # paths that move with x (a table of variants, e.g. mean and peak QPS) are not axes
            free = [x, *(p for p in free if p != x and not _follows(f, x, p))]
        numeric = [p for p in free if _numeric(self.grid[p])]
        if kind not in (None, "line", "heatmap", "bar"):
            raise GridError(f"unknown kind {kind!r}; use line, heatmap or bar", field="kind")
        if kind == "heatmap" or (kind is None and hue is None and len(free) == 2 and len(numeric) == 2):
            if len(numeric) != 2 or len(free) != 2:
                raise GridError("a heat map needs exactly two free numeric axes; fix the others with where=",
                                field="kind")
            xs = x or numeric[0]
            return self._heatmap(ax, f, metric, xs, next(p for p in numeric if p != xs), value)
        xs = x or (numeric[0] if numeric else free[0])
        rest = [p for p in free if p != xs]
        if hue is not None and hue not in rest:
            raise GridError(f"hue: {hue!r} is not another free axis; free axes: {', '.join(rest) or 'none'}",
                            field="hue")
        hue = hue or (rest[0] if rest else None)
        extra = [p for p in rest if p != hue]
        if extra:
            raise GridError(f"too many axes to draw: fix {', '.join(extra)} with where={{path: value}}", field="where")
        if kind == "bar" or (kind is None and xs not in numeric):
            if hue is not None:
                raise GridError("a bar chart draws one axis; fix the other with where={path: value}", field="where")
            return self._bars(ax, f, metric, xs)
        return self._lines(ax, f, metric, xs, hue)

    def _title(self, ax: Any, metric: str, extra: str = "") -> None:
        name = getattr(self.scenario, "name", "")
        ax.set_title(f"{name}: {METRIC_LABELS[metric]}{extra}", fontsize=11)

    def _lines(self, ax: Any, f: Any, metric: str, xs: str, hue: str | None) -> Any:
        ax = _new_axes(ax, (11, 4.8) if hue else (8, 4.8))  # wider with hue: its legend sits beside the plot
        clouds = _clouds(f)
        hues = list(dict.fromkeys(f[hue].map(label))) if hue else [None]
        if len(hues) > len(_STYLES):
            raise GridError(f"{hue} has {len(hues)} values, too many line styles; fix some with where= or plot "
                            f"{hue} as x", field="hue")
        for cloud in clouds:
            for style, h in zip(_STYLES, hues, strict=False):
                d = f[f["cloud"] == cloud]
                if h is not None:
                    d = d[d[hue].map(label) == h]
                d = d.sort_values(xs)
                color = cloud_color(cloud, clouds)
                ax.plot(d[xs], d[metric], style, color=color, label=cloud if h is None else None, lw=1.8)
                _mark_changes(ax, d, xs, metric, color, annotate=h == hues[0])
        # the winner's hardware: ring the points where the cheapest cloud's instance type changes
        for h in hues:
            d = f[f["winner"]]
            if h is not None:
                d = d[d[hue].map(label) == h]
            d = d.sort_values(xs)
            keys = list(zip(d["cloud"], d["instance_type"], strict=True))
            pts = [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]]
            if pts:
                ax.scatter(d[xs].iloc[pts], d[metric].iloc[pts], s=160, facecolors="none", edgecolors="black",
                           lw=1.2, zorder=4, label="winner's hardware changes" if h == hues[0] else None)
        ax.set_xlabel(short_path(xs))
        ax.set_ylabel(METRIC_LABELS[metric])
        _money_axis(ax.yaxis)
        ax.grid(alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        if hue is not None:  # one entry per cloud (colour) and one per value of hue (line style), not per line
            from matplotlib.lines import Line2D

            handles = [*(Line2D([], [], color=cloud_color(c, clouds), lw=1.8) for c in clouds),
                       *(Line2D([], [], color="0.3", ls=st, lw=1.8) for st, _ in zip(_STYLES, hues, strict=False)),
                       *handles]
            labels = [*clouds, *(f"{short_path(hue)} = {h}" for h in hues), *labels]
        ax.legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1) if hue else None)
        self._title(ax, metric)
        return ax

    def _heatmap(self, ax: Any, f: Any, metric: str, xs: str, ys: str, value: str) -> Any:
        import numpy as np
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch

        if value not in ("winner", "cost"):
            raise GridError(f"value: use winner or cost, got {value!r}", field="value")
        ax = _new_axes(ax)
        clouds = _clouds(f)
        xv = sorted(set(f[xs]))
        yv = sorted(set(f[ys]))
        win = f[f["winner"]].set_index([ys, xs])
        cheapest = f.groupby([ys, xs])[metric].min()
        grid_cost = np.full((len(yv), len(xv)), np.nan)
        grid_win = np.full((len(yv), len(xv)), np.nan)
        for i, yy in enumerate(yv):
            for j, xx in enumerate(xv):
                if (yy, xx) in win.index:
                    row = win.loc[(yy, xx)]
                    grid_win[i, j] = clouds.index(row["cloud"])
                    grid_cost[i, j] = row[metric]
                elif (yy, xx) in cheapest.index:
                    grid_cost[i, j] = cheapest.loc[(yy, xx)]
        if value == "winner":
            cmap = ListedColormap([cloud_color(c, clouds) for c in clouds])
            ax.imshow(np.ma.masked_invalid(grid_win), cmap=cmap, vmin=-0.5, vmax=len(clouds) - 0.5, origin="lower",
                      aspect="auto", alpha=0.75)
            ax.legend(handles=[Patch(color=cloud_color(c, clouds), alpha=0.75, label=f"{c} wins") for c in clouds
                               if (grid_win == clouds.index(c)).any()], fontsize=8, loc="upper left",
                      bbox_to_anchor=(1.01, 1))
            extra = ": winner (its cost in each cell)"
        else:
            im = ax.imshow(grid_cost, cmap="viridis", origin="lower", aspect="auto")
            cb = ax.figure.colorbar(im, ax=ax)
            _money_axis(cb.ax.yaxis)
            extra = ": cheapest cloud's cost"
        if len(xv) * len(yv) <= 150:
            for i in range(len(yv)):
                for j in range(len(xv)):
                    txt = usd_short(grid_cost[i, j]) if math.isfinite(grid_cost[i, j]) else "n/a"
                    ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                            color="black" if value == "winner" else "white")
        ax.set_xticks(range(len(xv)), [label(v) for v in xv])
        ax.set_yticks(range(len(yv)), [label(v) for v in yv])
        ax.set_xlabel(short_path(xs))
        ax.set_ylabel(short_path(ys))
        self._title(ax, metric, extra)
        return ax

    def _bars(self, ax: Any, f: Any, metric: str, xs: str) -> Any:
        import numpy as np

        ax = _new_axes(ax)
        clouds = _clouds(f)
        cats = list(dict.fromkeys(f[xs].map(label)))
        width = 0.8 / max(1, len(clouds))
        pos = np.arange(len(cats))
        top = float(np.nanmax(f[metric].to_numpy(dtype=float))) if f[metric].notna().any() else 1.0
        for k, cloud in enumerate(clouds):
            d = f[f["cloud"] == cloud].assign(_cat=lambda t: t[xs].map(label)).set_index("_cat").reindex(cats)
            heights = d[metric].to_numpy(dtype=float)
            xpos = pos - 0.4 + width * (k + 0.5)
            ax.bar(xpos, np.nan_to_num(heights), width * 0.92, color=cloud_color(cloud, clouds), label=cloud,
                   edgecolor=["black" if w is True else "none" for w in d["winner"]], lw=1.5)
            for xp, hgt, it, cnt, po in zip(xpos, heights, d["instance_type"], d["count"], d["purchase_option"],
                                            strict=True):
                txt = "missing" if not math.isfinite(hgt) else f"{int(cnt)}x {it}" if isinstance(it, str) else ""
                if isinstance(po, str) and math.isfinite(hgt):
                    txt += f"\n{po.replace('_', '-')}"
                if math.isfinite(hgt) and hgt > top * 0.55:  # tall bar: the label inside, from its top down
                    ax.text(xp, hgt - top * 0.01, txt, rotation=90, ha="center", va="top", fontsize=7,
                            color="white")
                else:
                    ax.text(xp, (hgt if math.isfinite(hgt) else 0) + top * 0.01, txt, rotation=90, ha="center",
                            va="bottom", fontsize=7)
        ax.set_xticks(pos, cats, fontsize=8)
        ax.set_ylim(0, top * 1.45)
        ax.set_xlabel(short_path(xs))
        ax.set_ylabel(METRIC_LABELS[metric])
        _money_axis(ax.yaxis)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, title="black edge: winner", title_fontsize=7, loc="upper left")
        self._title(ax, metric)
        return ax


def _mark_changes(ax: Any, d: Any, xs: str, metric: str, color: str, annotate: bool) -> None:
    """Markers where a line's instance type changes; the new type written beside the first point and each change."""
    types = list(d["instance_type"])
    xv, yv = list(d[xs]), list(d[metric])
    for i, t in enumerate(types):
        if i > 0 and t == types[i - 1]:
            continue
        if not (isinstance(yv[i], float) and math.isfinite(yv[i])):
            continue
        ax.plot([xv[i]], [yv[i]], "o", ms=6, mfc="white", mec=color, mew=1.6, zorder=3)
        if annotate and isinstance(t, str):
            ax.annotate(t, (xv[i], yv[i]), xytext=(4, 6), textcoords="offset points", fontsize=7, color=color,
                        rotation=20)


# ------------------------------------------------------------------------------------------------ monte carlo
@dataclass(frozen=True)
class McResult:
    """Monte Carlo draws (:attr:`draws`: one row per draw), their results (:attr:`frame`: per draw and cloud)."""

    scenario: Any
    assumptions: tuple[Any, ...]
    draws: Any
    frame: Any
    n: int
    seed: int | None
    truncated: dict[str, float] = field(default_factory=dict)  # path -> share of the distribution cut off

    def to_frame(self) -> Any:
        """The tidy frame: one row per draw (``variant``) and cloud, the drawn values in the path columns."""
        return self.frame.copy()

    def summary(self) -> Any:
        """Per cloud: P10/P50/P90 of the average month and of the horizon cost, the mean horizon cost, the
        probability it wins and the share of draws it could price completely.

        Percentiles are over the draws the cloud priced completely; the win probabilities add up to 1 less
        the share of draws where no cloud priced everything (:attr:`no_winner_share`).
        """
        import pandas as pd

        rows = []
        for cloud, d in self.frame.groupby("cloud", sort=False):
            ok = d[d["complete"]]
            row: dict[str, Any] = {"cloud": cloud}
            for m in ("monthly_cost", "horizon_cost"):
                for q in (10, 50, 90):
                    row[f"{m}_p{q}"] = float(ok[m].quantile(q / 100)) if len(ok) else math.nan
            row["horizon_cost_mean"] = float(ok["horizon_cost"].mean()) if len(ok) else math.nan
            row["p_win"] = float(d["winner"].sum()) / self.n
            row["complete_share"] = len(ok) / self.n
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def no_winner_share(self) -> float:
        won = self.frame.groupby("variant")["winner"].any()
        return float((~won).sum()) / self.n

    def plot(self, ax: Any = None, metric: str = "horizon_cost", bins: int = 40) -> Any:
        """Distribution of ``metric`` per cloud: a histogram, the P10-P90 band shaded and the P50 dashed;
        the legend gives each cloud's probability of winning."""
        import numpy as np

        check_metric(metric)
        ax = _new_axes(ax)
        f = self.frame[self.frame["complete"]]
        clouds = _clouds(self.frame)
        summ = self.summary().set_index("cloud")
        vals = f[metric].to_numpy(dtype=float)
        if len(vals) == 0:
            raise GridError("no draw was priced completely on any cloud; nothing to plot", field="metric")
        edges = np.histogram_bin_edges(vals, bins=bins)
        for cloud in clouds:
            d = f.loc[f["cloud"] == cloud, metric].to_numpy(dtype=float)
            if not len(d):
                continue
            c = cloud_color(cloud, clouds)
            p10, p50, p90 = np.percentile(d, [10, 50, 90])
            pw = summ.loc[cloud, "p_win"]
            ax.hist(d, bins=edges, histtype="stepfilled", alpha=0.25, color=c)
            ax.hist(d, bins=edges, histtype="step", color=c, lw=1.5,
                    label=f"{cloud}: P50 {usd_short(p50)} (P10 {usd_short(p10)}, P90 {usd_short(p90)}), "
                          f"wins {pw:.0%}")
            ax.axvline(p50, color=c, ls="--", lw=1.2)
            ax.axvspan(p10, p90, color=c, alpha=0.07)
        _money_axis(ax.xaxis)
        ax.set_xlabel(METRIC_LABELS[metric])
        ax.set_ylabel(f"draws (of {self.n})")
        ax.legend(fontsize=8, loc="upper right")
        ax.grid(alpha=0.3)
        parts = [f"{short_path(a.path)} ~ {a.label}" for a in self.assumptions]
        lines = [", ".join(parts[i:i + 2]) for i in range(0, len(parts), 2)]  # two assumptions a line
        name = getattr(self.scenario, "name", "")
        ax.set_title("\n".join([f"{name}: {METRIC_LABELS[metric]}, {self.n:,} draws", *lines]), fontsize=9)
        return ax


# ------------------------------------------------------------------------------------------------ sensitivity
@dataclass(frozen=True)
class SensitivityResult:
    """A tornado table: per assumption and cloud, the metric at the low, base and high value, and the swing."""

    scenario: Any
    metric: str
    table: Any
    base_winner: str | None

    def to_frame(self) -> Any:
        """Columns: path, cloud, low, base, high (input values: numbers, or for two alternatives the values as
        given, lists whole), cost_low, cost_base, cost_high, swing (|cost_high - cost_low|), winner_low,
        winner_high; largest swing first."""
        import copy

        out = self.table.copy()
        for c in ("low", "base", "high"):  # lists copied too: editing the frame leaves the result as it was
            if out[c].dtype == object:
                out[c] = out[c].map(copy.deepcopy)
        return out

    @staticmethod
    def value_text(v: Any) -> str:
        """An input value as a chart or table shows it: ``H100-SXM, H200`` for a list, ``0.8`` for a number."""
        if isinstance(v, (list, tuple)):
            return ", ".join(SensitivityResult.value_text(x) for x in v) if v else "none"
        if isinstance(v, Mapping):
            return ", ".join(f"{k}: {SensitivityResult.value_text(x)}" for k, x in v.items()) if v else "none"
        if v is None:
            return "default"
        if isinstance(v, bool):
            return "true" if v else "false"
        return label(v)

    def plot(self, ax: Any = None, cloud: str | None = None) -> Any:
        """Tornado chart for one cloud (default: the winner at the base values): a bar per assumption from its
        low value's cost to its high value's (two alternatives: the first's and the second's), each end labelled
        with its value (lists as ``H100-SXM, H200``), the largest swing on top, the base cost as a vertical line."""
        import numpy as np

        t = self.table
        cloud = cloud or self.base_winner or str(t["cloud"].iloc[0])
        d = t[t["cloud"] == cloud]
        if d.empty:
            raise GridError(f"cloud {cloud!r} is not in this result; clouds: {', '.join(_clouds(t))}", field="cloud")
        d = d.sort_values("swing", ascending=True, kind="stable")  # barh draws bottom-up: largest on top
        ax = _new_axes(ax, (8, 1.2 + 0.55 * len(d)))
        base = float(d["cost_base"].iloc[0])
        if not math.isfinite(base):
            raise GridError(f"{cloud} could not be priced at the base values (cost missing); plot another cloud "
                            "with cloud=...", field="cloud")
        y = np.arange(len(d))
        lo = d["cost_low"].to_numpy(dtype=float) - base
        hi = d["cost_high"].to_numpy(dtype=float) - base
        # two alternatives (not numbers) are drawn as low (the first) and high (the second)
        either = "" if all(_numeric([r["low"], r["high"]]) for _, r in d.iterrows()) else " (or first alternative)"
        ax.barh(y, lo, left=base, color="#5b8bd0", label=f"at the low value{either}")
        ax.barh(y, hi, left=base, color="#d0705b", label=f"at the high value{either.replace('first', 'second')}")
        ax.axvline(base, color="black", lw=1)
        moves = np.abs(np.concatenate([lo, hi]))
        moves = moves[np.isfinite(moves)]
        # no assumption moves this cloud's cost (or none priced): keep a visible axis around the base cost
        span = float(moves.max()) if len(moves) and moves.max() > 0 else max(abs(base) * 0.05, 1.0)
        for yi, (_, r) in zip(y, d.iterrows(), strict=True):
            ends = [(r["low"], r["cost_low"] - base), (r["high"], r["cost_high"] - base)]
            ends = [(v, dl) for v, dl in ends if math.isfinite(dl)]
            sides = [dl >= 0 for _, dl in ends]
            if len(ends) == 2 and sides[0] == sides[1]:  # both the same way: the smaller move labelled opposite
                near = 0 if abs(ends[0][1]) <= abs(ends[1][1]) else 1
                sides[near] = not sides[near]
            for (val, delta), right in zip(ends, sides, strict=True):
                end = base + (max(delta, 0) if right else min(delta, 0))
                ax.text(end + (span * 0.02 if right else -span * 0.02), yi, self.value_text(val), va="center",
                        ha="left" if right else "right", fontsize=8)
        ax.set_yticks(y, [short_path(p) for p in d["path"]], fontsize=9)
        ax.set_xlim(base - span * 1.35, base + span * 1.35)
        _money_axis(ax.xaxis)
        ax.set_xlabel(f"{cloud}: {METRIC_LABELS[self.metric]} (base {usd_short(base)})")
        ax.legend(fontsize=8, loc="lower right")
        ax.grid(axis="x", alpha=0.3)
        ax.set_title(f"{getattr(self.scenario, 'name', '')}: what moves {cloud}'s cost most", fontsize=11)
        return ax


# ------------------------------------------------------------------------------------------------ diff
@dataclass(frozen=True)
class DiffResult:
    """What changed between two scenarios (:attr:`changes`) and what it did to each cloud's cost."""

    a: Any
    b: Any
    changes: Any  # DataFrame: path, old, new
    costs: Any  # DataFrame, see to_frame
    winner_before: str | None
    winner_after: str | None

    def to_frame(self) -> Any:
        """Per cloud: horizon_before/after/change/change_pct, monthly_before/after/change (average month),
        instance_before/after, winner_before/after (booleans)."""
        return self.costs.copy()

    def plot(self, ax: Any = None, metric: str = "horizon") -> Any:
        """Bars per cloud, before and after (``metric``: horizon or monthly), the change written above."""
        import numpy as np

        if metric not in ("horizon", "monthly"):
            raise GridError(f"metric: use horizon or monthly, got {metric!r}", field="metric")
        ax = _new_axes(ax, (7, 4.5))
        d = self.costs
        clouds = list(d["cloud"])
        pos = np.arange(len(clouds))
        before = d[f"{metric}_before"].to_numpy(dtype=float)
        after = d[f"{metric}_after"].to_numpy(dtype=float)
        colors = [cloud_color(c, clouds) for c in clouds]
        ax.bar(pos - 0.2, np.nan_to_num(before), 0.38, color=colors, alpha=0.4, label="before")
        ax.bar(pos + 0.2, np.nan_to_num(after), 0.38, color=colors, label="after")
        top = float(np.nanmax(np.concatenate([before, after]))) if np.isfinite(np.concatenate([before, after])).any() \
            else 1.0
        for i, (b0, a0) in enumerate(zip(before, after, strict=True)):
            if math.isfinite(b0) and math.isfinite(a0) and b0:
                txt = f"{'+' if a0 >= b0 else '-'}{usd_short(abs(a0 - b0))} ({(a0 - b0) / b0:+.1%})"
            else:
                txt = "missing after" if math.isfinite(b0) else "missing before" if math.isfinite(a0) else "missing"
            ax.text(i, max(np.nan_to_num([b0, a0])) + top * 0.02, txt, ha="center", va="bottom", fontsize=8)
        labels = [c + (" (wins before)" if c == self.winner_before and c != self.winner_after else
                       " (wins after)" if c == self.winner_after and c != self.winner_before else
                       " (wins)" if c == self.winner_after else "") for c in clouds]
        ax.set_xticks(pos, labels, fontsize=9)
        ax.set_ylim(0, top * 1.15)
        _money_axis(ax.yaxis)
        ax.set_ylabel("cost over the horizon" if metric == "horizon" else "average month")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
        ax.grid(axis="y", alpha=0.3)
        n = len(self.changes)
        shown = ", ".join(short_path(p) for p in list(self.changes["path"])[:3]) + (" ..." if n > 3 else "")
        ax.set_title(f"{n} change{'s' if n != 1 else ''}: {shown}", fontsize=10)
        return ax


__all__ = ["METRICS", "DiffResult", "McResult", "SensitivityResult", "SweepResult", "concat_frames", "label", "usd_short"]
