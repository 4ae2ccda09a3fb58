"""LPIPS offline: the backbone file is checked, and the harness's LPIPS equals the lpips package's own.

torchvision cannot be imported beside the project's CPU torch, and the real AlexNet file is not
shipped. So a randomly initialised backbone (fixed seed) is saved as torchvision would save it,
and the package's ``lpips.LPIPS`` is run with a stand-in ``torchvision.models`` whose
``alexnet()`` holds the same layers and weights: both then differ only in the LPIPS formula
(scaling, normalisation, linear layers, averaging), which must give the same number.
"""

from __future__ import annotations

import os
import sys
import types

import numpy as np
import pytest
import torch

from harness.hashing import file_sha256
from harness.metrics import lpips as hl
from harness.metrics.lpips import NOT_SUPPLIED, LpipsError, LpipsScorer, backbone_sha256
from harness.metrics.lpips_net import alexnet_features


@pytest.fixture(scope="module")
def backbone(tmp_path_factory):
    """A random AlexNet state dict (features.* and one classifier layer, as torchvision names them)."""
    torch.manual_seed(0)
    state = {f"features.{k}": v for k, v in alexnet_features().state_dict().items()}
    state["classifier.6.bias"] = torch.zeros(10)
    path = tmp_path_factory.mktemp("lpips") / "alexnet-random.pth"
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def scorer(backbone):
    return LpipsScorer(backbone, expected_size=None, expected_sha256=None)


@pytest.fixture
def pair():
    rng = np.random.default_rng(7)
    a = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-30, 31, a.shape), 0, 255).astype(np.uint8)
    return a, b


def test_without_backbone(monkeypatch):
    monkeypatch.delenv("HARNESS_LPIPS_BACKBONE", raising=False)
    s = LpipsScorer.from_env()
    assert not s.available and s.reason == NOT_SUPPLIED == "LPIPS n/a: backbone not supplied"
    monkeypatch.setenv("HARNESS_LPIPS_BACKBONE", "")  # set but empty: none either (not the current folder)
    assert LpipsScorer.from_env().reason == NOT_SUPPLIED
    with pytest.raises(LpipsError, match="not supplied"):
        s.score(np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32, 3), np.uint8))


def test_wrong_files_are_named(monkeypatch, backbone, tmp_path):
    monkeypatch.setenv("HARNESS_LPIPS_BACKBONE", str(backbone))
    with pytest.raises(LpipsError, match=r"size mismatch: .* expected 244,408,911"):
        LpipsScorer.from_env()  # the real file's size and hash are required by default
    size = backbone.stat().st_size
    with pytest.raises(LpipsError, match=f"sha256 mismatch: {file_sha256(backbone)}, expected 00"):
        LpipsScorer(backbone, expected_size=size, expected_sha256="0" * 64)
    monkeypatch.setenv("HARNESS_LPIPS_BACKBONE", str(tmp_path / "absent.pth"))
    with pytest.raises(LpipsError, match="absent.pth: no such file"):
        LpipsScorer.from_env()
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(LpipsError, match="junk.pth: cannot be loaded"):
        LpipsScorer(junk, expected_size=None, expected_sha256=None).score(*[np.zeros((32, 32, 3), np.uint8)] * 2)


def test_backbone_must_fit_alexnet_strictly(tmp_path):
    torch.manual_seed(1)
    state = {f"features.{k}": v for k, v in alexnet_features().state_dict().items()}
    zeros = np.zeros((32, 32, 3), np.uint8)
    for name, bad in (
        ("missing", {k: v for k, v in state.items() if k != "features.8.bias"}),
        ("shape", state | {"features.3.weight": torch.zeros(192, 64, 3, 3)}),
        ("alien", state | {"head.weight": torch.zeros(1)}),
    ):
        path = tmp_path / f"{name}.pth"
        torch.save(bad, path)
        with pytest.raises(LpipsError, match=f"{name}.pth"):
            LpipsScorer(path, expected_size=None, expected_sha256=None).score(zeros, zeros)


def test_hash_is_computed_once_per_file_version(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"a" * 1000)
    first = backbone_sha256(p)
    st = p.stat()
    p.write_bytes(b"b" * 1000)  # same size; the old mtime put back: the cached hash is returned
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert backbone_sha256(p) == first != file_sha256(p)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a new version: hashed again
    assert backbone_sha256(p) == file_sha256(p)


def test_identical_symmetric_and_shapes(scorer, pair):
    a, b = pair
    assert scorer.available and scorer.reason is None
    assert scorer.score(a, a.copy()) == 0.0
    d = scorer.score(b, a)
    assert d > 0 and d == scorer.score(a, b)
    with pytest.raises(ValueError, match="shapes differ"):
        scorer.score(a, a[:, :63])
    with pytest.raises(ValueError, match="uint8"):
        scorer.score(a.astype(np.float32), a)
    with pytest.raises(ValueError, match="too small"):
        scorer.score(a[:30], a[:30])


@pytest.fixture
def lpips_package(monkeypatch, backbone):
    """The lpips package importable for one test, its torchvision a stand-in holding our random AlexNet."""

    class AlexNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = alexnet_features()
            state = torch.load(backbone, weights_only=True)
            self.features.load_state_dict({k.removeprefix("features."): v for k, v in state.items() if "features" in k})

    models = types.ModuleType("torchvision.models")
    models.alexnet = lambda pretrained=True, **_: AlexNet()
    vision = types.ModuleType("torchvision")
    vision.models = models
    for name in [n for n in sys.modules if n == "lpips" or n.startswith("lpips.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torchvision", vision)
    monkeypatch.setitem(sys.modules, "torchvision.models", models)
    try:
        import tqdm  # noqa: F401  (the package's trainer imports it; a stand-in where it is not installed)
    except ImportError:
        monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=None))
    import lpips  # its __init__ imports lpips.lpips and lpips.pretrained_networks (from the stand-in)

    yield lpips
    for name in [n for n in sys.modules if n == "lpips" or n.startswith("lpips.")]:
        sys.modules.pop(name)  # nothing after this test sees the package bound to the stand-in


def test_equals_the_lpips_package(lpips_package, scorer, pair):
    a, b = pair
    net = lpips_package.LPIPS(net="alex", version="0.1", verbose=False)
    assert torch.equal(net.scaling_layer.shift, hl._load_net(scorer.backbone, scorer.linear).shift)
    rng = np.random.default_rng(3)
    c = rng.integers(0, 256, (48, 72, 3), dtype=np.uint8)
    for x, y in ((b, a), (a, b), (c, np.ascontiguousarray(c[::-1]))):
        with torch.no_grad():
            theirs = net(lpips_package.im2tensor(x), lpips_package.im2tensor(y)).item()
        assert scorer.score(x, y) == theirs > 0


def test_a_checked_file_replaced_later_is_refused(backbone, tmp_path, pair):
    copy = tmp_path / "alexnet.pth"
    copy.write_bytes(backbone.read_bytes())
    s = LpipsScorer(copy, expected_size=copy.stat().st_size, expected_sha256=file_sha256(copy))
    a, b = pair
    assert s.score(a, b) > 0
    data = bytearray(copy.read_bytes())
    data[-100] ^= 1  # same size, other bytes, a new mtime
    copy.write_bytes(data)
    os.utime(copy, ns=(copy.stat().st_atime_ns, copy.stat().st_mtime_ns + 1_000_000_000))
    with pytest.raises(LpipsError, match="sha256 mismatch"):
        s.score(a, b)
