"""Speed of the scoring engine against a straightforward scipy/numpy restatement of the recipe.

Both run in this process on the same inputs; the script prints times, the speed-up ratio and
the largest disagreement. Reference: ``harness.metrics.reference`` (the official recipe, one
``scipy.ndimage.gaussian_filter`` call per statistic and channel, float64).

    python benchmarks/bench_metric.py [--json] [--repeat N] [--patches N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from harness.metrics import ScoringEngine
from harness.metrics.engine import default_workers
from harness.metrics.reference import psnr_reference, ssim_reference
from harness.scoring import score_directories
from harness.synth import degrade, synthetic_raw

FULL = (1512, 2016)
PATCH = (252, 252)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def reference(gt, pred):
    return psnr_reference(gt, pred), ssim_reference(gt, pred)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--repeat", type=int, default=10, help="timing repeats (best is kept)")
    ap.add_argument("--patches", type=int, default=48, help="patches in the patch benchmark")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    workers = default_workers()
    results = {"workers": workers}

    gt = synthetic_raw(rng, *FULL)
    pred = degrade(gt, rng, "noisy")
    patches = [(g := synthetic_raw(rng, *PATCH), degrade(g, rng, "blurred")) for _ in range(args.patches)]

    with ScoringEngine(workers=workers) as engine:
        engine.score(gt[:64, :64], pred[:64, :64])  # JIT warm-up (cached after the first run)
        ours_full = engine.score(gt, pred)
        t_full = best_of(lambda: engine.score(gt, pred), args.repeat)
        t_patch = best_of(lambda: [h.result() for h in [engine.submit(g, p) for g, p in patches]], args.repeat) / len(
            patches
        )
        ours_patches = [engine.score(g, p) for g, p in patches]

    ref_full = reference(gt, pred)
    t_ref_full = best_of(lambda: reference(gt, pred), max(1, args.repeat - 1))
    n_ref = min(len(patches), 12)
    t_ref_patch = best_of(lambda: [reference(g, p) for g, p in patches[:n_ref]], args.repeat) / n_ref
    ref_patches = [reference(g, p) for g, p in patches]

    results["full"] = {
        "shape": [*FULL, 4],
        "reference_s": t_ref_full,
        "engine_s": t_full,
        "speedup": t_ref_full / t_full,
        "max_abs_diff_ssim": abs(ours_full.ssim - ref_full[1]),
        "psnr_identical": ours_full.psnr == ref_full[0],
    }
    results["patch"] = {
        "shape": [*PATCH, 4],
        "n": len(patches),
        "reference_s": t_ref_patch,
        "engine_s": t_patch,
        "speedup": t_ref_patch / t_patch,
        "max_abs_diff_ssim": max(abs(o.ssim - r[1]) for o, r in zip(ours_patches, ref_patches, strict=True)),
        "psnr_identical": all(o.psnr == r[0] for o, r in zip(ours_patches, ref_patches, strict=True)),
    }

    # end to end on files: `harness score` on a folder vs np.load + reference per file
    with tempfile.TemporaryDirectory() as tmp:
        gdir, pdir = Path(tmp, "gt"), Path(tmp, "pred")
        gdir.mkdir()
        pdir.mkdir()
        for i, (g, p) in enumerate(patches):
            np.save(gdir / f"0_{i}.npy", g)
            np.save(pdir / f"0_{i}.npy", p)
        t_dir = best_of(lambda: score_directories(pdir, gdir, workers=workers), args.repeat)
        t_dir_ref = (
            best_of(
                lambda: [reference(np.load(gdir / f"0_{i}.npy"), np.load(pdir / f"0_{i}.npy")) for i in range(n_ref)], 1
            )
            * len(patches)
            / n_ref
        )
    results["folder_of_patches"] = {
        "n": len(patches),
        "reference_s": t_dir_ref,
        "engine_s": t_dir,
        "speedup": t_dir_ref / t_dir,
    }

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"scoring engine vs scipy reference restatement, {workers} worker thread(s)")
    for key, label in (
        ("full", "full-resolution 1512x2016x4"),
        ("patch", "patch 252x252x4 (per patch)"),
        ("folder_of_patches", f"folder of {len(patches)} patches, files"),
    ):
        r = results[key]
        extra = (
            f"  max |dSSIM| {r['max_abs_diff_ssim']:.1e}  PSNR identical {r['psnr_identical']}"
            if "max_abs_diff_ssim" in r
            else ""
        )
        print(
            f"{label:34s} reference {r['reference_s'] * 1e3:9.2f} ms  engine {r['engine_s'] * 1e3:8.2f} ms  ratio {r['speedup']:6.1f}x{extra}"
        )


if __name__ == "__main__":
    main()
