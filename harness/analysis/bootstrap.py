"""Paired bootstrap over images: confidence intervals of mean scores and how sure each rank order is.

Every entry is scored on the same images, so the resampling is paired: one resample draws image
indices with replacement and every entry's mean is taken over those same images. From
``n_resamples`` resamples (fixed seed, so the numbers are reproducible):

- the 95% interval of an entry's mean is the 2.5th-97.5th percentile of its resampled means;
- for two entries adjacent in rank, ``p_order`` is the share of resamples in which the higher-
  ranked entry's mean is higher (ties count half);
- significance groups: ranks are walked from the top and a new group starts wherever the order
  over the previous entry holds with ``p_order >= level``; entries inside one group cannot be
  told apart at that level.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel


class EntryStats(BaseModel):
    name: str
    mean: float
    ci_low: float
    ci_high: float
    p_order: float | None  # P(this entry's mean > the next one's); None for the last
    group: int  # 1-based significance group


class BootstrapReport(BaseModel):
    metric: str
    n_images: int
    n_resamples: int
    level: float
    seed: int
    entries: list[EntryStats]  # ordered by mean, best first


def bootstrap(
    scores: dict[str, np.ndarray],
    *,
    metric: str = "psnr",
    n_resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    higher_is_better: bool = True,
) -> BootstrapReport:
    """``scores``: entry name -> per-image values over the same images in the same order."""
    if not scores:
        raise ValueError("no entries to compare")
    names = list(scores)
    matrix = np.stack([np.asarray(scores[n], dtype=np.float64) for n in names])
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise ValueError("every entry needs the same, non-zero number of per-image scores")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("per-image scores must be finite")
    if n_resamples < 1:
        raise ValueError("n_resamples must be positive")
    n = matrix.shape[1]
    means = matrix.mean(axis=1)
    order = np.argsort(-means if higher_is_better else means, kind="stable")
    rng = np.random.default_rng(seed)
    resampled = np.empty((len(names), n_resamples))
    chunk = max(1, 2_000_000 // max(1, n))  # bounded memory for many images
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        resampled[:, start:stop] = matrix[:, idx].mean(axis=2)
    alpha = (1 - level) / 2
    lows, highs = np.quantile(resampled, [alpha, 1 - alpha], axis=1)
    entries, group = [], 1
    for pos, i in enumerate(order):
        p = None
        if pos + 1 < len(order):
            j = order[pos + 1]
            diff = resampled[i] - resampled[j] if higher_is_better else resampled[j] - resampled[i]
            p = float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))
        entries.append(
            EntryStats(
                name=names[i],
                mean=float(means[i]),
                ci_low=float(lows[i]),
                ci_high=float(highs[i]),
                p_order=p,
                group=group,
            )
        )
        if p is not None and p >= level:
            group += 1
    return BootstrapReport(metric=metric, n_images=n, n_resamples=n_resamples, level=level, seed=seed, entries=entries)
