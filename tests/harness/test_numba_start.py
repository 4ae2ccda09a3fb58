"""``harness score`` starts numba without its BLAS probe: that this still saves work, and breaks nothing.

Each check runs in a fresh interpreter, where numba's compiler is not loaded yet, and compares
what loading the cached kernels imports with and without the probe skipped (modules, not
seconds: the benchmark measures speed, ``benchmarks/bench_metric.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys

from harness.metrics.numba_start import PROBED, PROBING

# loads the kernels (first engine call) and reports what that imported; numba itself and the
# kernel module are imported before counting, so only numba's compiler start-up is compared
KERNEL_LOAD = """
import json, sys
import numpy as np
import harness.metrics._kernel
from harness.metrics.engine import score_pair
from harness.metrics.numba_start import numba_without_blas_probe
g = np.zeros((16, 16, 4), np.uint16)
before = set(sys.modules)
if sys.argv[1] == "skip":
    with numba_without_blas_probe():
        score = score_pair(g, g)
else:
    score = score_pair(g, g)
loaded = sorted(set(sys.modules) - before)
from numba.np import arraymath
print(json.dumps({"loaded": loaded, "have_blas": arraymath._HAVE_BLAS, "identical": score.identical}))
"""


def kernel_load(mode: str) -> dict:
    res = subprocess.run([sys.executable, "-c", KERNEL_LOAD, mode], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout)


def test_numba_still_probes_for_blas_when_its_compiler_starts():
    """If this fails numba no longer loads scipy.linalg at start-up: the skipper is dead weight, remove it."""
    plain = kernel_load("plain")
    assert plain["identical"]
    assert PROBING in plain["loaded"], "numba's compiler start-up no longer imports the probing module"
    assert "scipy.linalg" in plain["loaded"] and plain["have_blas"]


def test_skipping_the_probe_spares_scipy_linalg_and_its_imports():
    """If this fails the skipper no longer stops numba's probe (numba changed how it probes)."""
    plain, skip = kernel_load("plain"), kernel_load("skip")
    assert skip["identical"]
    # the probe ran and was answered "no BLAS": the skipper, not chance, kept scipy.linalg out
    assert PROBING in skip["loaded"] and skip["have_blas"] is False
    assert not [m for m in skip["loaded"] if m == "scipy.linalg" or m.startswith(("scipy.linalg.", "numpy.f2py"))]
    spared = set(plain["loaded"]) - set(skip["loaded"])
    assert {"scipy.linalg", "numpy.f2py", "numpy.testing"} <= spared
    # about 135 modules today (scipy.linalg clones numpy's namespace); far fewer means it saves little
    assert len(spared) >= 60, sorted(spared)
    assert not set(skip["loaded"]) - set(plain["loaded"])  # and it costs no import of its own


def test_skipping_the_probe_leaves_numba_and_scipy_whole():
    """After the block scipy.linalg imports again, and numba's BLAS-backed functions find the BLAS."""
    code = f"""
import sys
import numba
import numpy as np
from harness.metrics.engine import score_pair
from harness.metrics.numba_start import numba_without_blas_probe
g = np.zeros((16, 16, 4), np.uint16)
with numba_without_blas_probe():
    assert score_pair(g, g).identical
assert "scipy.linalg" not in sys.modules and {PROBED!r} not in sys.modules
import scipy.linalg.cython_blas  # importable again
@numba.njit
def dot(a, b):
    return np.dot(a, b)
a = np.arange(6.0).reshape(2, 3)
assert np.allclose(dot(a, a.T), a @ a.T)
with numba_without_blas_probe():  # once numba's compiler is loaded the block changes nothing
    assert sys.modules[{PROBED!r}] is not None
print("ok")
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]
