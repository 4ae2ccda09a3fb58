"""Fixtures shared by the harness tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DEMO_SCALE = 0.5  # smallest sets: 1 full-resolution image, 2 test1 frames, 1 patch per frame


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo challenge, built once per session (about a minute): tests read it and never change it."""
    from harness.sim.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("demo"), seed=11, scale=DEMO_SCALE)
