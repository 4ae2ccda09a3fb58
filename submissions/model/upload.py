"""Reading a model upload safely: a bare ``.onnx`` file, or a zip holding ``model.onnx``, its
``manifest.toml`` and external data files.

A zip goes through the same intake as prediction uploads (``submissions.intake``: sizes, entry
count, compression ratio, overlapping entries, absolute paths and ``..``, links, encryption,
nested archives, one folder at most; streamed extraction with byte counters). The model file is
then size-checked, scanned at the wire level (``wire``) and only then parsed, in the check child
(``check``), never in the worker; nothing is executed and no external data is read here.
"""

from __future__ import annotations

import mmap
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness.problems import Problem
from submissions.intake import IntakeLimits, extract, inspect_archive
from submissions.model.errors import ModelErrorCode, ModelRejected, reject
from submissions.model.limits import ModelLimits
from submissions.model.manifest import MANIFEST_NAME, MODEL_NAME, ModelManifest, default_manifest, parse_manifest
from submissions.model.wire import COUNTED, scan

ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class ModelBundle:
    """An upload unpacked into a private folder: the model, its manifest, its other files."""

    folder: Path
    model: Path
    manifest: ModelManifest
    label: str  # how messages name the model file (as it was called in the upload)
    files: list[str]  # every file in the folder, model and manifest included


def _intake_limits(limits: ModelLimits) -> IntakeLimits:
    return IntakeLimits(
        max_upload_bytes=limits.max_upload_bytes,
        max_entries=1000,
        max_file_bytes=max(limits.max_model_bytes, limits.max_external_bytes),
        max_total_bytes=limits.max_model_bytes + limits.max_external_bytes,
    )


def _copy_capped(src: Path, dest: Path, cap: int, label: str) -> None:
    size = src.stat().st_size
    if size > cap:
        raise reject(label, ModelErrorCode.MODEL_TOO_LARGE, f"{size} bytes exceed the {cap}-byte limit")
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        copied = 0
        while chunk := fin.read(1 << 20):
            copied += len(chunk)
            if copied > cap:  # the file grew while being copied
                raise reject(label, ModelErrorCode.MODEL_TOO_LARGE, f"more than {cap} bytes")
            fout.write(chunk)


def open_upload(upload: Path, dest: Path, limits: ModelLimits) -> ModelBundle:
    """Unpack ``upload`` into the empty folder ``dest``; raises :class:`ModelRejected` with every problem."""
    upload, dest = Path(upload), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with open(upload, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise reject(upload.name, ModelErrorCode.BAD_ARCHIVE, f"cannot be read ({exc.strerror or exc})") from None
    if head != ZIP_MAGIC:
        # a bare model file: whatever its name, it is checked as ONNX, and named so in every message
        # unless its own name says .onnx (the service keeps every upload as upload.zip: no name of the team's)
        label = upload.name if upload.suffix.lower() == ".onnx" else MODEL_NAME
        _copy_capped(upload, dest / MODEL_NAME, limits.max_model_bytes, label)
        return ModelBundle(dest, dest / MODEL_NAME, default_manifest(), label, [MODEL_NAME])
    ilimits = _intake_limits(limits)
    members, folder, problems = inspect_archive(upload, ilimits)
    if not problems:
        problems = extract(upload, members, dest, ilimits)
    if problems:
        raise ModelRejected(
            [
                Problem(file=p.file, code=ModelErrorCode.BAD_ARCHIVE, message=f"{p.message} [{p.code}]")
                for p in problems
            ]
        )
    prefix = f"{folder}/" if folder else ""
    files = sorted(p.name for p in dest.iterdir())
    errors: list[Problem] = []
    if MODEL_NAME not in files:
        errors.append(
            Problem(
                file=upload.name,
                code=ModelErrorCode.MODEL_MISSING,
                message=f"{upload.name}: no {MODEL_NAME} in the archive (found: {', '.join(files) or 'nothing'})",
            )
        )
    manifest = None
    if MANIFEST_NAME not in files:
        errors.append(
            Problem(
                file=upload.name,
                code=ModelErrorCode.MANIFEST_MISSING,
                message=f"{upload.name}: no {MANIFEST_NAME} beside {MODEL_NAME} (multiple, mode, input and output)",
            )
        )
    else:
        try:
            manifest = parse_manifest(dest / MANIFEST_NAME, prefix + MANIFEST_NAME)
        except ModelRejected as exc:
            errors += exc.errors
    if errors:
        raise ModelRejected(errors)
    return ModelBundle(dest, dest / MODEL_NAME, manifest, prefix + MODEL_NAME, files)


def load_model(path: Path, label: str, limits: ModelLimits):
    """Size check, wire scan (limits on depth, packed integers and message counts), then parse (without
    external data): the ``onnx.ModelProto``. ``run_model`` calls it only inside the check child."""
    from google.protobuf.message import DecodeError

    size = path.stat().st_size
    if size > limits.max_model_bytes:
        raise reject(
            label,
            ModelErrorCode.MODEL_TOO_LARGE,
            f"{size} bytes exceed the {limits.max_model_bytes}-byte limit (put large weights in external data)",
        )
    if size == 0:
        raise reject(label, ModelErrorCode.NOT_ONNX, "not an ONNX model: the file is empty")
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        if buf[0] != 0x08:  # field 1 (ir_version), varint: how every serializer starts a ModelProto
            raise reject(
                label, ModelErrorCode.NOT_ONNX, f"not an ONNX model (starts with {bytes(buf[:8])!r}, not ir_version)"
            )
        scan(
            buf,
            label,
            max_depth=limits.max_nesting,
            max_packed_int_bytes=limits.max_packed_int_bytes,
            caps={name: getattr(limits, name) for _, name in COUNTED.values()},
            max_fields=limits.max_fields,
        )
        import onnx  # only once the scan passed: nothing of protobuf's is touched before

        model = onnx.ModelProto()
        try:
            with memoryview(buf) as view:  # parsed in place: no second copy of a large file
                model.ParseFromString(view)
        except (DecodeError, RecursionError, ValueError, MemoryError) as exc:
            raise reject(label, ModelErrorCode.NOT_ONNX, f"not a valid ONNX protobuf ({exc})") from None
    if model.ir_version <= 0 or not model.HasField("graph") or not model.opset_import:
        raise reject(label, ModelErrorCode.NOT_ONNX, "not an ONNX model: it has no IR version, graph or opset imports")
    return model


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
