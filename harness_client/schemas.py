"""The payloads the client sends and reads, as pydantic models the service validates with.

``leaderboard.schemas`` and ``leaderboard.api.upload`` use these very classes, so a field the
client sends is a field the service reads. The service stays the judge: the client names its
fields through these models but leaves refusing a value to the service, which says why.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FILE_FIELD = "file"  # the multipart field of a submission's upload

# one line of printable text: no control character (a newline or tab would forge rows in exports)
SafeLine = Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]


class TeamCreate(BaseModel):
    # runs of spaces collapse and ends are trimmed first: "a  b " is "a b", so no name looks like another
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$")

    @field_validator("name", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        return " ".join(value.split()) if isinstance(value, str) else value


class TeamCreated(BaseModel):
    id: int
    name: str
    token: str
    approved: bool = True


class SubmissionForm(BaseModel):
    """The text fields of an upload: where it goes and the team's fact sheet (self-reported)."""

    model_config = ConfigDict(extra="ignore")

    track: str = Field(max_length=64)
    split: str = Field(max_length=64)
    kind: Literal["predictions", "model"] = Field(
        "predictions",
        description="predictions: a zip of <image>.npy; model: an ONNX model (.onnx, or a zip with model.onnx, "
        "its external data and manifest.toml) that the harness runs, measures and scores",
    )
    extra_data: bool = Field(False, description="ED: trained with extra data")
    ensemble: bool = Field(False, description="ENS: ensemble or test-time augmentation")
    full_resolution: bool = Field(False, description="FR: runs on full-resolution images")
    params_m: float | None = Field(None, ge=0, le=1e6, allow_inf_nan=False, description="parameters, millions")
    runtime_s: float | None = Field(None, ge=0, le=1e6, allow_inf_nan=False, description="runtime per image, s")
    device: Literal["cpu", "gpu"] | None = None
    description: str = Field("", max_length=4000)
    input_size: SafeLine | None = Field(None, description="training/inference input size (Table 2)")
    epochs: int | None = Field(None, ge=0, le=1_000_000, description="training epochs (Table 2)")
    gpu: SafeLine | None = Field(None, description="hardware of the runtime figure (Table 2)")

    def facts(self) -> dict:
        return self.model_dump(exclude={"track", "split"})


def form_fields(**values: object) -> dict[str, str]:
    """The multipart text fields of a submission: each a ``SubmissionForm`` field, as text; None ones left out.

    A name that is no field of the form is a programming error (``KeyError``), never sent.
    """
    unknown = sorted(set(values) - set(SubmissionForm.model_fields))
    if unknown:
        raise KeyError(f"not fields of the submission form: {', '.join(unknown)}")
    return {k: str(v) for k, v in values.items() if v is not None}
