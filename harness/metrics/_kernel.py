"""Numba kernel of the fused PSNR/SSIM computation (profile radius fixed at compile time).

One call handles a list of work items, each a rectangle of the *cropped* SSIM map. For each
item the kernel streams input rows top to bottom: it blurs each new row horizontally (4
quantities u, v, u*u + v*v, u*v, all four channels at once, since packed channels interleave
at stride 4), keeps the last 16 blurred rows in a ring, blurs the ring vertically four output
rows at a time (the 16 loaded rows serve all four), and adds the SSIM map values straight into
per-element accumulators. No full-size temporary is allocated.

The 13 taps are written out: the Gaussian is symmetric, so mirrored samples are added before
one multiply (half the fused multiply-adds), and explicit taps let LLVM vectorise each loop.

Values stay in raw sensor units (integers) and the SSIM constants are scaled by the
normaliser squared; the normaliser 1024 is a power of two, so this scaling is exact.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from harness.metrics.profiles import AIM22

RADIUS = AIM22.radius  # 6 for sigma 1.5, truncate 4.0
TAPS = 2 * RADIUS + 1
BLOCK = 4  # output rows blurred vertically per pass: their 16 input rows are loaded once
RING = TAPS + BLOCK - 1
NQ = 4  # blurred quantities: u, v, u*u + v*v, u*v
if TAPS != 13:  # the taps below are written out for radius 6
    raise ImportError(f"kernel is written for 13 taps, profile needs {TAPS}")


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _reflect(i, n):
    """scipy.ndimage 'reflect' index (d c b a | a b c d | d c b a), any distance."""
    period = 2 * n
    i = i % period
    if i >= n:
        i = period - 1 - i
    return i


@njit(cache=True, nogil=True, fastmath={"contract"}, boundscheck=False, error_model="numpy")
def _ssim_accumulate(v, acc, c1, c2):
    """acc += SSIM map of one output row from its blurred statistics v (NQ, tw)."""
    mu1 = v[0]
    mu2 = v[1]
    sq = v[2]
    sx = v[3]
    for m in range(acc.shape[0]):
        m12 = mu1[m] * mu2[m]
        m11 = mu1[m] * mu1[m] + mu2[m] * mu2[m]
        num = (2.0 * m12 + c1) * (2.0 * (sx[m] - m12) + c2)
        den = (m11 + c1) * ((sq[m] - m11) + c2)
        acc[m] += num / den


@njit(cache=True, nogil=True, fastmath={"contract"}, boundscheck=False, error_model="numpy")
def _ssim_accumulate_pair(va, vb, acc, c1, c2):
    """acc += SSIM maps of two output rows; one division for both (n1/d1 + n2/d2)."""
    ua = va[0]
    pa = va[1]
    qa = va[2]
    xa = va[3]
    ub = vb[0]
    pb = vb[1]
    qb = vb[2]
    xb = vb[3]
    for m in range(acc.shape[0]):
        m12 = ua[m] * pa[m]
        m11 = ua[m] * ua[m] + pa[m] * pa[m]
        num_a = (2.0 * m12 + c1) * (2.0 * (xa[m] - m12) + c2)
        den_a = (m11 + c1) * ((qa[m] - m11) + c2)
        m12 = ub[m] * pb[m]
        m11 = ub[m] * ub[m] + pb[m] * pb[m]
        num_b = (2.0 * m12 + c1) * (2.0 * (xb[m] - m12) + c2)
        den_b = (m11 + c1) * ((qb[m] - m11) + c2)
        acc[m] += (num_a * den_b + num_b * den_a) / (den_a * den_b)


@njit(cache=True, nogil=True, fastmath={"contract"}, boundscheck=False, error_model="numpy")
def ssim_items(g, p, weights, items, c1, c2, out):
    """Sum the SSIM map over each work item.

    g, p    : uint16 arrays (h, w * 4), C-contiguous (packed RAW rows).
    weights : float64 (13,) symmetric Gaussian kernel.
    items   : int64 (n, 4) rows of (r0, r1, c0, c1) in output pixel coordinates, all inside
              the crop window.
    out     : float64 (n, 4) per item and channel: the SSIM map sum.
    """
    w0 = weights[0]
    w1 = weights[1]
    w2 = weights[2]
    w3 = weights[3]
    w4 = weights[4]
    w5 = weights[5]
    w6 = weights[6]
    h = g.shape[0]
    width = g.shape[1] // 4
    for it in range(items.shape[0]):
        r0 = items[it, 0]
        r1 = items[it, 1]
        col0 = items[it, 2]
        col1 = items[it, 3]
        tw = (col1 - col0) * 4
        iw = tw + 8 * RADIUS
        start = (col0 - RADIUS) * 4
        inside = col0 - RADIUS >= 0 and col1 + RADIUS <= width
        src = np.empty(iw, np.int64)
        for e in range(iw):
            src[e] = _reflect(col0 - RADIUS + e // 4, width) * 4 + e % 4
        row = np.empty((NQ, iw))
        ring = np.empty((NQ, RING, tw))
        stats = np.empty((BLOCK, NQ, tw))
        acc = np.zeros(tw)
        first = r0 - RADIUS
        for ii in range(first, r1 + RADIUS):
            sr = _reflect(ii, h)
            gr = g[sr]
            pr = p[sr]
            ru = row[0]
            rv = row[1]
            rq = row[2]
            rx = row[3]
            if inside:
                gs = gr[start : start + iw]
                ps = pr[start : start + iw]
                for e in range(iw):
                    ru[e] = np.float64(gs[e])
                for e in range(iw):
                    rv[e] = np.float64(ps[e])
            else:
                for e in range(iw):
                    ru[e] = np.float64(gr[src[e]])
                    rv[e] = np.float64(pr[src[e]])
            for e in range(iw):
                a = ru[e]
                b = rv[e]
                rq[e] = a * a + b * b
                rx[e] = a * b
            slot = (ii - first) % RING
            for q in range(NQ):
                x = row[q]
                dst = ring[q, slot]
                for m in range(tw):
                    dst[m] = (
                        w0 * (x[m] + x[m + 48])
                        + w1 * (x[m + 4] + x[m + 44])
                        + w2 * (x[m + 8] + x[m + 40])
                        + w3 * (x[m + 12] + x[m + 36])
                        + w4 * (x[m + 16] + x[m + 32])
                        + w5 * (x[m + 20] + x[m + 28])
                        + w6 * x[m + 24]
                    )
            o = ii - RADIUS  # the newest output row whose 13 inputs are all blurred
            if o < r0:
                continue
            k = (o - r0) % BLOCK
            if k == BLOCK - 1:
                top = (ii - RING + 1 - first) % RING  # rows ii-15 .. ii feed outputs o-3 .. o
                for q in range(NQ):
                    rr = ring[q]
                    a0 = rr[top]
                    a1 = rr[(top + 1) % RING]
                    a2 = rr[(top + 2) % RING]
                    a3 = rr[(top + 3) % RING]
                    a4 = rr[(top + 4) % RING]
                    a5 = rr[(top + 5) % RING]
                    a6 = rr[(top + 6) % RING]
                    a7 = rr[(top + 7) % RING]
                    a8 = rr[(top + 8) % RING]
                    a9 = rr[(top + 9) % RING]
                    a10 = rr[(top + 10) % RING]
                    a11 = rr[(top + 11) % RING]
                    a12 = rr[(top + 12) % RING]
                    a13 = rr[(top + 13) % RING]
                    a14 = rr[(top + 14) % RING]
                    a15 = rr[(top + 15) % RING]
                    da = stats[0, q]
                    db = stats[1, q]
                    dc = stats[2, q]
                    dd = stats[3, q]
                    for m in range(tw):
                        x0 = a0[m]
                        x1 = a1[m]
                        x2 = a2[m]
                        x3 = a3[m]
                        x4 = a4[m]
                        x5 = a5[m]
                        x6 = a6[m]
                        x7 = a7[m]
                        x8 = a8[m]
                        x9 = a9[m]
                        x10 = a10[m]
                        x11 = a11[m]
                        x12 = a12[m]
                        x13 = a13[m]
                        x14 = a14[m]
                        x15 = a15[m]
                        da[m] = (
                            w0 * (x0 + x12)
                            + w1 * (x1 + x11)
                            + w2 * (x2 + x10)
                            + w3 * (x3 + x9)
                            + w4 * (x4 + x8)
                            + w5 * (x5 + x7)
                            + w6 * x6
                        )
                        db[m] = (
                            w0 * (x1 + x13)
                            + w1 * (x2 + x12)
                            + w2 * (x3 + x11)
                            + w3 * (x4 + x10)
                            + w4 * (x5 + x9)
                            + w5 * (x6 + x8)
                            + w6 * x7
                        )
                        dc[m] = (
                            w0 * (x2 + x14)
                            + w1 * (x3 + x13)
                            + w2 * (x4 + x12)
                            + w3 * (x5 + x11)
                            + w4 * (x6 + x10)
                            + w5 * (x7 + x9)
                            + w6 * x8
                        )
                        dd[m] = (
                            w0 * (x3 + x15)
                            + w1 * (x4 + x14)
                            + w2 * (x5 + x13)
                            + w3 * (x6 + x12)
                            + w4 * (x7 + x11)
                            + w5 * (x8 + x10)
                            + w6 * x9
                        )
                _ssim_accumulate_pair(stats[0], stats[1], acc, c1, c2)
                _ssim_accumulate_pair(stats[2], stats[3], acc, c1, c2)
            elif o == r1 - 1:  # the item ends inside a block: the last k + 1 rows one by one
                for j in range(k + 1):
                    top = (o - k + j - RADIUS - first) % RING
                    for q in range(NQ):
                        rr = ring[q]
                        da = stats[0, q]
                        for m in range(tw):
                            s = w6 * rr[(top + 6) % RING, m]
                            for t in range(RADIUS):
                                s += weights[t] * (rr[(top + t) % RING, m] + rr[(top + 12 - t) % RING, m])
                            da[m] = s
                    _ssim_accumulate(stats[0], acc, c1, c2)
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
