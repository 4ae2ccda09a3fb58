"""Numba kernel of the fused PSNR/SSIM computation (profile radius fixed at compile time).

One call handles a list of work items, each a rectangle of the *cropped* SSIM map. For each
item the kernel streams input rows top to bottom: it blurs each new row horizontally (4
quantities u, v, u*u + v*v, u*v, all four channels at once, since packed channels interleave
at stride 4), keeps the last 13 blurred rows in a ring, blurs the ring vertically, and adds the
SSIM map values straight into per-element accumulators. No full-size temporary is allocated.

Values stay in raw sensor units (integers) and the SSIM constants are scaled by the
normaliser squared; the normaliser 1024 is a power of two, so this scaling is exact.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from harness.metrics.profiles import AIM22

RADIUS = AIM22.radius  # 6 for sigma 1.5, truncate 4.0: a compile-time constant below
TAPS = 2 * RADIUS + 1
NQ = 4  # blurred quantities: u, v, u*u + v*v, u*v


@njit(cache=True, nogil=True, inline="always")
def _reflect(i: int, n: int) -> int:
    """scipy.ndimage 'reflect' index (d c b a | a b c d | d c b a), any distance."""
    period = 2 * n
    i = i % period
    if i >= n:
        i = period - 1 - i
    return i


@njit(cache=True, nogil=True, fastmath={"contract"}, boundscheck=False)
def ssim_items(g, p, weights, items, c1, c2, out):
    """Sum the SSIM map over each work item.

    g, p    : uint16 arrays (h, w * 4), C-contiguous (packed RAW rows).
    weights : float64 (TAPS,) Gaussian kernel.
    items   : int64 (n, 4) rows of (r0, r1, c0, c1) in output pixel coordinates, all inside
              the crop window [crop, h - crop) x [crop, w - crop).
    out     : float64 (n, 4) per item and channel: the SSIM map sum.
    """
    w0, w1, w2, w3, w4, w5, w6 = weights[0], weights[1], weights[2], weights[3], weights[4], weights[5], weights[6]
    w7, w8, w9, w10, w11, w12 = weights[7], weights[8], weights[9], weights[10], weights[11], weights[12]
    h = g.shape[0]
    width = g.shape[1] // 4
    for it in range(items.shape[0]):
        r0 = items[it, 0]
        r1 = items[it, 1]
        col0 = items[it, 2]
        col1 = items[it, 3]
        tw = (col1 - col0) * 4
        iw = tw + 8 * RADIUS
        src = np.empty(iw, np.int64)
        for e in range(iw):
            src[e] = _reflect(col0 - RADIUS + e // 4, width) * 4 + e % 4
        row = np.empty((NQ, iw))
        # each blurred row is stored twice (slot s and s + TAPS) so 13 consecutive rows are
        # always contiguous slots: no modulo in the vertical loop
        ring = np.empty((NQ, TAPS, tw))
        acc = np.zeros(tw)
        vert = np.empty((NQ, tw))
        first = r0 - RADIUS
        for ii in range(first, r1 + RADIUS):
            sr = _reflect(ii, h)
            gr = g[sr]
            pr = p[sr]
            for e in range(iw):
                a = np.float64(gr[src[e]])
                b = np.float64(pr[src[e]])
                row[0, e] = a
                row[1, e] = b
                row[2, e] = a * a + b * b
                row[3, e] = a * b
            slot = (ii - first) % TAPS
            for q in range(NQ):
                rq = row[q]
                dst = ring[q, slot]
                for m in range(tw):
                    s = (
                        w0 * rq[m]
                        + w1 * rq[m + 4]
                        + w2 * rq[m + 8]
                        + w3 * rq[m + 12]
                        + w4 * rq[m + 16]
                        + w5 * rq[m + 20]
                        + w6 * rq[m + 24]
                        + w7 * rq[m + 28]
                        + w8 * rq[m + 32]
                        + w9 * rq[m + 36]
                        + w10 * rq[m + 40]
                        + w11 * rq[m + 44]
                        + w12 * rq[m + 48]
                    )
                    dst[m] = s
            if ii - first >= 2 * RADIUS:
                base = (ii - first - 2 * RADIUS) % TAPS
                for q in range(NQ):
                    vq = vert[q]
                    rq = ring[q]
                    a0 = rq[(base + 0) % TAPS]
                    a1 = rq[(base + 1) % TAPS]
                    a2 = rq[(base + 2) % TAPS]
                    a3 = rq[(base + 3) % TAPS]
                    a4 = rq[(base + 4) % TAPS]
                    a5 = rq[(base + 5) % TAPS]
                    a6 = rq[(base + 6) % TAPS]
                    a7 = rq[(base + 7) % TAPS]
                    a8 = rq[(base + 8) % TAPS]
                    a9 = rq[(base + 9) % TAPS]
                    a10 = rq[(base + 10) % TAPS]
                    a11 = rq[(base + 11) % TAPS]
                    a12 = rq[(base + 12) % TAPS]
                    for m in range(tw):
                        vq[m] = (
                            w0 * a0[m]
                            + w1 * a1[m]
                            + w2 * a2[m]
                            + w3 * a3[m]
                            + w4 * a4[m]
                            + w5 * a5[m]
                            + w6 * a6[m]
                            + w7 * a7[m]
                            + w8 * a8[m]
                            + w9 * a9[m]
                            + w10 * a10[m]
                            + w11 * a11[m]
                            + w12 * a12[m]
                        )
                mu1 = vert[0]
                mu2 = vert[1]
                sq = vert[2]
                sx = vert[3]
                for m in range(tw):
                    m12 = mu1[m] * mu2[m]
                    m11 = mu1[m] * mu1[m] + mu2[m] * mu2[m]
                    num = (2.0 * m12 + c1) * (2.0 * (sx[m] - m12) + c2)
                    den = (m11 + c1) * ((sq[m] - m11) + c2)
                    acc[m] += num / den
        for c in range(4):
            s = 0.0
            for m in range(c, tw, 4):
                s += acc[m]
            out[it, c] = s


@njit(cache=True, nogil=True, boundscheck=False)
def sse_rows(g, p, r0, r1):
    """Exact integer sum of squared differences over rows [r0, r1)."""
    total = 0
    n = g.shape[1]
    for i in range(r0, r1):
        gr = g[i]
        pr = p[i]
        s = 0
        for j in range(n):
            d = np.int64(gr[j]) - np.int64(pr[j])
            s += d * d
        total += s
    return total
