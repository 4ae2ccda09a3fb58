"""The composition root: settings, database engine, challenge, upload store, job queue and the
services, built once per process and handed to whoever needs them (app, worker, CLI, tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy.engine import Engine

from harness.challenge import ChallengeLayout
from leaderboard.db import init_db, make_engine
from leaderboard.jobs.queue import JobQueue
from leaderboard.models import Clock, utcnow
from leaderboard.services.analysis import Analysis
from leaderboard.services.baseline_jobs import BaselineJobs
from leaderboard.services.baseline_runs import BaselineRuns
from leaderboard.services.challenge import Challenge
from leaderboard.services.downloads import Downloads
from leaderboard.services.job_handlers import job_handlers
from leaderboard.services.model_runs import ModelRuns
from leaderboard.services.ranking import Ranking
from leaderboard.services.reference import Reference
from leaderboard.services.scoring import Scoring
from leaderboard.services.splits import Splits
from leaderboard.services.submissions import Submissions
from leaderboard.services.teams import Teams
from leaderboard.settings import Settings, database_url, get_settings
from submissions.store import UploadStore


@dataclass
class Context:
    settings: Settings
    engine: Engine
    challenge: Challenge
    store: UploadStore
    jobs: JobQueue
    teams: Teams
    splits: Splits
    submissions: Submissions
    scoring: Scoring
    ranking: Ranking
    reference: Reference
    baselines: BaselineRuns
    models: ModelRuns
    downloads: Downloads
    analysis: Analysis
    baseline_jobs: BaselineJobs
    clock: Clock = utcnow


def build_context(
    settings: Settings, engine: Engine | None = None, *, migrate: bool = True, clock: Clock = utcnow
) -> Context:
    """Everything the service needs, wired once (the database is created/migrated unless ``migrate=False``).

    ``clock`` is where every service reads the time (quotas per day, split dates, job staleness,
    registrations per hour); tests pass one they move instead of sleeping."""
    if engine is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(database_url(settings), settings.database_busy_timeout_s)
    if migrate:
        init_db(engine)
    challenge = Challenge(ChallengeLayout.under(settings.data_dir, settings.challenge))
    store = UploadStore(settings.data_dir / "submissions")
    jobs = JobQueue(settings, engine, clock)
    teams = Teams(settings, clock)
    splits = Splits(challenge)
    submissions = Submissions(settings, challenge, splits, store, jobs, clock)
    ranking = Ranking(challenge, splits)
    reference = Reference(settings, challenge)
    scoring = Scoring(settings, engine, challenge, splits, store)
    baselines = BaselineRuns(settings, engine, challenge, teams, submissions, scoring)
    models = ModelRuns(settings, engine, challenge, store, scoring)
    jobs.handlers.update(job_handlers(scoring, baselines, models))
    return Context(
        settings=settings,
        engine=engine,
        challenge=challenge,
        store=store,
        jobs=jobs,
        teams=teams,
        splits=splits,
        submissions=submissions,
        scoring=scoring,
        ranking=ranking,
        reference=reference,
        baselines=baselines,
        models=models,
        downloads=Downloads(settings.data_dir / "downloads" / settings.challenge, challenge, clock),
        analysis=Analysis(challenge, ranking, reference, store, clock),
        baseline_jobs=BaselineJobs(challenge, jobs),
        clock=clock,
    )


@cache
def process_context() -> Context:
    """The context of this process from the HARNESS_* environment (workers and CLI commands)."""
    return build_context(get_settings())
