"""Plots for organisers: per-image PSNR per entry, and PSNR against runtime / params (efficiency).

Figures are drawn with matplotlib's Agg backend (no display) and returned as PNG or SVG bytes.
"""

from __future__ import annotations

import io

import numpy as np
from pydantic import BaseModel


class Point(BaseModel):
    label: str
    psnr: float
    runtime_s: float | None
    params_m: float | None
    source: str  # "measured" (re-run by the harness) | "reported" (self-reported or from the report)


def _figure(width: float = 7.5, height: float = 4.5):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    return plt, fig, ax


def _save(plt, fig, fmt: str) -> bytes:
    if fmt not in ("png", "svg"):
        raise ValueError(f"format must be png or svg, got {fmt!r}")
    buf = io.BytesIO()
    fig.tight_layout()
    # a fixed date and id in the SVG metadata keep the bytes reproducible
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return buf.getvalue()


def distribution_plot(entries: list[tuple[str, np.ndarray]], *, title: str, fmt: str = "png") -> bytes:
    """One box per entry (best first) with every image's PSNR drawn over it."""
    plt, fig, ax = _figure(max(6.0, 1.0 + 0.9 * len(entries)), 4.5)
    if entries:
        data = [np.asarray(v, dtype=float) for _, v in entries]
        ax.boxplot(data, showfliers=False, widths=0.6)
        rng = np.random.default_rng(0)
        for i, v in enumerate(data, start=1):
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(v)), v, s=9, alpha=0.6, color="#1f4e8c", zorder=3)
        ax.set_xticks(range(1, len(entries) + 1), [name for name, _ in entries], rotation=30, ha="right")
    ax.set_ylabel("PSNR per image (dB)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return _save(plt, fig, fmt)


def efficiency_plot(points: list[Point], *, x: str, title: str, fmt: str = "png") -> bytes:
    """PSNR against runtime or params on a log x axis; the Pareto frontier of all points is drawn.

    Filled markers: measured by the harness; hollow: reported.
    """
    if x not in ("runtime_s", "params_m"):
        raise ValueError("x must be runtime_s or params_m")
    plt, fig, ax = _figure()
    usable = [p for p in points if getattr(p, x) is not None and getattr(p, x) > 0]
    for source, style in (("measured", {"marker": "o"}), ("reported", {"marker": "s", "facecolors": "none"})):
        pts = [p for p in usable if p.source == source]
        if pts:
            ax.scatter(
                [getattr(p, x) for p in pts],
                [p.psnr for p in pts],
                s=42,
                edgecolors="#1f4e8c",
                color="#1f4e8c" if source == "measured" else None,
                label=source,
                zorder=3,
                **style,
            )
            for p in pts:
                ax.annotate(p.label, (getattr(p, x), p.psnr), textcoords="offset points", xytext=(4, 4), fontsize=7)
    if usable:
        order = sorted(usable, key=lambda p: (getattr(p, x), -p.psnr))
        frontier, best = [], -np.inf
        for p in order:
            if p.psnr > best:
                frontier.append(p)
                best = p.psnr
        ax.step(
            [getattr(p, x) for p in frontier],
            [p.psnr for p in frontier],
            where="post",
            color="#c0392b",
            alpha=0.6,
            label="efficiency frontier",
        )
        ax.set_xscale("log")
        ax.legend(fontsize=8)
    ax.set_xlabel("runtime per image (s, log)" if x == "runtime_s" else "parameters (M, log)")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    return _save(plt, fig, fmt)
