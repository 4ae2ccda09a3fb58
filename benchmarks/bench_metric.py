"""Speed of the scoring engine against a straightforward scipy/numpy restatement of the recipe.

Engine-only: both run in this process on the same inputs; the script prints times, the
speed-up ratio and the largest disagreement. Reference: ``harness.metrics.reference`` (the
official recipe, one ``scipy.ndimage.gaussian_filter`` call per statistic and channel, float64).

Whole process: ``python -m harness score PREDS GT --json`` (start-up, imports, numba's cached
kernels, reading and checking the files included) against a process that loads the same files
with ``np.load`` and runs the reference on them; subprocess wall times, median of a few runs,
on 6 generated full-resolution pairs (1512x2016x4 uint16). The same command is also timed with
numba's BLAS probe left in (``harness.metrics.numba_start``), to show what skipping it saves.

    python benchmarks/bench_metric.py [--json] [--repeat N] [--patches N] [--process-runs N] [--process-only]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from harness.metrics import ScoringEngine
from harness.metrics.engine import default_workers
from harness.metrics.reference import psnr_reference, ssim_reference
from harness.scoring import score_directories
from harness.sim.synth import degrade, synthetic_raw

FULL = (1512, 2016)
PATCH = (252, 252)
N_PROCESS_PAIRS = 6

# the reference as a participant would run it on files: np.load, then the plain scipy recipe
REFERENCE_PROCESS = """
import json, sys
from pathlib import Path
import numpy as np
from harness.metrics.reference import psnr_reference, ssim_reference
preds, gt = Path(sys.argv[1]), Path(sys.argv[2])
scores = []
for g in sorted(gt.glob("*.npy")):
    x, y = np.load(g, allow_pickle=False), np.load(preds / g.name, allow_pickle=False)
    scores.append((psnr_reference(x, y), ssim_reference(x, y)))
print(json.dumps({"psnr": float(np.mean([s[0] for s in scores])), "ssim": float(np.mean([s[1] for s in scores]))}))
"""

# `harness score` as above, but numba probes for a BLAS as it does by itself (scipy.linalg loaded)
CLI_WITH_PROBE = """
import contextlib, sys
import harness.metrics.numba_start as start
start.numba_without_blas_probe = contextlib.nullcontext
from harness.cli.app import app
app()
"""


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def reference(gt, pred):
    return psnr_reference(gt, pred), ssim_reference(gt, pred)


def timed_process(cmd: list[str]) -> tuple[float, dict]:
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - t, json.loads(res.stdout)


def whole_process(runs: int) -> dict:
    """``harness score`` as a process against the reference as a process, on the same files."""
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        gdir, pdir = Path(tmp, "gt"), Path(tmp, "preds")
        gdir.mkdir()
        pdir.mkdir()
        for i in range(N_PROCESS_PAIRS):
            g = synthetic_raw(rng, *FULL)
            np.save(gdir / f"{i}.npy", g)
            np.save(pdir / f"{i}.npy", degrade(g, rng, "noisy"))
        cli = [sys.executable, "-m", "harness", "score", str(pdir), str(gdir), "--json"]
        ref = [sys.executable, "-c", REFERENCE_PROCESS, str(pdir), str(gdir)]
        probed = [sys.executable, "-c", CLI_WITH_PROBE, "score", str(pdir), str(gdir), "--json"]
        timed_process(cli)  # numba's on-disk kernel cache and the page cache, as on any later run
        cli_runs, probed_runs, ref_runs = [], [], []
        for _ in range(runs):  # interleaved: a machine whose load changes weighs on all three alike
            cli_runs.append(timed_process(cli))
            probed_runs.append(timed_process(probed))
            ref_runs.append(timed_process(ref))
    t_cli = statistics.median(t for t, _ in cli_runs)
    t_probed = statistics.median(t for t, _ in probed_runs)
    t_ref = statistics.median(t for t, _ in ref_runs)
    ours, theirs = cli_runs[0][1], ref_runs[0][1]
    return {
        "n": N_PROCESS_PAIRS,
        "shape": [*FULL, 4],
        "runs": runs,
        "reference_s": t_ref,
        "engine_s": t_cli,
        "speedup": t_ref / t_cli,
        "with_blas_probe_s": t_probed,
        "speedup_with_blas_probe": t_ref / t_probed,
        "max_abs_diff_ssim": abs(ours["ssim"] - theirs["ssim"]),
        "psnr_identical": ours["psnr"] == theirs["psnr"] == probed_runs[0][1]["psnr"],
    }


def print_whole_process(w: dict) -> None:
    print(
        f"whole process (`python -m harness score --json` vs np.load + reference, median of {w['runs']} runs):"
        f" {w['speedup']:.1f}x (target >= 10x); with numba's BLAS probe left in:"
        f" {w['speedup_with_blas_probe']:.1f}x ({(w['with_blas_probe_s'] - w['engine_s']) * 1e3:+.0f} ms)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--repeat", type=int, default=10, help="timing repeats (best is kept)")
    ap.add_argument("--patches", type=int, default=48, help="patches in the patch benchmark")
    ap.add_argument("--process-runs", type=int, default=3, help="runs of each whole process (median is kept)")
    ap.add_argument("--process-only", action="store_true", help="only the whole-process comparison")
    args = ap.parse_args()
    if args.process_only:
        w = whole_process(args.process_runs)
        if args.json:
            print(json.dumps({"whole_process": w}, indent=2))
        else:
            print_whole_process(w)
        return
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

    results["whole_process"] = whole_process(args.process_runs)

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"scoring engine vs scipy reference restatement, {workers} worker thread(s)")
    for key, label in (
        ("full", "full-resolution 1512x2016x4"),
        ("patch", "patch 252x252x4 (per patch)"),
        ("folder_of_patches", f"folder of {len(patches)} patches, files"),
        ("whole_process", f"whole process, {N_PROCESS_PAIRS} full-res files"),
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
    print_whole_process(results["whole_process"])
    print(f"engine alone on one full-resolution image: {results['full']['speedup']:.1f}x")


if __name__ == "__main__":
    main()
