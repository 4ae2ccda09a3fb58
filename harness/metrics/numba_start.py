"""A short process's start of numba: the kernels load without numba's BLAS probe.

The first time numba readies its compiler (loading cached kernels does), its
``numba.np.arraymath`` imports ``scipy.linalg.cython_blas`` only to learn whether a BLAS is
there. That import loads the whole ``scipy.linalg`` package, which clones numpy's namespace
and with it ``numpy.f2py``, ``numpy.testing`` and ``numpy.ma``: about 135 modules and 0.1 s
of CPU, the largest single cost of ``harness score`` after numba itself. The scoring kernels
use no BLAS.

:func:`numba_without_blas_probe` answers that import with "not there" while the kernels load.
numba then computes inner products (``np.correlate``, ``np.convolve``) with its own loop
instead of BLAS; ``np.dot`` and ``np.linalg`` in numba code look the BLAS up again when they
are compiled and still find it. This is the one place tied to numba's internals (the module
it probes and the module that probes): ``tests/harness/test_numba_start.py`` fails when numba
stops probing at start-up (then this is dead weight and should go) or probes in a way this no
longer stops (then it saves nothing).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

PROBED = "scipy.linalg.cython_blas"  # what numba imports to learn whether a BLAS is there
PROBING = "numba.np.arraymath"  # the numba module whose import runs the probe, once


@contextmanager
def numba_without_blas_probe() -> Iterator[None]:
    """Load numba's compiler (and cached kernels) inside this block without the BLAS probe.

    Meant for a process that imports nothing from ``scipy.linalg`` in another thread meanwhile
    (``harness score``). Once numba's compiler or ``scipy.linalg`` is loaded it does nothing,
    and it leaves ``scipy.linalg`` importable as before when the block ends.
    """
    if PROBED in sys.modules or PROBING in sys.modules:
        yield
        return
    sys.modules[PROBED] = None  # the import numba tries fails at once, before scipy.linalg is loaded
    try:
        yield
    finally:
        if PROBED in sys.modules and sys.modules[PROBED] is None:
            del sys.modules[PROBED]
