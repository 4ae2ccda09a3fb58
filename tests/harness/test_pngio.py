"""harness.pngio: 8-bit RGB PNGs are read exactly; every other file is refused, named, before decoding."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from harness.npyio import ErrorCode
from harness.pngio import MAX_PIXELS, PngError, read_png
from tests.harness.pngs import chunk, raw_png, rgb16_png, save_png


def refused(path, expected_shape=None) -> tuple[str, str]:
    with pytest.raises(PngError) as exc:
        read_png(path, expected_shape)
    (problem,) = exc.value.errors
    assert problem.file == str(path) and problem.message.startswith(path.name + ": ")
    return problem.code, problem.message


def test_reads_rgb_exactly(tmp_path, rng):
    img = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    out = read_png(save_png(tmp_path / "a.png", img), (37, 53, 3))
    assert out.dtype == np.uint8 and out.flags.c_contiguous and np.array_equal(out, img)


def test_not_a_png(tmp_path):
    p = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(p, format="JPEG")
    code, msg = refused(p)
    assert code == ErrorCode.NOT_PNG and "not a PNG" in msg
    (tmp_path / "e.png").write_bytes(b"")
    assert refused(tmp_path / "e.png")[0] == ErrorCode.NOT_PNG


def test_sixteen_bit_is_refused_not_cut_to_eight(tmp_path):
    # Pillow would read this as 8-bit RGB: the header check sees the 16 bits first
    code, msg = refused(rgb16_png(tmp_path / "a.png", 4, 5))
    assert code == ErrorCode.WRONG_DTYPE and "16-bit" in msg


@pytest.mark.parametrize(
    "mode, said",
    [
        ("L", "greyscale PNG"),
        ("LA", "greyscale with alpha"),
        ("P", "palette"),
        ("RGBA", "RGB with alpha (RGBA)"),
    ],
)
def test_modes_other_than_rgb_say_which(tmp_path, mode, said):
    p = tmp_path / "a.png"
    Image.fromarray(np.full((6, 6, 3), 90, np.uint8)).convert(mode).save(p, format="PNG")
    code, msg = refused(p)
    assert code == ErrorCode.WRONG_MODE and said in msg


def test_wrong_size_against_ground_truth(tmp_path):
    p = save_png(tmp_path / "a.png", np.zeros((20, 30, 3), np.uint8))
    code, msg = refused(p, (20, 31, 3))
    assert code == ErrorCode.WRONG_SHAPE and "20x30" in msg and "20x31" in msg


def test_decompression_bomb_refused_before_decoding(tmp_path):
    # 100000 x 100000 pixels declared by a few hundred bytes (and data that would not even decode)
    p = tmp_path / "bomb.png"
    p.write_bytes(raw_png(100_000, 100_000, 8, 2, b"\x00" * 1000))
    code, msg = refused(p)
    assert code == ErrorCode.IMAGE_TOO_LARGE and f"{MAX_PIXELS:,}" in msg


def test_truncated_and_corrupt(tmp_path, rng):
    good = save_png(tmp_path / "good.png", rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).read_bytes()
    for cut in (20, 60, len(good) // 2, len(good) - 1):
        p = tmp_path / f"cut{cut}.png"
        p.write_bytes(good[:cut])
        assert refused(p)[0] == ErrorCode.TRUNCATED, cut
    bad_crc = bytearray(good)
    bad_crc[20] ^= 0xFF  # inside IHDR: its checksum fails
    (tmp_path / "crc.png").write_bytes(bad_crc)
    code, msg = refused(tmp_path / "crc.png")
    assert code == ErrorCode.BAD_HEADER and "checksum" in msg
    # a whole file whose image data is not a zlib stream
    ihdr = chunk(b"IHDR", bytes.fromhex("0000000400000004") + bytes([8, 2, 0, 0, 0]))
    junk = b"\x89PNG\r\n\x1a\n" + ihdr + chunk(b"IDAT", b"not zlib at all") + chunk(b"IEND", b"")
    (tmp_path / "junk.png").write_bytes(junk)
    assert refused(tmp_path / "junk.png")[0] == ErrorCode.UNREADABLE
