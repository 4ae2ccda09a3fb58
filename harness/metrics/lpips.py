"""LPIPS (AlexNet, v0.1) offline: the organiser supplies torchvision's AlexNet file, nothing is downloaded.

The ``lpips`` package (installed without its dependencies: its code imports torchvision, which
cannot be imported beside this project's CPU torch) is never imported; only its linear-layer
file ``lpips/weights/v0.1/alex.pth`` is read, found with ``importlib.util.find_spec``. The AlexNet
backbone is the file named by ``HARNESS_LPIPS_BACKBONE`` (torchvision's
``alexnet-owt-7be5be79.pth``): its size and sha256 are checked here before torch reads it
(``weights_only=True``), its hash once per file per process. Without it a scorer is unavailable
and says why (:data:`NOT_SUPPLIED`); a wrong file is an :class:`LpipsError` naming the mismatch.
The network is :mod:`harness.metrics.lpips_net`; the tests hold it equal to the package's own LPIPS.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from harness.hashing import file_sha256

BACKBONE_NAME = "alexnet-owt-7be5be79.pth"
BACKBONE_SIZE = 244_408_911
BACKBONE_SHA256 = "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02"
NOT_SUPPLIED = "LPIPS n/a: backbone not supplied"
LINEAR_WEIGHTS = ("weights", "v0.1", "alex.pth")  # inside the lpips package
MIN_SIDE = 31  # the smallest height/width AlexNet's two max-pools still leave a pixel of

_lock = threading.Lock()
_hashes: dict[tuple[str, int, int], str] = {}  # (path, mtime_ns, size) -> sha256
_nets: dict[tuple, object] = {}  # the one loaded network, keyed by its files' identities


class LpipsError(ValueError):
    """A backbone or linear-layer file that cannot be used; the message names the file and why."""


def _identity(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


def backbone_sha256(path: Path) -> str:
    """The file's sha256, computed once per (path, mtime, size) in this process."""
    key = _identity(path)
    with _lock:
        if key not in _hashes:
            _hashes[key] = file_sha256(path)
        return _hashes[key]


def verify_backbone(path: Path, expected_size: int | None, expected_sha256: str | None) -> None:
    """Raise :class:`LpipsError` unless ``path`` is a file of the expected size, then sha256."""
    if not path.is_file():
        raise LpipsError(f"{path}: no such file (HARNESS_LPIPS_BACKBONE must name torchvision's {BACKBONE_NAME})")
    size = path.stat().st_size
    if expected_size is not None and size != expected_size:
        raise LpipsError(
            f"{path}: size mismatch: {size:,} bytes, expected {expected_size:,} (torchvision's {BACKBONE_NAME})"
        )
    if expected_sha256 is not None:
        digest = backbone_sha256(path)
        if digest != expected_sha256:
            raise LpipsError(f"{path}: sha256 mismatch: {digest}, expected {expected_sha256} ({BACKBONE_NAME})")


def linear_weights_path() -> Path:
    """The ``lpips`` package's ``weights/v0.1/alex.pth``, found without importing the package."""
    spec = importlib.util.find_spec("lpips")
    if spec is None or not spec.submodule_search_locations:
        raise LpipsError(
            "LPIPS: the lpips package (its linear layers) is not installed; `pip install --no-deps lpips==0.1.4`"
        )
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*LINEAR_WEIGHTS)
    if not path.is_file():
        raise LpipsError(f"{path}: the lpips package's linear-layer file is missing")
    return path


def _read_state(path: Path) -> dict:
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch's safe unpickler refusing the file: its reason, named
        raise LpipsError(f"{path}: cannot be loaded as a state dict ({type(exc).__name__}: {exc})") from None


def _load_net(backbone: Path, linear: Path):
    from harness.metrics.lpips_net import LpipsNet, load_backbone, load_linear

    key = (_identity(backbone), _identity(linear))
    with _lock:
        if key not in _nets:
            net = LpipsNet()
            try:
                load_backbone(net, _read_state(backbone), str(backbone))
                load_linear(net, _read_state(linear), str(linear))
            except LpipsError:
                raise
            except ValueError as exc:
                raise LpipsError(str(exc)) from None
            _nets.clear()  # one network at a time: a process scores with one backbone
            _nets[key] = net
        return _nets[key]


def to_tensor(img: np.ndarray):
    """uint8 (H, W, 3) -> float32 (1, 3, H, W) in [-1, 1]: ``img / 127.5 - 1`` in float64, then rounded.

    The tensor is a view of the (H, W, 3) pixels with the batch axis of stride 0, the memory
    layout the ``lpips`` package's ``im2tensor`` leaves: torch picks its convolution kernels by
    layout, and another one (e.g. contiguous) rounds a few float32 units in the last place apart
    from the package.
    """
    import torch

    return torch.from_numpy((img / 127.5 - 1.0).astype(np.float32)[:, :, :, None].transpose(3, 2, 0, 1))


class LpipsScorer:
    """LPIPS of 8-bit RGB pairs, or the reason there is none.

    ``LpipsScorer(path)`` checks the file's size and sha256 against torchvision's AlexNet
    (:data:`BACKBONE_SIZE`, :data:`BACKBONE_SHA256`); the tests pass ``expected_size=None,
    expected_sha256=None`` to accept a randomly initialised backbone of the same layout. There is
    deliberately no setting that skips the check. The network is loaded at the first ``score``;
    each ``score`` re-checks the file (a stat, and a new hash only if the file has changed).
    """

    def __init__(
        self,
        backbone: Path | str | None,
        *,
        expected_size: int | None = BACKBONE_SIZE,
        expected_sha256: str | None = BACKBONE_SHA256,
    ) -> None:
        self.backbone = Path(backbone) if backbone else None
        self.linear: Path | None = None
        self._expected = (expected_size, expected_sha256)
        if self.backbone is not None:
            verify_backbone(self.backbone, *self._expected)
            self.linear = linear_weights_path()

    @classmethod
    def from_env(cls) -> LpipsScorer:
        """The scorer ``HARNESS_LPIPS_BACKBONE`` configures (unavailable when it is unset or empty)."""
        from harness.settings import LibrarySettings

        return cls(LibrarySettings().lpips_backbone)

    @property
    def available(self) -> bool:
        return self.backbone is not None

    @property
    def reason(self) -> str | None:
        """Why there is no LPIPS (None when there is)."""
        return None if self.available else NOT_SUPPLIED

    def score(self, pred_u8: np.ndarray, gt_u8: np.ndarray) -> float:
        """LPIPS distance of two uint8 (H, W, 3) images of one shape (0 for identical images)."""
        import torch

        if not self.available:
            raise LpipsError(NOT_SUPPLIED)
        for name, a in (("prediction", pred_u8), ("ground truth", gt_u8)):
            if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
                raise ValueError(f"LPIPS: {name} must be uint8 (h, w, 3), got {a.dtype} {a.shape}")
        if pred_u8.shape != gt_u8.shape:
            raise ValueError(f"LPIPS: shapes differ: prediction {pred_u8.shape}, ground truth {gt_u8.shape}")
        if min(gt_u8.shape[:2]) < MIN_SIDE:
            raise ValueError(f"LPIPS: {gt_u8.shape[0]}x{gt_u8.shape[1]} is too small (at least {MIN_SIDE}x{MIN_SIDE})")
        verify_backbone(self.backbone, *self._expected)  # again: a file replaced since is hashed anew (cached else)
        net = _load_net(self.backbone, self.linear)
        with torch.inference_mode():
            return float(net(to_tensor(pred_u8), to_tensor(gt_u8)).item())
