"""File hashing and ``.sha256`` sidecars: streamed in chunks, agreeing with sha256sum, written atomically."""

from __future__ import annotations

import hashlib
import os
import subprocess

from harness.hashing import CHUNK, file_sha256, hash_file_into, sidecar_path, write_sidecar


def test_file_sha256_matches_hashlib_over_several_chunks(tmp_path):
    data = os.urandom(2 * CHUNK + 12345)
    f = tmp_path / "blob.bin"
    f.write_bytes(data)
    assert file_sha256(f) == hashlib.sha256(data).hexdigest()
    h = hashlib.sha256(b"prefix")
    assert hash_file_into(f, h) == len(data)
    assert h.hexdigest() == hashlib.sha256(b"prefix" + data).hexdigest()


def test_sidecar_is_checked_by_sha256sum_and_leaves_no_temporary_file(tmp_path):
    f = tmp_path / "weights.safetensors"
    f.write_bytes(b"some bytes")
    dest = write_sidecar(f)
    assert dest == sidecar_path(f) == tmp_path / "weights.safetensors.sha256"
    assert dest.read_text() == f"{hashlib.sha256(b'some bytes').hexdigest()}  weights.safetensors\n"
    ok = subprocess.run(["sha256sum", "--check", dest.name], cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.safetensors", "weights.safetensors.sha256"]


def test_sidecar_with_a_given_digest_is_written_as_given(tmp_path):
    f = tmp_path / "a.zip"
    f.write_bytes(b"x")
    write_sidecar(f, "0" * 64, tmp_prefix=".tmp.")
    assert sidecar_path(f).read_text() == f"{'0' * 64}  a.zip\n"
    assert not list(tmp_path.glob(".tmp.*"))
