"""``manifest.toml`` of an ONNX model: what its graph's input and output are and how to feed it.

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

One schema writes it (``baselines/onnx_export.py``, :meth:`ModelManifest.to_toml`) and reads it
(``submissions/model/manifest.py``, which turns a refusal into the upload's error). Every key is
checked strictly: types are not coerced, unknown keys are refused. What the keys mean for
prediction is :mod:`harness.model_contract`.
"""

from __future__ import annotations

import tomllib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MANIFEST_NAME = "manifest.toml"
MODEL_NAME = "model.onnx"


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

    def to_toml(self) -> str:
        """The manifest as TOML text (keys left unset are omitted); :func:`from_toml` reads it back equal."""
        import tomli_w

        return tomli_w.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_toml(cls, text: str) -> ModelManifest:
        """Parse and validate; raises ``tomllib.TOMLDecodeError`` or pydantic's ``ValidationError``."""
        return cls.model_validate(tomllib.loads(text))
