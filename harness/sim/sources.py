"""Real sensor captures as RAW ground-truth sources.

Each capture is described by a :class:`Capture` (file, format, CFA layout, black and white
level, bit depth) and read into *linear* packed RGGB: ``(h, w, 4)`` float64 in [0, 1] after
black subtraction and white normalisation, ready to be requantised to a track's range by
:func:`to_track_range`.

The package ships crops of nine permissively licensed captures (:data:`SHIPPED`, in
``harness/sim/captures/`` with their licences and a MANIFEST naming source, crop and licence),
so a fresh install builds its demo from real sensor data. ``HARNESS_RAW_CAPTURES_DIR`` points
the demo at another folder instead, e.g. one holding the whole original files
(:data:`ORIGINALS`); :func:`cut_shipped` makes the shipped crops from those originals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.raw import CFA, pack, to_rggb
from harness.settings import get_settings

PACKAGE_ROOT = Path(__file__).resolve().parent / "captures"  # the crops shipped with the package
DEFAULT_ROOT = get_settings().raw_captures_dir  # PACKAGE_ROOT unless HARNESS_RAW_CAPTURES_DIR says otherwise


@dataclass(frozen=True)
class Capture:
    """One real capture and how to read it."""

    name: str
    filename: str
    kind: str  # "dng" | "png16" | "raw16" | "raw8"
    cfa: CFA
    black: float
    white: float
    height: int | None = None  # headerless formats
    width: int | None = None
    description: str = ""
    licence: str = ""  # the licence file that travels with it
    source: str | None = None  # a shipped crop: the name of the original capture it was cut from
    crop: tuple[int, int, int, int] | None = None  # top, left, height, width in the original's mosaic

    def path(self, root: Path) -> Path:
        return Path(root) / self.filename


ORIGINALS: tuple[Capture, ...] = (
    Capture(
        "canon550d-chart",
        "tinydng_colorchart_canon550d.dng",
        "dng",
        CFA.RGGB,
        2056,
        15000,
        description="Canon EOS 550D, colour chart, 14-bit DNG",
        licence="LICENSE.tinydng.txt",
    ),
    Capture(
        "halide-dog",
        "halide_bayer_small.png",
        "png16",
        CFA.GRBG,
        25,
        1023,
        description="dog on grass, 10-bit in a 16-bit PNG",
        licence="LICENSE.halide.txt",
    ),
    Capture(
        "openisp-chart",
        "openisp_test_1920x1080_rggb_u16.RAW",
        "raw16",
        CFA.RGGB,
        0,
        1020,
        1080,
        1920,
        "resolution / grey-scale test chart",
        "LICENSE.openISP.txt",
    ),
    Capture(
        "colorchecker",
        "infiniteisp_ColorCheckerRAW_1920x1080_12bit_BGGR.raw",
        "raw16",
        CFA.BGGR,
        0,
        4095,
        1080,
        1920,
        "ColorChecker 24, 12-bit",
        "LICENSE.infinite-isp.Apache-2.0.txt",
    ),
    *(
        Capture(
            f"scene-{s.lower()}",
            f"infiniteisp_refmodel_{s}_2592x1536_8bit_GRBG.raw",
            "raw8",
            CFA.GRBG,
            12.5,
            255,
            1536,
            2592,
            f"natural scene {s}, 8-bit version of a 10-bit frame",
            "LICENSE.infinite-isp.Apache-2.0.txt",
        )
        for s in ("Indoor1", "Outdoor1", "Outdoor2", "Outdoor3", "Outdoor4")
    ),
)


# The shipped subset: one crop of each original (even offsets, so the CFA layout is the original's),
# stored losslessly as a 16-bit (8-bit for the 8-bit scenes) greyscale PNG of the mosaic.
_CROPS: dict[str, tuple[int, int, int, int]] = {
    "canon550d-chart": (64, 448, 1024, 1024),
    "halide-dog": (0, 0, 344, 256),  # the whole frame
    "openisp-chart": (28, 448, 1024, 1024),
    "colorchecker": (216, 416, 864, 1088),
    # the scenes are the demo's largest frames (its full-resolution test images come from them)
    "scene-indoor1": (256, 128, 1280, 1728),
    "scene-outdoor1": (128, 864, 1280, 1728),
    "scene-outdoor2": (128, 0, 1280, 1728),
    "scene-outdoor3": (256, 432, 1280, 1728),
    "scene-outdoor4": (128, 432, 1280, 1728),
}


def _shipped(original: Capture) -> Capture:
    top, left, height, width = _CROPS[original.name]
    return Capture(
        f"{original.name}-crop",
        f"{original.name}-crop.png",
        "png16",
        original.cfa,
        original.black,
        original.white,
        description=f"{original.description}; crop {height}x{width} at ({top}, {left}) of {original.filename}",
        licence=original.licence,
        source=original.name,
        crop=(top, left, height, width),
    )


SHIPPED: tuple[Capture, ...] = tuple(_shipped(c) for c in ORIGINALS)
# everything the readers know; a folder holds some of them (see available())
CAPTURES: tuple[Capture, ...] = SHIPPED + ORIGINALS


def unpack_bits(data: bytes, height: int, width: int, bits: int) -> np.ndarray:
    """Unpack MSB-first packed unsigned samples (rows padded to whole bytes), as in DNG."""
    row_bytes = (width * bits + 7) // 8
    if len(data) < row_bytes * height:
        raise ValueError(f"packed data holds {len(data)} bytes, {row_bytes * height} needed")
    rows = np.frombuffer(data, dtype=np.uint8, count=row_bytes * height).reshape(height, row_bytes)
    bitplane = np.unpackbits(rows, axis=1)[:, : width * bits].reshape(height, width, bits)
    weights = (1 << np.arange(bits - 1, -1, -1)).astype(np.uint32)
    return (bitplane.astype(np.uint32) @ weights).astype(np.uint16)


def _read_dng(path: Path, cap: Capture) -> np.ndarray:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        page = next(p for p in tif.pages if p.photometric == 32803)  # the CFA image
        h, w = page.shape[:2]
        if page.bitspersample in (8, 16):
            mosaic = page.asarray()
        elif page.compression == 1:  # uncompressed, bit-packed: unpack here (no codec package)
            fh = tif.filehandle
            chunks = []
            for offset, count in zip(page.dataoffsets, page.databytecounts, strict=True):
                fh.seek(offset)
                chunks.append(fh.read(count))
            mosaic = unpack_bits(b"".join(chunks), h, w, page.bitspersample)
        else:
            raise ValueError(f"{path.name}: compressed {page.bitspersample}-bit DNG is not supported")
        area = page.tags.get(50829)  # ActiveArea: top, left, bottom, right
        if area is not None:
            top, left, bottom, right = (int(v) for v in area.value)
            mosaic = mosaic[top:bottom, left:right]
    return mosaic


def _read_png16(path: Path, cap: Capture) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im, dtype=np.uint16)


def _read_headerless(dtype: str) -> Callable[[Path, Capture], np.ndarray]:
    def read(path: Path, cap: Capture) -> np.ndarray:
        expected = cap.height * cap.width * np.dtype(dtype).itemsize
        size = path.stat().st_size
        if size != expected:
            raise ValueError(f"{path.name}: {size} bytes, expected {expected} for {cap.height}x{cap.width} {dtype}")
        return np.fromfile(path, dtype=dtype).reshape(cap.height, cap.width)

    return read


_READERS: dict[str, Callable[[Path, Capture], np.ndarray]] = {
    "dng": _read_dng,
    "png16": _read_png16,
    "raw16": _read_headerless("<u2"),
    "raw8": _read_headerless("u1"),
}


def read_mosaic(cap: Capture, root: Path = DEFAULT_ROOT) -> np.ndarray:
    """The sensor mosaic of ``cap`` as stored (its own layout, bit depth and black level)."""
    return _READERS[cap.kind](cap.path(root), cap)


def read_linear(cap: Capture, root: Path = DEFAULT_ROOT) -> np.ndarray:
    """Packed RGGB, black-subtracted and divided by (white - black), clipped to [0, 1]."""
    mosaic = to_rggb(read_mosaic(cap, root), cap.cfa)
    packed = pack(mosaic, CFA.RGGB).astype(np.float64)
    return np.clip((packed - cap.black) / (cap.white - cap.black), 0.0, 1.0)


def to_track_range(linear: np.ndarray, black: float, white: float, max_value: int = 1024) -> np.ndarray:
    """Requantise linear [0, 1] RAW to a track's integer range (uint16, black..white)."""
    out = np.round(black + np.clip(linear, 0.0, 1.0) * (white - black))
    return np.clip(out, 0, max_value).astype(np.uint16)


def available(root: Path = DEFAULT_ROOT) -> list[Capture]:
    """The captures whose files exist under ``root``."""
    return [c for c in CAPTURES if c.path(root).is_file()]


def cut_shipped(originals_root: Path, out: Path = PACKAGE_ROOT) -> list[Path]:
    """Write the shipped crops (:data:`SHIPPED`) from the original files under ``originals_root``.

    The mosaic is cut as stored (its own layout, bit depth and black level) and written as a
    greyscale PNG, 8-bit for 8-bit captures, else 16-bit: lossless, so the crop reads back equal.
    """
    from PIL import Image

    by_name = {c.name: c for c in ORIGINALS}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for cap in SHIPPED:
        top, left, height, width = cap.crop
        mosaic = read_mosaic(by_name[cap.source], originals_root)[top : top + height, left : left + width]
        if mosaic.shape != (height, width):
            raise ValueError(f"{cap.source}: crop {cap.crop} leaves the {mosaic.shape} mosaic")
        image = Image.fromarray(mosaic if mosaic.dtype == np.uint8 else mosaic.astype(np.uint16))
        image.save(cap.path(out), format="PNG", optimize=True)
        written.append(cap.path(out))
    return written
