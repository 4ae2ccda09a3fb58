from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def save(path, arr) -> None:
    """np.save to an exact path (np.save would append .npy to other suffixes)."""
    with open(path, "wb") as f:
        np.save(f, arr)
