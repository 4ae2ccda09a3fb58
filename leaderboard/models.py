"""Tables (SQLModel): what the database stores. The API's schemas are in ``leaderboard.schemas``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.types import TypeDecorator
from sqlmodel import AutoString, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]  # what services read the time from (``utcnow``; tests pass one they move)


class Status(StrEnum):
    """A submission's lifecycle: received -> queued -> validating -> scoring -> scored | failed.

    Members keep their first order (the order of counts in the API), not the lifecycle's."""

    RECEIVED = "received"  # recorded with no job waiting (a baseline run, scored in place)
    VALIDATING = "validating"
    QUEUED = "queued"  # its job is committed and not started (again, after a lost attempt or a re-score)
    SCORING = "scoring"
    SCORED = "scored"
    FAILED = "failed"


class FactSheet(SQLModel):
    """What a team reports about its method; shown on the leaderboard as self-reported."""

    extra_data: bool = False
    ensemble: bool = False
    full_resolution: bool = False
    params_m: float | None = None
    runtime_s: float | None = None
    device: str | None = None
    # the report's Table 2 columns
    input_size: str | None = None  # e.g. "504x504 patches" or "full 3024x4032"
    epochs: int | None = None
    gpu: str | None = None  # the hardware the runtime was measured on


FACT_FIELDS = tuple(FactSheet.model_fields)


def facts_of(obj: object) -> dict:
    """The fact-sheet fields of a submission row (or any object carrying them)."""
    return {name: getattr(obj, name) for name in FACT_FIELDS}


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    kind: str = Field(default="team", index=True)  # team | baseline (a method the harness re-ran)
    token_sha256: str = Field(index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    # registration throttle and organiser approval
    created_from: str | None = Field(default=None, index=True)  # sha256 of the registering client's address
    approved: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})


class Submission(FactSheet, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    challenge: str = Field(index=True)
    track: str = Field(index=True)
    split: str = Field(index=True)
    status: Status = Field(default=Status.RECEIVED, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    upload_sha256: str
    upload_bytes: int
    errors: list = Field(default_factory=list, sa_column=Column(JSON))  # the first problems (services/problems.py)
    n_errors: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # all of them
    warnings: list = Field(default_factory=list, sa_column=Column(JSON))
    readme: dict | None = Field(default=None, sa_column=Column(JSON))
    description: str = ""
    # predictions (a zip of .npy) or model (ONNX the harness runs, measures, and whose predictions it scores)
    kind: str = Field(default="predictions", sa_column_kwargs={"server_default": "predictions"})
    # a failed model run that still counts against the daily limit: it ended on a time or memory limit
    # (it held the runner); other failed submissions do not count
    charged: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class LpipsFigures(SQLModel):
    """A forward track's LPIPS (AlexNet, v0.1; lower is better, never ranked): the mean over images, or None
    with the reason in ``lpips_note`` where the backbone was not supplied; both None on a reverse track."""

    lpips: float | None = None
    lpips_note: str | None = None


class Score(LpipsFigures, table=True):
    """One scoring of one submission; re-scoring adds rows and marks the old ones not current."""

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    split: str
    psnr: float
    ssim: float
    n_images: int
    profile: str
    harness_version: str
    gt_manifest_sha256: str
    # alignment diagnostics (never ranked): means over the included images, crop, excluded images and
    # the reference manifest's sha256; None where the split has no alignment manifest
    aligned: dict | None = Field(default=None, sa_column=Column(JSON))
    current: bool = Field(default=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ImageRegions(SQLModel):
    """What is scored of one image beside PSNR and SSIM: its region metrics (harness.analysis.regions;
    None where the split has no RGB input or the region is empty) and, on a forward track where the
    backbone is supplied, its LPIPS."""

    oe_fraction: float | None = None
    psnr_oe: float | None = None
    ssim_oe: float | None = None
    psnr_rest: float | None = None
    ssim_rest: float | None = None
    lpips: float | None = None


class ImageScore(ImageRegions, table=True):
    id: int | None = Field(default=None, primary_key=True)
    score_id: int = Field(foreign_key="score.id", index=True)
    name: str
    psnr: float
    ssim: float
    # the image's reference transform (shift, scale, cc) and, where it is included, aligned psnr/ssim
    aligned: dict | None = Field(default=None, sa_column=Column(JSON))


class SplitState(SQLModel, table=True):
    """Organiser switches per split: revealed (hidden splits), ranking rule."""

    __table_args__ = (UniqueConstraint("challenge", "track", "split"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge: str
    track: str
    split: str
    revealed: bool = False
    rank_by: str = "best"  # best | latest


class Run(SQLModel, table=True):
    """A run the harness made and measured, one per submission: a baseline method re-run by the
    harness (``kind = "baseline"``) or a submitted model (``kind = "model"``), measured by one
    protocol. What only one kind records is None (or its default) for the other."""

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, unique=True)
    kind: str = Field(index=True)  # baseline | model
    inputs: str  # patches | full (full-resolution images: stitched, or cut into the track's grid)
    # measured, both kinds
    params: int
    macs_g_patch: float | None = None
    runtime_patch_ms: float | None = None
    runtime_full_ms: float | None = None  # per full-resolution image
    peak_memory_mb: float | None = None  # host: the measuring process's resident-set high-water mark
    peak_gpu_memory_mb: float | None = None  # CUDA: the allocator's peak
    device: str
    device_name: str | None = None
    runtime: str | None = None  # what it was timed on: "torch 2.13.0" | "onnxruntime 1.22.0"
    # a baseline method: its weights, its framework, and what the challenge report said of it
    method: str | None = Field(default=None, index=True)
    weights_sha256: str | None = None  # None: nothing learned or fitted
    train_steps: int | None = None
    # trained (the recipe's steps done) | short (stopped before) | fitted | none (nothing to learn) | unknown
    weights_state: str | None = None
    train_wall_s: float | None = None
    train_device: str | None = None
    train_recipe: dict | None = Field(default=None, sa_column=Column(JSON))
    torch_version: str | None = None
    dtype: str | None = None
    tta: bool = False
    params_frozen: int = 0
    fidelity: str | None = None
    reported_params_m: float | None = None
    reported_runtime_ms: float | None = None
    reported_gpu: str | None = None
    # a submitted model: its runtime, its isolation, and the zip of its predictions (scored like an upload)
    params_constant: int = 0
    onnxruntime_version: str | None = None
    opset: int | None = None
    network_isolated: bool = False
    predictions_sha256: str | None = None
    report: dict = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)


class JobState(StrEnum):
    WAITING = "waiting"  # held back: its team's previous model run has not ended (leaderboard.jobs.fairness)
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobKind(StrEnum):
    """What a job does; the value is what the job table stores (and names its Celery task)."""

    SCORE = "score"  # score a submission's predictions (queue cpu)
    MODEL_RUN = "model-run"  # run a submitted model, then score its predictions (queue gpu)
    BASELINE_RUN = "baseline-run"  # re-run a baseline method on a split (queue gpu)
    BASELINE_TRAIN = "baseline-train"  # train a baseline's weights (queue gpu)


class _KindColumn(TypeDecorator):
    """A job kind stored as its plain string value (``model-run``), read back as a ``JobKind``."""

    impl = AutoString
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        if value is None or value not in JobKind._value2member_map_:
            return value  # a kind this version does not know stays readable; no worker here runs it
        return JobKind(value)


class Job(SQLModel, table=True):
    """One unit of work for a worker; the truth about it, whatever the broker says.

    Claimed by a conditional update (queued -> running), kept alive by a heartbeat, taken
    back by the reaper when the heartbeat stops, failed for good after ``max_attempts``.
    A job with a ``team_id`` (a model run) waits (``waiting``) while its team has another one
    queued or running, and is queued when that one ends: one model run per team at a time.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: JobKind = Field(sa_column=Column("kind", _KindColumn(), nullable=False, index=True))
    queue: str = "cpu"  # cpu | gpu
    submission_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
    # set: the team's jobs run one at a time, in order (model runs); None: no per-team turn
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON))
    state: JobState = Field(default=JobState.QUEUED, index=True)
    attempts: int = 0
    max_attempts: int = 3
    worker: str | None = None  # host:pid of the worker running (or last running) it
    created_at: datetime = Field(default_factory=utcnow)
    dispatched_at: datetime | None = None
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    last_error: str | None = None


class WorkerBeat(SQLModel, table=True):
    """A worker process and when it last reported alive (the organiser page's worker list)."""

    name: str = Field(primary_key=True)  # host:pid
    host: str
    pid: int
    queues: str
    concurrency: int
    device: str
    started_at: datetime = Field(default_factory=utcnow)
    seen_at: datetime = Field(default_factory=utcnow)
    jobs_done: int = 0


# --- API schemas --------------------------------------------------------------------------
