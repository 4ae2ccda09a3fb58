"""Peak memory of refusing a model of millions of tiny nodes (a 56 MB file of 4 M nodes by default).

Reference: the same refusal done the former way, in one process: wire scan without message caps,
``ModelProto.ParseFromString``, then ``check_model`` counting the nodes (``too_many_nodes`` after the
parse). Measured: the peak resident set (VmHWM) of the process doing the static checks, each in a
fresh interpreter. Now: ``run_model`` in the calling process (the worker), which parses nothing, and
the check child it starts, which refuses at the wire scan; both figures are printed, as ratios
against the reference.

    python -m benchmarks.bench_model_refusal [--nodes 4000000] [--skip-reference]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUILD = """
import sys
from tests.submissions.model_helpers import tiny_nodes_bytes
open(sys.argv[1], "wb").write(tiny_nodes_bytes(int(sys.argv[2])))
"""

HWM = """
def hwm():
    return [int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
"""

REFERENCE = (
    HWM
    + """
import json, sys, time
from pathlib import Path
from submissions.model import ModelLimits
from submissions.model.upload import load_model
from submissions.model.errors import ModelRejected
from submissions.model.inspect import check_model
from submissions.model.manifest import default_manifest
path = Path(sys.argv[1])
t0 = time.perf_counter()
unbounded = ModelLimits(max_nodes=10**9, max_fields=10**9)  # the scan as it was: no message caps
try:
    check_model(load_model(path, path.name, unbounded), path.parent, default_manifest(), path.name, ModelLimits())
    codes = []
except ModelRejected as exc:
    codes = [e.code for e in exc.errors]
print(json.dumps({"peak_mb": hwm(), "codes": codes, "s": time.perf_counter() - t0}))
"""
)

NOW = (
    HWM
    + """
import json, sys, time
from pathlib import Path
from submissions.model import ModelLimits, run_model
from tests.submissions.model_helpers import tiny_track
path = Path(sys.argv[1])
start = hwm()
t0 = time.perf_counter()
report = run_model(path, tiny_track(), None, None, limits=ModelLimits(), work_root=path.parent, device="cpu")
print(json.dumps({"peak_mb": hwm(), "start_mb": start, "check_mb": report.check_peak_memory_mb,
                  "codes": [e.code for e in report.errors], "s": time.perf_counter() - t0}))
"""
)


def _run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=4_000_000)
    ap.add_argument("--skip-reference", action="store_true", help="only the new path (the reference takes GBs)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-model-") as tmp:
        path = Path(tmp) / "nodes.onnx"
        subprocess.run([sys.executable, "-c", BUILD, str(path), str(args.nodes)], check=True, cwd=ROOT)
        size = path.stat().st_size
        print(f"model: {args.nodes} tiny nodes, {size / 1e6:.1f} MB")
        t0 = time.perf_counter()
        now = _run(NOW, str(path))
        print(
            f"now:       worker peak {now['peak_mb']:.0f} MiB (started at {now['start_mb']:.0f}), check child peak "
            f"{now['check_mb']:.0f} MiB, {now['codes']}, {time.perf_counter() - t0:.1f} s"
        )
        if args.skip_reference:
            return
        ref = _run(REFERENCE, str(path))
        print(
            f"reference: parse in the checking process, peak {ref['peak_mb']:.0f} MiB, {ref['codes']}, {ref['s']:.1f} s"
        )
        print(
            f"ratio: worker peak / reference {now['peak_mb'] / ref['peak_mb']:.3f}, "
            f"check child peak / reference {now['check_mb'] / ref['peak_mb']:.3f}"
        )


if __name__ == "__main__":
    main()
