"""Reading the ``manifest.toml`` of a model upload with the one schema (:mod:`harness.model_manifest`).

A bare ``.onnx`` upload gets :func:`default_manifest`: its only input and output, multiple 2, mode
"patches". A manifest that does not parse or validate is refused as ``manifest_invalid``, naming
every problem.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from harness.model_manifest import MANIFEST_NAME, MODEL_NAME, InputSpec, ModelManifest, OutputSpec
from submissions.model.errors import ModelErrorCode, reject

MAX_MANIFEST_BYTES = 64 << 10

__all__ = ["MANIFEST_NAME", "MAX_MANIFEST_BYTES", "MODEL_NAME", "InputSpec", "ModelManifest", "OutputSpec"]


def default_manifest() -> ModelManifest:
    return ModelManifest()


def parse_manifest(path: Path, label: str = MANIFEST_NAME) -> ModelManifest:
    """Read and check a manifest; raises :class:`ModelRejected` (manifest_invalid) naming every problem."""
    size = path.stat().st_size
    if size > MAX_MANIFEST_BYTES:
        raise reject(
            label, ModelErrorCode.MANIFEST_INVALID, f"{size} bytes; a manifest is at most {MAX_MANIFEST_BYTES}"
        )
    try:
        return ModelManifest.from_toml(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise reject(label, ModelErrorCode.MANIFEST_INVALID, f"not valid TOML ({exc})") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise reject(label, ModelErrorCode.MANIFEST_INVALID, problems) from None
