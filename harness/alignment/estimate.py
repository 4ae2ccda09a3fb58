"""Estimate the geometric transform between two images on the packed grid.

Phase correlation (scikit-image) gives a coarse integer-and-a-tenth shift; ECC (OpenCV's
``findTransformECC``) refines it as a translation or as an affine map. Both images are
single-plane float arrays of one shape, e.g. the ground truth's mean packed channel (the
*template*) and the linearised luminance of an input or a prediction's mean channel (the
*moving* image). OpenCV is imported only when an estimate is made.

The result maps template coordinates to moving coordinates, in (row, column) order:
``[y_m, x_m] = A @ [y_t, x_t] + t``, so ``moving(W(p)) ~ template(p)`` and warping the moving
image by it (``harness.alignment.warp``) puts it on the template's grid.
"""

from __future__ import annotations

import enum
import math
import warnings

import numpy as np
from pydantic import BaseModel

ECC_ITERATIONS = 300
ECC_EPSILON = 1e-7
ECC_GAUSS = 3  # OpenCV blurs both images with this Gaussian kernel size before ECC
POLISH_ITERATIONS = 20
POLISH_TOLERANCE = 1e-3  # packed pixels a step may still move a corner when the polish stops
POLISH_SUBSAMPLE_FROM = 128  # images at least this large are polished on every other row and column
PHASE_UPSAMPLE = 10  # phase correlation resolves a tenth of a pixel; ECC does the rest


class Motion(enum.StrEnum):
    """The ECC motion model: ``translation`` for aligned tracks, ``affine`` for misaligned ones."""

    TRANSLATION = "translation"
    AFFINE = "affine"


class Transform(BaseModel):
    """A 2x3 affine map from template (ground-truth) to moving coordinates, (row, column) order.

    ``shift`` is the displacement at the image centre, ``[dy, dx]`` in packed pixels: where the
    template's centre lies in the moving image, minus the centre. ``scale`` is ``sqrt(|det A|)``,
    above 1 when the moving image shows the content larger. ``cc`` is ECC's correlation
    coefficient reached (None where it could not be measured, e.g. an image without texture).
    """

    matrix: list[list[float]]
    shape: tuple[int, int]
    shift: tuple[float, float]
    scale: float
    cc: float | None

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, shape: tuple[int, int], cc: float | None) -> Transform:
        m = np.asarray(matrix, dtype=np.float64).reshape(2, 3)
        centre = (np.asarray(shape, dtype=np.float64) - 1) / 2
        shift = m[:, :2] @ centre + m[:, 2] - centre
        scale = math.sqrt(abs(float(np.linalg.det(m[:, :2]))))
        return cls(
            matrix=m.tolist(),
            shape=(int(shape[0]), int(shape[1])),
            shift=(float(shift[0]), float(shift[1])),
            scale=scale,
            cc=None if cc is None or not math.isfinite(cc) else float(cc),
        )

    @classmethod
    def identity(cls, shape: tuple[int, int], cc: float = 1.0) -> Transform:
        return cls.from_matrix(np.array([[1.0, 0, 0], [0, 1.0, 0]]), shape, cc)

    @property
    def linear(self) -> np.ndarray:
        return np.asarray(self.matrix, dtype=np.float64)[:, :2]

    @property
    def offset(self) -> np.ndarray:
        return np.asarray(self.matrix, dtype=np.float64)[:, 2]


def _standardise(a: np.ndarray, what: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{what} must be one plane (h, w), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{what} holds NaN or infinite values")
    sd = a.std()
    return ((a - a.mean()) / (sd if sd > 0 else 1.0)).astype(np.float32)


def coarse_shift(template: np.ndarray, moving: np.ndarray) -> tuple[float, float]:
    """Phase correlation: where the template's content lies in the moving image, ``[dy, dx]``."""
    from skimage.registration import phase_cross_correlation

    with warnings.catch_warnings():  # a flat image: scikit-image warns, the shift is 0 and ECC says the rest
        warnings.simplefilter("ignore", UserWarning)
        shift, _err, _phase = phase_cross_correlation(
            template, moving, upsample_factor=PHASE_UPSAMPLE, normalization=None
        )
    # scikit-image returns the shift that registers ``moving`` onto ``template``: its opposite
    return (-float(shift[0]), -float(shift[1]))


def estimate_transform(template: np.ndarray, moving: np.ndarray, motion: Motion | str = Motion.AFFINE) -> Transform:
    """The transform from ``template`` coordinates to ``moving`` ones (see the module docstring).

    Phase correlation starts ECC at the right translation; ECC then refines a translation
    (``motion="translation"``) or a full affine map. An ECC that does not converge gives the
    phase-correlation translation with ``cc`` None, which every threshold leaves out.
    """
    import cv2

    motion = Motion(motion)
    t = _standardise(template, "template")
    m = _standardise(moving, "moving image")
    if t.shape != m.shape:
        raise ValueError(f"shapes differ: template {t.shape}, moving image {m.shape}")
    dy, dx = coarse_shift(t, m)
    warp = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float32)  # OpenCV's (x, y) order
    model = cv2.MOTION_TRANSLATION if motion is Motion.TRANSLATION else cv2.MOTION_AFFINE
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, ECC_ITERATIONS, ECC_EPSILON)
    try:
        _cc, warp = cv2.findTransformECC(t, m, warp, model, criteria, None, ECC_GAUSS)
    except cv2.error:  # no convergence: the polish starts from phase correlation's translation
        pass
    (a11, a12, tx), (a21, a22, ty) = np.asarray(warp, dtype=np.float64)
    rowcol = np.array([[a22, a21, ty], [a12, a11, tx]])
    rowcol, cc = polish(t.astype(np.float64), m.astype(np.float64), rowcol, motion)
    return Transform.from_matrix(rowcol, t.shape, cc)


def _inside(coords: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return (coords[0] >= 1) & (coords[0] <= shape[0] - 2) & (coords[1] >= 1) & (coords[1] <= shape[1] - 2)


def polish(template: np.ndarray, moving: np.ndarray, matrix: np.ndarray, motion: Motion) -> tuple[np.ndarray, float]:
    """Refine ``matrix`` in float64 and return it with the correlation coefficient it reaches.

    OpenCV's ECC samples the moving image through ``warpAffine``, whose bilinear weights sit on a
    1/32-pixel grid; that bounds its precision to a few hundredths of a pixel. This finishes the
    same job exactly: Gauss-Newton on ``gain * moving(W(p)) + bias - template(p)`` over the pixels
    whose warped position lies inside the moving image, sampling with cubic splines (scipy).
    The coefficient is the Pearson correlation of template and warped moving image over those
    pixels (the quantity ECC maximises).
    """
    from scipy.ndimage import map_coordinates, spline_filter

    shape = template.shape
    coeffs = spline_filter(moving, order=3, mode="nearest")
    step_px = 2 if min(shape) >= POLISH_SUBSAMPLE_FROM else 1  # every other pixel of a large image is plenty
    ys, xs = np.mgrid[0 : shape[0] : step_px, 0 : shape[1] : step_px].astype(np.float64)
    grid = np.stack([ys.ravel(), xs.ravel()])
    flat_t = template[::step_px, ::step_px].ravel()
    # Gauss-Newton with the template's gradient standing in for the warped image's: they agree at
    # the solution, and the residual, which decides where that is, is sampled exactly at each step
    gy, gx = (g[::step_px, ::step_px].ravel() for g in np.gradient(template))
    y, x = grid
    if motion is Motion.TRANSLATION:
        jac_all = np.stack([gy, gx], axis=1)
    else:
        jac_all = np.stack([gy * y, gy * x, gy, gx * y, gx * x, gx], axis=1)
    reach = 1.0 if motion is Motion.TRANSLATION else float(max(shape))
    m = np.asarray(matrix, dtype=np.float64).copy()

    def sample(coords: np.ndarray) -> np.ndarray:
        return map_coordinates(coeffs, coords, order=3, mode="nearest", prefilter=False)

    def warped(m: np.ndarray) -> np.ndarray:
        # element-wise, not a matrix product: BLAS threads stall on a busy machine for no gain here
        return np.stack([m[0, 0] * y + m[0, 1] * x + m[0, 2], m[1, 0] * y + m[1, 1] * x + m[1, 2]])

    for _ in range(POLISH_ITERATIONS):
        coords = warped(m)
        keep = _inside(coords, shape)
        if keep.sum() < 0.25 * flat_t.size:
            return m, float("nan")  # the warp leaves the image: nothing to compare
        v = sample(coords[:, keep])
        t = flat_t[keep]
        # the moving image's gain and bias against the template, by least squares
        vc = v - v.mean()
        gain = float(np.sum(vc * (t - t.mean())) / max(float(np.sum(vc * vc)), 1e-12))
        resid = t - (gain * vc + t.mean())
        jac = jac_all[keep]  # gain * d(moving(W p)) / d(parameters), approximately
        try:
            # einsum, not BLAS: a 6x6 system gains nothing from BLAS threads, which a busy machine stalls
            step = np.linalg.solve(np.einsum("ij,ik->jk", jac, jac), np.einsum("ij,i->j", jac, resid))
        except np.linalg.LinAlgError:  # a flat image: no gradient to align by
            return m, float("nan")
        if motion is Motion.TRANSLATION:
            m[:, 2] += step
        else:
            m += step.reshape(2, 3)
        if np.abs(step).max() * reach < POLISH_TOLERANCE:
            break
    coords = warped(m)
    keep = _inside(coords, shape)
    cc = float(np.corrcoef(flat_t[keep], sample(coords[:, keep]))[0, 1]) if keep.sum() > 2 else float("nan")
    return m, cc
