"""A tiny challenge with RGB inputs: a learnable sRGB -> RAW mapping at small sizes, for CPU tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import build_rgb_challenge


@pytest.fixture(scope="session")
def rgb_challenge(tmp_path_factory) -> Path:
    """data dir holding challenges/demo with tracks s7 and p20 (train, test1 patches, test2 full + grid)."""
    return build_rgb_challenge(tmp_path_factory.mktemp("rgbchal"))


@pytest.fixture
def data_dir(rgb_challenge, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(rgb_challenge, d)
    return d
