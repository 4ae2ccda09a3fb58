"""Put a prediction on the ground truth's grid, and the crop where every warp has data.

Each packed plane is resampled at ``W(p)`` (``harness.alignment.estimate.Transform``) with cubic
B-spline interpolation (``scipy.ndimage.affine_transform``, order 3, edge samples repeated), then
rounded and clipped to the profile's range as uint16, so the official metric code scores it as it
scores any prediction. Rounding keeps an identity warp exact.

The crop is central and the same on every side: the smallest margin ``m`` such that every pixel
of ``[m, h-1-m] x [m, w-1-m]`` maps inside the prediction. An affine map sends a rectangle to a
parallelogram, so checking the four corners is enough. A split's crop is the largest margin over
its included images: every image is scored on the same central rectangle.
"""

from __future__ import annotations

import numpy as np

from harness.alignment.estimate import Transform


def warp_raw(pred: np.ndarray, transform: Transform, max_value: int) -> np.ndarray:
    """``pred`` (h, w, c) resampled plane by plane at the transform's positions, uint16."""
    from scipy.ndimage import affine_transform

    pred = np.asarray(pred)
    if tuple(pred.shape[:2]) != tuple(transform.shape):
        raise ValueError(f"prediction is {pred.shape[0]}x{pred.shape[1]}, its transform was made for {transform.shape}")
    out = np.empty(pred.shape, dtype=np.uint16)
    for c in range(pred.shape[2]):
        plane = affine_transform(
            pred[..., c].astype(np.float64), transform.linear, transform.offset, order=3, mode="nearest"
        )
        out[..., c] = np.clip(np.rint(plane), 0, max_value)
    return out


def covered_margin(transform: Transform) -> int:
    """The smallest central margin whose rectangle the transform maps inside the image."""
    h, w = transform.shape
    a, t = transform.linear, transform.offset
    for m in range(0, (min(h, w) + 1) // 2):
        corners = np.array([[m, m], [m, w - 1 - m], [h - 1 - m, m], [h - 1 - m, w - 1 - m]], dtype=np.float64)
        mapped = corners @ a.T + t
        tol = 1e-9
        if (
            (mapped[:, 0] >= -tol).all()
            and (mapped[:, 0] <= h - 1 + tol).all()
            and ((mapped[:, 1] >= -tol).all() and (mapped[:, 1] <= w - 1 + tol).all())
        ):
            return m
    return (min(h, w) + 1) // 2


def crop(a: np.ndarray, margin: int) -> np.ndarray:
    """The central part of ``a`` without ``margin`` pixels on each side (contiguous)."""
    if margin == 0:
        return a
    return np.ascontiguousarray(a[margin:-margin, margin:-margin])
