"""The FastAPI application: JSON API, HTML pages and the scoring worker."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from harness import __version__
from harness.jobs.app import QUEUES, is_embedded
from harness.jobs.supervisor import SupervisedWorker
from harness.settings import Settings, database_url, get_settings
from leaderboard.api.routes import analysis, board, organiser, submissions, teams
from leaderboard.db import init_db, make_engine
from leaderboard.jobs import Maintenance
from leaderboard.service import Service, ServiceError
from leaderboard.web import router as web_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(database_url(settings))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    init_db(engine)
    service = Service(settings, engine)
    service.spec  # noqa: B018 - fail at start-up, not on the first request, if the challenge is missing
    service.reference  # noqa: B018 - and if the reference table it names (or the override) cannot be read

    run_worker = settings.serve_worker if settings.serve_worker is not None else is_embedded(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        upkeep = Maintenance(service)  # the reaper runs here too: no job stays stuck without workers
        upkeep.start()
        # one worker per queue: a long baseline job on `gpu` never holds up scoring on `cpu`
        workers = [SupervisedWorker(settings, queues=q) for q in QUEUES] if run_worker else []
        for w in workers:
            w.start()
        yield
        for w in workers:
            w.stop()
        upkeep.stop()

    app = FastAPI(
        title="reisp-harness",
        version=__version__,
        lifespan=lifespan,
        description="Reversed ISP challenge: submissions and leaderboard.",
    )
    app.state.service = service

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.message})

    app.include_router(teams.router)
    app.include_router(submissions.router)
    app.include_router(board.router)
    app.include_router(organiser.router)
    app.include_router(analysis.router)
    app.include_router(web_router)

    @app.get("/api/health", tags=["meta"])
    def health() -> dict:
        return {"ok": True, "version": __version__, "challenge": service.spec.name}

    return app
