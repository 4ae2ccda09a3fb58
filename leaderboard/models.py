"""Tables (SQLModel) and the API's public schemas, kept apart so private columns never leak."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from baselines.reported import ReportedScore


def utcnow() -> datetime:
    return datetime.now(UTC)


class Status(StrEnum):
    RECEIVED = "received"
    VALIDATING = "validating"
    QUEUED = "queued"
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
    errors: list = Field(default_factory=list, sa_column=Column(JSON))
    warnings: list = Field(default_factory=list, sa_column=Column(JSON))
    readme: dict | None = Field(default=None, sa_column=Column(JSON))
    description: str = ""


class Score(SQLModel, table=True):
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
    current: bool = Field(default=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ImageRegions(SQLModel):
    """Region metrics of one image (harness.analysis.regions); None where the split has no RGB input
    or the region is empty."""

    oe_fraction: float | None = None
    psnr_oe: float | None = None
    ssim_oe: float | None = None
    psnr_rest: float | None = None
    ssim_rest: float | None = None


class ImageScore(ImageRegions, table=True):
    id: int | None = Field(default=None, primary_key=True)
    score_id: int = Field(foreign_key="score.id", index=True)
    name: str
    psnr: float
    ssim: float


class SplitState(SQLModel, table=True):
    """Organiser switches per split: revealed (hidden splits), ranking rule."""

    __table_args__ = (UniqueConstraint("challenge", "track", "split"),)
    id: int | None = Field(default=None, primary_key=True)
    challenge: str
    track: str
    split: str
    revealed: bool = False
    rank_by: str = "best"  # best | latest


class BaselineRun(SQLModel, table=True):
    """A baseline method re-run by the harness: what was measured, beside what was reported."""

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True, unique=True)
    method: str = Field(index=True)
    track: str
    split: str
    mode: str  # patches | full (stitched full-resolution images)
    weights_sha256: str | None = None  # None: nothing learned or fitted
    train_steps: int | None = None
    device: str
    device_name: str
    torch_version: str
    dtype: str = "float32"
    tta: bool = False
    params: int
    params_frozen: int
    macs_g_patch: float
    runtime_patch_ms: float
    runtime_full_ms: float | None = None  # per full-resolution image
    peak_memory_mb: float
    fidelity: str
    reported_params_m: float | None = None
    reported_runtime_ms: float | None = None
    reported_gpu: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(SQLModel, table=True):
    """One unit of work for a worker; the truth about it, whatever the broker says.

    Claimed by a conditional update (queued -> running), kept alive by a heartbeat, taken
    back by the reaper when the heartbeat stops, failed for good after ``max_attempts``.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # score | baseline-run | baseline-train
    queue: str = "cpu"  # cpu | gpu
    submission_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
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


class TeamCreate(BaseModel):
    name: str = PField(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$")


class TeamCreated(BaseModel):
    id: int
    name: str
    token: str


class SplitScore(BaseModel):
    psnr: float
    ssim: float
    n_images: int


class SubmissionPublic(FactSheet):
    id: int
    team: str
    track: str
    split: str
    status: Status
    created_at: datetime
    errors: list[dict]
    warnings: list[str]
    scores: dict[str, SplitScore]
    description: str


class SubmissionAccepted(BaseModel):
    id: int
    status: Status


class MeasuredFigures(BaseModel):
    """What the harness measured when it re-ran a method (the protocol's figures)."""

    method: str
    params: int
    params_frozen: int
    macs_g_patch: float
    runtime_patch_ms: float
    runtime_full_ms: float | None
    device_name: str


class BaselineInfo(MeasuredFigures):
    """Measured (by the harness) and reported (by the challenge report) figures of a baseline row."""

    fidelity: str
    reported_params_m: float | None
    reported_runtime_ms: float | None
    reported_gpu: str | None


class LeaderboardRow(FactSheet):
    rank: int | None  # baselines are shown among the teams but not ranked
    team: str
    kind: str = "team"
    baseline: BaselineInfo | None = None
    regions: RegionMeans | None = None
    significance: Significance | None = None
    submission_id: int
    split: str
    psnr: float
    ssim: float
    n_images: int
    date: datetime


class ImageResult(ImageRegions):
    name: str
    psnr: float
    ssim: float


class RegionMeans(BaseModel):
    """Means over a split's images of the region metrics (images where a region is empty left out)."""

    psnr_oe: float | None
    ssim_oe: float | None
    psnr_rest: float | None
    ssim_rest: float | None


class Significance(BaseModel):
    """Paired-bootstrap figures of an entry on the split's primary metric."""

    metric: str
    ci_low: float
    ci_high: float
    p_order: float | None  # P(this entry beats the next one shown)
    group: int


class TrackTableRow(BaseModel):
    """One team on a track's leaderboard: its best entry on each visible split."""

    rank: int | None
    team: str
    scores: dict[str, LeaderboardRow]


class WorkerPublic(BaseModel):
    name: str
    queues: str
    device: str
    concurrency: int
    seen_s_ago: float
    alive: bool
    jobs_done: int


class JobPublic(BaseModel):
    id: int
    kind: str
    queue: str
    state: JobState
    submission_id: int | None
    attempts: int
    max_attempts: int
    worker: str | None
    heartbeat_s_ago: float | None
    last_error: str | None


class QueueState(BaseModel):
    counts: dict[str, int]  # submissions per status
    oldest_waiting_s: float | None
    worker_alive: bool  # at least one worker reported alive recently
    jobs: dict[str, int]  # jobs per state
    queued_by_queue: dict[str, int]
    running: list[JobPublic]
    failed_recent: list[JobPublic]
    workers: list[WorkerPublic]


class ReferenceMeasured(MeasuredFigures):
    """The harness's own re-run of a reference team's method on this challenge (a baseline row)."""

    split: str
    submission_id: int
    psnr: float
    ssim: float


class ReferenceRow(BaseModel):
    """A team of a past edition, as its report gives it: reported, not re-run."""

    team: str
    method: str | None  # the harness's re-implementation, if any
    params_m: float | None
    runtime_ms: float | None
    gpu: str | None
    extra_data: bool | None  # None: no source states it
    ensemble: bool | None
    full_resolution: bool | None
    scores: dict[str, ReportedScore | None]  # split -> the report's score (None: not in the harness's sources)
    note: str
    measured: ReferenceMeasured | None


class ReferenceBoard(BaseModel):
    """A reference leaderboard: a past edition's reported figures for one track."""

    name: str
    title: str
    source: str
    track: str
    splits: list[str]
    scores_available: bool  # False: the table holds no score cells for this track
    rows: list[ReferenceRow]
