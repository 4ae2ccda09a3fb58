"""Checkpoints as safetensors with their sha256; a pickled checkpoint is refused, never loaded."""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

from harness.hashing import file_sha256, write_sidecar

PICKLE_HINT = (
    "a pickled checkpoint (torch.save / pickle) is refused: it can run code when loaded; convert it to safetensors"
)


class WeightsError(ValueError):
    pass


def _not_safetensors(path: Path, head: bytes, why: str) -> WeightsError:
    # torch.save writes a zip (PK..); pickle protocol 2+ starts with 0x80 and the protocol number
    if head[:4] == b"PK\x03\x04" or (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")):
        return WeightsError(f"{path.name}: {PICKLE_HINT}")
    return WeightsError(f"{path.name}: not a safetensors file ({why})")


def check_safetensors(path: Path) -> dict:
    """Read and check a safetensors header without loading tensors; returns its metadata."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise _not_safetensors(path, head, "too short")
        (n,) = struct.unpack("<Q", head)
        if n < 2 or n > min(size - 8, 100 << 20):
            raise _not_safetensors(path, head, f"header length {n} for a {size}-byte file")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _not_safetensors(path, head, "unreadable header") from None
    if not isinstance(header, dict):
        raise _not_safetensors(path, head, "header is not a mapping")
    return header.get("__metadata__", {}) or {}


_DTYPES = {
    "float32": "F32",
    "float64": "F64",
    "float16": "F16",
    "int64": "I64",
    "int32": "I32",
    "uint8": "U8",
    "bool": "BOOL",
}


def encode_safetensors(state: dict, metadata: dict[str, str]) -> bytes:
    """The safetensors encoding of ``state`` with names and metadata in sorted order, so the same
    weights always give the same bytes (and sha256). A tensor shared by several modules is written
    under each of its names."""
    header: dict = {"__metadata__": dict(sorted((k, str(v)) for k, v in metadata.items()))}
    blobs, offset = [], 0
    for name in sorted(state):
        arr = state[name].detach().cpu().contiguous().numpy()
        kind = _DTYPES.get(arr.dtype.name)
        if kind is None:
            raise WeightsError(f"{name}: dtype {arr.dtype} is not supported")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": kind, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def save_weights(model, path: Path, metadata: dict[str, str]) -> str:
    """Write the model's state (parameters and buffers) atomically; returns the file's sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(encode_safetensors(model.state_dict(), metadata))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    digest = file_sha256(path)
    write_sidecar(path, digest)
    return digest


def load_weights(model, path: Path, *, expected_sha256: str | None = None) -> tuple[dict, str]:
    """Load safetensors weights into ``model`` (all keys must match); returns (metadata, sha256)."""
    from safetensors.torch import load_file

    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: no such weights file")
    metadata = check_safetensors(path)
    digest = file_sha256(path)
    if expected_sha256 and digest != expected_sha256:
        raise WeightsError(f"{path.name}: sha256 {digest[:12]}... differs from the recorded {expected_sha256[:12]}...")
    state = load_file(str(path))  # the safetensors reader: tensors only, nothing executable
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)  # copied onto the model's device
    except RuntimeError as exc:  # shapes that do not match
        raise WeightsError(f"{path.name}: does not fit the model ({str(exc).splitlines()[-1].strip()})") from None
    if missing or unexpected:
        raise WeightsError(f"{path.name}: does not fit the model (missing {missing[:3]}, unexpected {unexpected[:3]})")
    return metadata, digest
