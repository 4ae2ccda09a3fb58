"""Plots: per-image scores per entry, and a score against runtime / params (efficiency).

Figures are drawn with matplotlib's Agg backend (no display) and returned as PNG or SVG bytes.

Efficiency plots keep sources apart: points measured by the harness (its own re-runs) and teams'
entries (their score here, their self-reported runtime / params) share the challenge's axes, but
only the measured points make its frontier; figures from a past edition's report (reported score
against reported runtime / params, on other data and hardware) get a panel and frontier of their
own. Zero values (a model-based method has no parameters) sit at a "0" tick left of the log axis.
"""

from __future__ import annotations

import io
import math
from typing import Literal

import numpy as np
from pydantic import BaseModel

METRIC_LABEL = {"psnr": "PSNR (dB)", "ssim": "SSIM"}
X_LABEL = {"runtime_ms": "runtime (ms, log scale)", "params_m": "parameters (M, log scale)"}
STYLE = {
    "measured": {"marker": "o", "color": "#1f5fbf", "label": "measured by the harness (baselines)"},
    "team": {"marker": "s", "color": "#1c2331", "label": "teams: score here, self-reported x"},
    "reported": {"marker": "D", "color": "#b86e00", "label": "reported (score and x from the report)"},
}
# label offsets tried in turn (points), nearest first: right, left, above, below, further out
OFFSETS = [(6, 4), (6, -11), (-6, 4), (-6, -11), (6, 14), (-6, 14), (6, -21), (-6, -21), (0, 24), (0, -30)]


class Point(BaseModel):
    label: str
    score: float
    runtime_ms: float | None = None
    params_m: float | None = None
    source: Literal["measured", "team", "reported"]


def plottable(points: list[Point], x: str) -> list[Point]:
    """The points that have a finite, non-negative value on ``x`` (zero included)."""
    return [p for p in points if getattr(p, x) is not None and np.isfinite(getattr(p, x)) and getattr(p, x) >= 0]


def _figure(width: float = 7.5, height: float = 4.5, ncols: int = 1):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width, height), dpi=100, squeeze=False)
    return plt, fig, list(axes[0])


def _save(plt, fig, fmt: str) -> bytes:
    if fmt not in ("png", "svg"):
        raise ValueError(f"format must be png or svg, got {fmt!r}")
    buf = io.BytesIO()
    fig.tight_layout()
    # a fixed date and id in the SVG metadata keep the bytes reproducible
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return buf.getvalue()


def _empty(ax, sentence: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, sentence, ha="center", va="center", fontsize=11, color="#5d6678", wrap=True)


def distribution_plot(
    entries: list[tuple[str, np.ndarray]], *, title: str, metric: str = "psnr", fmt: str = "png"
) -> bytes:
    """One box per entry (best first) with every image's value drawn over it."""
    plt, fig, (ax,) = _figure(max(6.0, 1.0 + 0.9 * len(entries)), 4.5)
    if entries:
        data = [np.asarray(v, dtype=float) for _, v in entries]
        ax.boxplot(data, showfliers=False, widths=0.6)
        rng = np.random.default_rng(0)
        for i, v in enumerate(data, start=1):
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(v)), v, s=9, alpha=0.6, color="#1f5fbf", zorder=3)
        ax.set_xticks(range(1, len(entries) + 1), [name for name, _ in entries], rotation=30, ha="right")
        ax.set_ylabel(f"{METRIC_LABEL[metric]} per image")
        ax.grid(axis="y", alpha=0.3)
    else:
        _empty(ax, "No scored entry on this split yet.")
    ax.set_title(title)
    return _save(plt, fig, fmt)


def _number(v: float) -> str:
    """A tick label: 0.2, 5, 300, 2k, 20k (never 1.7x10^-1)."""
    return f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"


def _log_axis(ax, values: list[float]) -> float | None:
    """A log x axis over the positive values, ticks at 1-2-5 read as plain numbers; zeros get a
    "0" tick one step left of the rest. Returns the x where zeros are drawn (None: no zeros)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    positive = [v for v in values if v > 0]
    has_zero = any(v == 0 for v in values)
    if not positive:  # only zeros: a plain axis with one tick
        ax.set_xlim(-1, 1)
        ax.xaxis.set_major_locator(FixedLocator([0]))
        return 0.0
    lo, hi = min(positive), max(positive)
    if hi / lo < 4:  # widen narrow ranges so at least two ticks show
        mid = (lo * hi) ** 0.5
        lo, hi = mid / 2, mid * 2
    lo, hi = lo / 1.6, hi * 1.6
    zero_at = lo / 3 if has_zero else None
    ax.set_xscale("log")
    ax.set_xlim((zero_at / 1.8) if zero_at else lo, hi)
    decades = math.log10(hi / lo)  # fewer ticks per decade the wider the range, so labels never touch
    subs = (1.0, 2.0, 5.0) if decades <= 2.6 else (1.0, 3.0) if decades <= 4 else (1.0,)
    ticks = [t for t in LogLocator(base=10, subs=subs).tick_values(lo, hi) if lo <= t <= hi]
    if zero_at:
        ticks = [zero_at, *ticks]
        ax.axvline(zero_at * 1.6, color="#c9ced8", lw=0.8, ls=(0, (2, 2)))  # the break between 0 and the rest
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "0" if zero_at and v == zero_at else _number(v)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    return zero_at


def _frontier(points: list[Point], x: str, xs_of) -> tuple[list[float], list[float]]:
    """The efficiency frontier: each point no other beats with a smaller or equal x."""
    order = sorted(points, key=lambda p: (getattr(p, x), -p.score))
    xs, ys, best = [], [], -np.inf
    for p in order:
        if p.score > best:
            xs.append(xs_of(p))
            ys.append(p.score)
            best = p.score
    return xs, ys


def _place_labels(fig, ax, placed: list[tuple[float, float, str]]) -> None:
    """Annotate each point, trying offsets until its label overlaps no other label or marker."""
    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    boxes = []
    for px, py in (to_px((x, y)) for x, y, _ in placed):
        boxes.append((px - 5, py - 5, px + 5, py + 5))
    legend = ax.get_legend()
    if legend is not None:
        e = legend.get_window_extent(renderer)
        boxes.append((e.x0, e.y0, e.x1, e.y1))
    axes_box = ax.get_window_extent(renderer)

    def overlap(b) -> float:
        out = 0.0
        for o in boxes:
            w, h = min(b[2], o[2]) - max(b[0], o[0]), min(b[3], o[3]) - max(b[1], o[1])
            out += max(w, 0) * max(h, 0)
        outside = (max(axes_box.x0 - b[0], 0) + max(b[2] - axes_box.x1, 0)) * 40
        return out + outside + (max(axes_box.y0 - b[1], 0) + max(b[3] - axes_box.y1, 0)) * 40

    for x, y, label in sorted(placed, key=lambda t: -t[1]):
        best = None
        for dx, dy in OFFSETS:
            ann = ax.annotate(
                label,
                (x, y),
                textcoords="offset points",
                xytext=(dx, dy),
                fontsize=7.5,
                ha="left" if dx >= 0 else "right",
                color="#2b3445",
            )
            ann.set_in_layout(False)  # labels never move the axes: they are placed inside them
            e = ann.get_window_extent(renderer)
            box = (e.x0 - 1, e.y0 - 1, e.x1 + 1, e.y1 + 1)
            cost = overlap(box)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, ann, box)
            else:
                ann.remove()
            if cost == 0:
                break
        boxes.append(best[2])


def _panel(fig, ax, points: list[Point], x: str, metric: str, title: str, frontier_of: str) -> list:
    """Draw one panel; returns the (x, y, label) of its points, to be labelled once the layout is final."""
    values = [getattr(p, x) for p in points]
    zero_at = _log_axis(ax, values)

    def xs_of(p: Point) -> float:
        v = getattr(p, x)
        return zero_at if v == 0 and zero_at is not None else v

    for source, style in STYLE.items():
        pts = [p for p in points if p.source == source]
        if not pts:
            continue
        filled = source == "measured"
        ax.scatter(
            [xs_of(p) for p in pts],
            [p.score for p in pts],
            s=40,
            marker=style["marker"],
            facecolors=style["color"] if filled else "none",
            edgecolors=style["color"],
            linewidths=1.3,
            label=style["label"],
            zorder=3,
        )
    front = [p for p in points if p.source == frontier_of]
    if len(front) >= 2:
        fx, fy = _frontier(front, x, xs_of)
        ax.step(fx, fy, where="post", color="#c0392b", alpha=0.7, lw=1.2, label=f"frontier ({frontier_of} only)")
    scores = [p.score for p in points]
    pad = max((max(scores) - min(scores)) * 0.12, 0.002 if metric == "ssim" else 0.2)
    top = max(scores) + pad * 1.8
    ax.set_ylim(min(scores) - pad, min(top, 1.02) if metric == "ssim" else top)
    ax.set_xlabel(X_LABEL[x])
    ax.set_ylabel(METRIC_LABEL[metric])
    ax.set_title(title, fontsize=10.5)
    ax.grid(alpha=0.3, which="major")
    # under the axes, never over a point or a label
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, frameon=False, columnspacing=1.2)
    return [(xs_of(p), p.score, p.label) for p in points]


def efficiency_plot(
    points: list[Point],
    *,
    x: str,
    title: str,
    metric: str = "psnr",
    fmt: str = "png",
    reference: list[Point] | None = None,
    reference_title: str = "reported",
) -> bytes:
    """A score against runtime or params on a log x axis, sources kept apart (see the module).

    ``points``: measured (filled, frontier) and team (hollow) points of this challenge;
    ``reference``: reported points, drawn in a second panel with their own frontier.
    """
    if x not in X_LABEL:
        raise ValueError(f"x must be one of {', '.join(X_LABEL)}")
    ours, theirs = plottable(points, x), plottable(reference or [], x)
    plt, fig, axes = _figure(12.0 if theirs else 7.5, 4.5, 2 if theirs else 1)
    what = "runtime" if x == "runtime_ms" else "parameter count"
    labels = []
    if ours:
        labels.append((axes[0], _panel(fig, axes[0], ours, x, metric, title, "measured")))
    else:
        _empty(axes[0], f"No entry on this split has a {what} yet.")
        axes[0].set_title(title, fontsize=10.5)
    if theirs:
        ref_title = f"{reference_title}: their data, their hardware"
        labels.append((axes[1], _panel(fig, axes[1], theirs, x, metric, ref_title, "reported")))
    fig.tight_layout()
    fig.canvas.draw()
    for ax, placed in labels:
        _place_labels(fig, ax, placed)
    return _save(plt, fig, fmt)
