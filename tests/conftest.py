from __future__ import annotations

import io

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def save(path, arr) -> None:
    """np.save to an exact path (np.save would append .npy to other suffixes)."""
    with open(path, "wb") as f:
        np.save(f, arr)


def npy_bytes(arr) -> bytes:
    """The bytes np.save writes for ``arr``."""
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()
