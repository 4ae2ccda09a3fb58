"""Fixtures for every test package (plain helpers live in tests/support.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.support import ARGS, CHROMIUM

# One BLAS/OpenMP thread per process, for this process and the servers and workers it starts: the
# suite runs a service's processes beside its own, and on 2 cores a two-thread PyTorch beside a busy
# process spins on its barriers (a one-step baseline test took 3x longer than on one thread).
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI never skips this")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()
