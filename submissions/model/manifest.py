"""``manifest.toml`` of a model upload: what the graph's input and output are and how to feed it.

```toml
format = 1
multiple = 16        # the input's H and W must be multiples of this (RGB pixels): inputs are padded
mode = "patches"     # "patches": full-resolution images are cut into tiles (1024 px, 64 px context);
                     # "whole": each full-resolution image goes through the model in one pass
[input]
name = "rgb"         # sRGB, float32, NCHW (1, 3, 2h, 2w), values in [0, 1] (the 8-bit value / 255)
[output]
name = "raw"         # packed RAW (R, Gr, Gb, B), float32, NCHW (1, 4, h, w), values in [0, 1] (DN / 1024)
```

Every key is checked strictly (types are not coerced, unknown keys are refused). A bare ``.onnx``
upload gets :func:`default_manifest`: its only input and output, multiple 2, mode "patches".
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from submissions.model.errors import ModelErrorCode, reject

MANIFEST_NAME = "manifest.toml"
MODEL_NAME = "model.onnx"
MAX_MANIFEST_BYTES = 64 << 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class InputSpec(_Strict):
    name: str | None = Field(None, description="graph input name (default: the graph's only input)")
    dtype: Literal["float32"] = "float32"
    layout: Literal["NCHW"] = "NCHW"
    range: Literal["0..1"] = "0..1"


class OutputSpec(_Strict):
    name: str | None = Field(None, description="graph output name (default: the graph's only output)")
    dtype: Literal["float32"] = "float32"
    layout: Literal["NCHW"] = "NCHW"
    range: Literal["0..1"] = "0..1"


class ModelManifest(_Strict):
    format: Literal[1] = 1
    multiple: int = Field(2, ge=2, le=1024, description="input H and W must be multiples of this (RGB pixels)")
    mode: Literal["whole", "patches"] = "patches"
    input: InputSpec = InputSpec()
    output: OutputSpec = OutputSpec()
    title: str | None = Field(None, max_length=200)

    @field_validator("multiple")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            raise ValueError("must be even (one RAW sample per 2x2 RGB pixels)")
        return v


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
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise reject(label, ModelErrorCode.MANIFEST_INVALID, f"not valid TOML ({exc})") from None
    try:
        return ModelManifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise reject(label, ModelErrorCode.MANIFEST_INVALID, problems) from None
