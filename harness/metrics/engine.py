"""The fast scoring engine: PSNR and SSIM of packed RAW pairs, profile ``aim22``.

Agrees with :mod:`harness.metrics.reference` (the official recipe restated with scipy) to
about 1e-15 per image; PSNR is bit-identical. Work is split into rectangles of the SSIM map
and run on a thread pool (the numba kernel releases the GIL); partial sums are combined in a
fixed order, so the result does not depend on the number of workers.

Importing this module is cheap: numba and the compiled kernels (``_kernel``, cached on disk
after the first run) are loaded when the first :class:`ScoringEngine` is made, so callers can
read their inputs meanwhile.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from harness.metrics.profiles import AIM22, MetricProfile, psnr_from_sse

TILE_COLS = 96  # output pixels per work item, across (384 doubles a row); measured best of 32..256
BAND_ROWS = 512  # output rows per work item
CHUNKS_PER_WORKER = 1  # work chunks handed to each thread per image


@dataclass(frozen=True)
class PairScore:
    """Metric values of one image."""

    psnr: float
    ssim: float

    @property
    def identical(self) -> bool:
        """True when prediction and ground truth are equal (PSNR is the 999 sentinel)."""
        return self.psnr == AIM22.psnr_identical


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def plan_items(h: int, w: int, profile: MetricProfile = AIM22) -> np.ndarray:
    """Cut the cropped SSIM window of an (h, w) image into (r0, r1, c0, c1) work items."""
    c = profile.crop
    rows = list(range(c, h - c, BAND_ROWS)) + [h - c]
    cols = list(range(c, w - c, TILE_COLS)) + [w - c]
    items = [(rows[i], rows[i + 1], cols[j], cols[j + 1]) for i in range(len(rows) - 1) for j in range(len(cols) - 1)]
    return np.asarray(items, dtype=np.int64).reshape(-1, 4)


def check_pair(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22) -> None:
    """Raise ``ValueError`` unless gt and pred are scoreable arrays of the profile (packed RAW uint16, 8-bit RGB)."""
    dtype = np.dtype(np.uint8 if profile.max_value <= 255 else np.uint16)
    for name, a in (("ground truth", gt), ("prediction", pred)):
        if a.dtype != dtype:
            raise ValueError(f"{name} must be {dtype}, got {a.dtype}")
        if a.ndim != 3 or a.shape[2] != profile.channels:
            raise ValueError(f"{name} must have shape (h, w, {profile.channels}), got {a.shape}")
    if gt.shape != pred.shape:
        raise ValueError(f"shapes differ: ground truth {gt.shape}, prediction {pred.shape}")
    h, w = gt.shape[:2]
    if min(h, w) < profile.min_size:
        raise ValueError(
            f"image {h}x{w} is too small: SSIM crops {profile.crop} pixels per side, "
            f"so height and width must be at least {profile.min_size}"
        )


class ScoringEngine:
    """Scores packed RAW pairs on ``workers`` threads.

    Use as a context manager or call :meth:`close`. ``submit`` returns at once so the caller
    can keep several images in flight (small patches then still use every core).
    """

    def __init__(self, profile: MetricProfile = AIM22, workers: int | None = None) -> None:
        from harness.metrics import _kernel  # numba: imported by the first engine, not by importers

        if profile.radius != _kernel.RADIUS or profile.channels != 4:
            raise ValueError(f"the fast engine is compiled for radius {_kernel.RADIUS}, 4 channels")
        self._kernel = _kernel
        self.profile = profile
        self.workers = max(1, workers or default_workers())
        self._weights = profile.gaussian_weights()
        scale = profile.normaliser * profile.normaliser
        self._c1 = profile.c1 * scale
        self._c2 = profile.c2 * scale
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="score")

    def __enter__(self) -> ScoringEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _chunk(self, g, p, items, out, sse_rows) -> int:
        if len(items):
            part = np.empty((len(items), 4))
            self._kernel.ssim_items(g, p, self._weights, items, self._c1, self._c2, part)
            out.append(part)
        return int(self._kernel.sse_rows(g, p, sse_rows[0], sse_rows[1]))

    def submit(self, gt: np.ndarray, pred: np.ndarray) -> PendingScore:
        """Start scoring one pair; returns a handle whose ``result()`` is a :class:`PairScore`."""
        check_pair(gt, pred, self.profile)
        h, w, _ = gt.shape
        g = np.ascontiguousarray(gt).reshape(h, w * 4)
        p = np.ascontiguousarray(pred).reshape(h, w * 4)
        items = plan_items(h, w, self.profile)
        n = min(CHUNKS_PER_WORKER * self.workers, len(items))
        item_chunks = np.array_split(items, n)
        row_bounds = np.linspace(0, h, n + 1).astype(int)
        parts: list[list[np.ndarray]] = [[] for _ in range(n)]
        futures = [
            self._pool.submit(self._chunk, g, p, item_chunks[i], parts[i], (row_bounds[i], row_bounds[i + 1]))
            for i in range(n)
        ]
        count = (h - 2 * self.profile.crop) * (w - 2 * self.profile.crop)
        return PendingScore(futures, parts, count, h * w * 4, self.profile)

    def score(self, gt: np.ndarray, pred: np.ndarray) -> PairScore:
        """Score one pair and wait for the result."""
        return self.submit(gt, pred).result()


class PendingScore:
    """An image being scored; ``result()`` waits and combines the parts in a fixed order."""

    def __init__(self, futures: list[Future], parts, count: int, n_values: int, profile) -> None:
        self._futures = futures
        self._parts = parts
        self._count = count
        self._n_values = n_values
        self._profile = profile

    def result(self) -> PairScore:
        sse = sum(f.result() for f in self._futures)
        sums = np.concatenate([pp for chunk in self._parts for pp in chunk]).sum(axis=0)
        ssim = float(np.mean(sums / self._count))
        return PairScore(psnr=psnr_from_sse(sse, self._n_values, self._profile), ssim=ssim)


def score_pair(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22, workers: int | None = 1) -> PairScore:
    """Score one packed RAW pair (uint16, (h, w, 4)) with the fast engine.

    Parameters
    ----------
    gt, pred : ndarray
        Ground truth and prediction, uint16, shape (h, w, 4), h and w at least 11.
    profile : MetricProfile, optional
        The metric recipe; only ``aim22`` exists.
    workers : int, optional
        Threads to use (default 1; ``None`` means every core).

    Returns
    -------
    PairScore
        ``psnr`` (999.0 when the images are identical) and ``ssim``.

    Notes
    -----
    PSNR = 10 log10(1 / mean((x - y)^2)) with x = gt / 1024, y = pred / 1024 over all h*w*4
    values, computed from the exact integer sum of squared differences (bit-identical to the
    float64 recipe). SSIM: per channel, Gaussian-weighted local statistics with sigma 1.5 and
    13 taps (scipy.ndimage.gaussian_filter defaults, 'reflect' borders), population
    (co)variances, C1 = 0.01^2, C2 = 0.03^2; the map is averaged over [5:-5, 5:-5] and the
    four channel values are averaged.
    """
    with ScoringEngine(profile, workers) as engine:
        return engine.score(gt, pred)
