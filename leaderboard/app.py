"""The FastAPI application: JSON API, HTML pages, static assets and the embedded worker."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from harness import __version__
from harness.errors import (
    Conflict,
    Forbidden,
    HarnessError,
    Invalid,
    LimitReached,
    NotFound,
    StorageFailed,
    StorageFull,
    TooLarge,
    Unreadable,
)
from leaderboard.api.middleware import MULTIPART_OVERHEAD, SMALL_BODY, BodyLimit, SecurityHeaders
from leaderboard.api.proxy import ProxyTrust
from leaderboard.api.routes import analysis, board, data, organiser, submissions, teams
from leaderboard.api.throttle import TokenFailures
from leaderboard.context import build_context
from leaderboard.jobs.celery_app import QUEUES, is_embedded
from leaderboard.jobs.runner import Maintenance
from leaderboard.jobs.supervisor import SupervisedWorker, stop_workers
from leaderboard.settings import Settings, check_service, get_settings, trusted_networks
from leaderboard.web.apidocs import redoc_page, swagger_page
from leaderboard.web.pages import router as web_router

STATIC = Path(__file__).parent / "web" / "static"
RETRY_AFTER_S = 5

# the one place where a refusal of the service becomes an HTTP status
HTTP_STATUS: dict[type[HarnessError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Invalid: 400,
    LimitReached: 429,
    TooLarge: 413,
    Unreadable: 422,  # a stored file the request needs is missing or damaged
    StorageFull: 507,  # the service's disk is full: its fault, not the caller's
    StorageFailed: 503,  # the service's disk failed
}


def status_of(exc: HarnessError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400


class Service(FastAPI):
    """The application with two layers outside Starlette's own: the proxy rule sets the client
    address before anything reads it, and the security headers reach every answer, a 500 too."""

    def build_middleware_stack(self):
        stack = super().build_middleware_stack()
        return SecurityHeaders(ProxyTrust(stack, self.state.trusted_proxies))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_service(settings)  # a short organiser token or a malformed proxy list: refuse to start
    ctx = build_context(settings)
    ctx.challenge.spec  # noqa: B018 - fail at start-up, not on the first request, if the challenge is missing
    ctx.reference.table  # noqa: B018 - and if the reference table it names (or the override) cannot be read

    run_worker = settings.serve_worker if settings.serve_worker is not None else is_embedded(settings)
    upload_limit = settings.max_upload_bytes + MULTIPART_OVERHEAD

    def body_limit(scope) -> int:
        is_upload = scope.get("method") == "POST" and scope.get("path", "").rstrip("/") == "/api/submissions"
        return upload_limit if is_upload else SMALL_BODY

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # what a killed process left behind: partial uploads and scratch folders of dead processes
        ctx.store.sweep_partials()
        ctx.scoring.sweep()
        ctx.downloads.cache.sweep()
        ctx.downloads.warm()  # build the participants' archives ahead, on a background thread
        ctx.baseline_jobs.warm()  # and load the baselines' methods (torch) there: workers never pay for it
        upkeep = Maintenance(ctx.jobs)  # the reaper runs here too: no job stays stuck without workers
        upkeep.start()
        # one worker per queue: a long baseline job on `gpu` never holds up scoring on `cpu`
        workers = (
            [SupervisedWorker(settings, queues=q) for q in QUEUES if q in settings.served_queues] if run_worker else []
        )
        for w in workers:
            w.start()
        yield
        stop_workers(workers)
        upkeep.stop()

    app = Service(
        title="reisp-harness",
        version=__version__,
        lifespan=lifespan,
        description="Reversed ISP challenge: submissions and leaderboard.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.trusted_proxies = trusted_networks(settings)
    app.state.token_failures = TokenFailures(settings.auth_failures_per_minute)
    app.add_middleware(BodyLimit, limit_for=body_limit)

    @app.exception_handler(HarnessError)
    async def _refused(_request: Request, exc: HarnessError) -> JSONResponse:
        content = {"detail": exc.message}
        if getattr(exc, "code", None):
            content["code"] = exc.code
        wait = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(wait)} if wait is not None else None
        return JSONResponse(status_code=status_of(exc), content=content, headers=headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _busy(_request: Request, exc: Exception) -> JSONResponse:
        # a database that stays locked (SQLite under a long write) or unreachable: try again shortly
        return JSONResponse(
            status_code=503,
            content={"detail": "the database is busy; try again shortly"},
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    app.include_router(teams.router)
    app.include_router(submissions.router)
    app.include_router(board.router)
    app.include_router(organiser.router)
    app.include_router(analysis.router)
    app.include_router(data.router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return swagger_page(app.openapi_url, f"{app.title}: API")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return redoc_page(app.openapi_url, f"{app.title}: API")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=308)

    @app.get("/api/health", tags=["meta"])
    def health() -> dict:
        return {"ok": True, "version": __version__, "challenge": ctx.challenge.name}

    return app
