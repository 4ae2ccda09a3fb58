"""The API's schemas (pydantic): what responses and requests carry, apart from the tables."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baselines.reported import ReportedScore

# what the client sends and reads: its models are the API's
from harness_client.schemas import TeamCreate as TeamCreate
from harness_client.schemas import TeamCreated as TeamCreated

# baseline rows' schemas live apart (leaderboard.baseline_schemas); the API's routes and services read them here
from leaderboard.baseline_schemas import BaselineInfo as BaselineInfo
from leaderboard.baseline_schemas import BaselineJobRequest as BaselineJobRequest
from leaderboard.baseline_schemas import MeasuredFigures as MeasuredFigures
from leaderboard.baseline_schemas import OnnxFigures as OnnxFigures
from leaderboard.baseline_schemas import TrainBudget as TrainBudget
from leaderboard.models import FactSheet, ImageRegions, JobState, LpipsFigures, Status


class TeamPublic(BaseModel):
    id: int
    name: str
    approved: bool
    created_at: datetime


class SplitScore(LpipsFigures):  # + a forward track's LPIPS
    psnr: float
    ssim: float
    n_images: int
    # diagnostics, never ranked: the prediction warped by the split's reference alignment, scored by the
    # official metric on the central crop every warp covers (None: the split has no alignment manifest)
    aligned_psnr_diagnostic: float | None = None
    aligned_ssim_diagnostic: float | None = None
    aligned_n_images: int | None = None  # images counted (those whose alignment correlates well enough)
    aligned_excluded: list[str] = []
    aligned_crop: int | None = None  # packed pixels left out on each side


class ModelFigures(BaseModel):
    """What the harness measured when it re-ran a submitted model (same protocol as its baselines)."""

    params: int
    params_constant: int = 0
    macs_g_patch: float | None = None
    runtime_patch_ms: float | None = None
    runtime_full_ms: float | None = None
    peak_memory_mb: float | None = None
    device: str
    device_name: str | None = None
    runtime: str | None = None  # what it was timed on: "onnxruntime 1.22.0"
    inputs: str = "patches"
    network_isolated: bool = False
    # what else confined the run (mount_namespace, proc (hidepid=2), private_root, uid 65534, no_new_privs)
    # and why a step was skipped: on the submission itself (its team, organisers), never on the leaderboard
    isolation: list[str] | None = None
    isolation_note: str | None = None


class SubmissionPublic(FactSheet):
    id: int
    team: str
    track: str
    split: str
    status: Status
    created_at: datetime
    errors: list[dict]  # the first ones (see n_errors): listings carry a few, the submission itself more
    n_errors: int = 0
    warnings: list[str]
    scores: dict[str, SplitScore]
    description: str
    # the split is hidden and not yet revealed: scores (when scored) stay with the organisers until they reveal it
    results_hidden: bool = False
    upload: str = "predictions"  # predictions | model (the harness ran the team's ONNX model)
    model: ModelFigures | None = None  # what the harness measured, once the model ran


class SubmissionAccepted(BaseModel):
    id: int
    status: Status


class LeaderboardRow(FactSheet, LpipsFigures):
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
    model: ModelFigures | None = None  # a model submission re-run here: measured figures beside the self-reported
    # diagnostics, never used to rank (see SplitScore): None where the split has no alignment manifest
    aligned_psnr_diagnostic: float | None = None
    aligned_ssim_diagnostic: float | None = None


class ImageResult(ImageRegions):
    name: str
    psnr: float
    ssim: float
    # the image's reference alignment (a diagnostic): where its content sits against the ground truth
    shift: list[float] | None = None  # [dy, dx] in packed pixels, at the image centre
    scale: float | None = None
    alignment_cc: float | None = None
    aligned_psnr_diagnostic: float | None = None  # None where the image is left out (or nothing was aligned)
    aligned_ssim_diagnostic: float | None = None

    @classmethod
    def of(cls, row) -> ImageResult:
        """An ``ImageScore`` row as the API shows it."""
        a = row.aligned or {}
        return cls(
            **row.model_dump(include=set(ImageRegions.model_fields) | {"name", "psnr", "ssim"}),
            shift=a.get("shift"),
            scale=a.get("scale"),
            alignment_cc=a.get("cc"),
            aligned_psnr_diagnostic=a.get("psnr"),
            aligned_ssim_diagnostic=a.get("ssim"),
        )


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
    """One team on a track's table ranked on one split.

    ``entry`` is the submission the row is ranked by (None: the team has no entry on that split):
    every fact-sheet figure of the row comes from it. ``scores`` holds the team's own entry on each
    visible split (on the other splits, other submissions).
    """

    rank: int | None
    team: str
    kind: str = "team"
    entry: LeaderboardRow | None = None
    scores: dict[str, LeaderboardRow]


class TrackTable(BaseModel):
    """A track's leaderboard ranked on ``split`` (by ``metric``), with a column group per visible split."""

    track: str
    split: str | None  # None: no visible test split
    metric: str
    splits: list[str]  # visible test splits, in the challenge's order
    rows: list[TrackTableRow]


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
    method: str | None = None  # baseline jobs: the method
    track: str | None = None
    split: str | None = None
    team: str | None = None  # score jobs: the submitting team
    age_s: float | None = None  # since the job was created (a re-score makes a new job)


class TeamQueueJob(BaseModel):
    """One of a team's model runs that has not ended."""

    job_id: int
    submission_id: int | None
    state: JobState  # running | queued (its turn, at the broker) | waiting (behind the team's previous run)
    track: str | None
    split: str | None
    waiting_s: float | None  # since it was submitted (a re-run: since it was asked for)
    running_s: float | None  # since its current attempt started (running only)


class TeamQueue(BaseModel):
    """A team's model runs that have not ended: the one whose turn it is first, then the waiting ones in order."""

    team_id: int
    team: str
    jobs: list[TeamQueueJob]


class QueueState(BaseModel):
    counts: dict[str, int]  # submissions per status
    oldest_waiting_s: float | None
    worker_alive: bool  # at least one worker reported alive recently
    jobs: dict[str, int]  # jobs per state
    queued_by_queue: dict[str, int]
    queued: list[JobPublic] = []  # the oldest queued jobs
    running: list[JobPublic]
    failed_recent: list[JobPublic]
    workers: list[WorkerPublic]
    model_queues: list[TeamQueue] = []  # per team, longest-waiting team first: one model run at a time each


class ReferenceMeasured(MeasuredFigures):
    """The harness's own re-run of a reference team's method on this challenge (a baseline row)."""

    split: str
    submission_id: int
    psnr: float | None  # None: its weights are untrained, so the score here is not the method's
    ssim: float | None
    weights_label: str


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
    scores: dict[str, ReportedScore | None]  # split -> the report's score (None: the report has no such cell)
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


class SplitStatePublic(BaseModel):
    """A test split as the organiser sees it: its visibility, whether it was revealed, its ranking rule."""

    track: str
    split: str
    visibility: str
    revealed: bool
    rank_by: str
    primary_metric: str


class JobAccepted(BaseModel):
    job_id: int
    queue: str
