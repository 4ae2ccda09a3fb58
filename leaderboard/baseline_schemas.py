"""The API's schemas of baseline rows: what the harness measured when it re-ran a method (in PyTorch, and its
ONNX export as a team's model is timed), where its weights came from, and what queues a run of one."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field, computed_field

from baselines.provenance import SCORED, Provenance, State


class MeasuredFigures(BaseModel):
    """What the harness measured when it re-ran a method (the protocol's figures)."""

    method: str
    params: int
    params_frozen: int
    macs_g_patch: float
    runtime_patch_ms: float
    runtime_full_ms: float | None
    device: str
    device_name: str
    runtime: str | None  # what it was timed on: "torch 2.13.0" (None: recorded before runs said)


class OnnxFigures(BaseModel):
    """A baseline's ONNX export timed by the team-model path (the model child, ONNX Runtime), as a team's
    model is: the like-with-like figure beside its PyTorch one (``leaderboard.services.baseline_onnx``)."""

    runtime: str | None  # "onnxruntime 1.22.0" (None: the run failed before it said)
    runtime_patch_ms: float | None
    runtime_patch_spread_ms: float | None = None
    repeats: int = 0
    runtime_full_ms: float | None = None
    macs_g_patch: float | None = None
    params: int | None = None  # elements of the export's initializers
    device: str
    device_name: str | None = None
    threads: int | None = None
    opset: int | None = None
    error: str | None = None  # why the export or its run failed (then no runtime)

    @classmethod
    def from_report(cls, report: dict | None) -> OnnxFigures | None:
        """From the report stored on a baseline's ``Run`` row (None: its export was not timed)."""
        if not report or "ok" not in report:
            return None
        errors = report.get("errors") or []
        version = report.get("onnxruntime_version")
        failed = errors[0].get("message") if errors else "the ONNX run failed"
        return cls(
            runtime=f"onnxruntime {version}" if version else None,
            runtime_patch_ms=report.get("runtime_patch_ms"),
            runtime_patch_spread_ms=report.get("runtime_patch_spread_ms"),
            repeats=report.get("repeats") or 0,
            runtime_full_ms=report.get("runtime_full_ms"),
            macs_g_patch=report["macs_patch"] / 1e9 if report.get("macs_patch") is not None else None,
            params=report.get("params"),
            device=report.get("device") or "cpu",
            device_name=report.get("device_name"),
            threads=report.get("threads"),
            opset=report.get("opset"),
            error=None if report.get("ok") else failed,
        )


class BaselineInfo(MeasuredFigures):
    """Measured (by the harness) and reported (by the challenge report) figures of a baseline row,
    and where its weights came from (``baselines.provenance``: trained | short | fitted | none | unknown;
    None: recorded before runs said)."""

    weights_state: str | None
    train_steps: int | None
    train_wall_s: float | None
    train_device: str | None
    fidelity: str
    reported_params_m: float | None
    reported_runtime_ms: float | None
    reported_gpu: str | None
    train_recipe: dict | None = None  # the recipe its weights were trained by
    onnx: OnnxFigures | None = None  # its ONNX export timed as a team's model is (None: not timed)

    @classmethod
    def run_columns(cls) -> list[str]:
        """The fields read straight from the ``Run`` row (``onnx`` is read from its ``report``)."""
        return [name for name in cls.model_fields if name != "onnx"]

    @computed_field
    @property
    def untrained(self) -> bool:
        """Its score is not the method's (weights short of the recipe or without a record): greyed, never
        compared. Rows recorded before weights carried a provenance count as untrained too."""
        return self.weights_state not in SCORED

    @computed_field
    @property
    def weights_label(self) -> str:
        """Where its weights came from, for people (``Provenance.label``): ``trained: 2000 steps in 310 s on ...``."""
        state = self.weights_state if self.weights_state in get_args(State) else "unknown"
        return Provenance(
            state=state,
            steps=self.train_steps,
            recipe_steps=(self.train_recipe or {}).get("steps"),
            wall_s=self.train_wall_s,
            device=self.train_device,
        ).label()


class TrainBudget(BaseModel):
    steps: int | None = Field(None, ge=1, le=10_000_000)
    epochs: float | None = Field(None, gt=0, le=100_000)
    minutes: float | None = Field(None, gt=0, le=10_000)
    seed: int = 0


class BaselineJobRequest(BaseModel):
    method: str = Field(max_length=64)
    track: str = Field(max_length=64)
    split: str = Field(max_length=64)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mode: Literal["patches", "full"] | None = None
    train: TrainBudget | None = Field(None, description="train first (if no weights exist) with this budget")
    onnx: bool = Field(False, description="also time its ONNX export by the team-model path (ONNX Runtime)")
