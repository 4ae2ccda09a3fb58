"""The ``harness`` console script: every command group mounted on the participants' app (offline + client)."""

from __future__ import annotations

import typer

from harness_client.cli import build_app
from leaderboard.cli.baselines import baselines_app
from leaderboard.cli.jobs import jobs_app, worker

app = build_app()
app.command("worker")(worker)
app.add_typer(jobs_app, name="jobs")
app.add_typer(baselines_app, name="baselines")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port."),
    worker: bool | None = typer.Option(
        None, "--worker/--no-worker", help="Also run a worker process (default: only with the embedded broker)."
    ),
    challenge: str | None = typer.Option(
        None, "--challenge", help="Serve this challenge (under DATA_DIR/challenges; default: HARNESS_CHALLENGE, demo)."
    ),
    log_level: str | None = typer.Option(
        None,
        "--log-level",
        help="info (every request, worker banners) or warning (quiet: problems only); default HARNESS_LOG_LEVEL, info.",
    ),
    access_log: bool | None = typer.Option(
        None, "--access-log/--no-access-log", help="Log every request (default: only at log level info or debug)."
    ),
) -> None:
    """Serve the leaderboard and the submission API (HARNESS_* settings).

    With the embedded broker (no HARNESS_BROKER_URL) a worker process runs beside it, so one
    command serves and scores; with Redis or RabbitMQ, start workers with `harness worker`.
    """
    import uvicorn

    from leaderboard.app import create_app
    from leaderboard.settings import UnfitSetting, get_settings

    settings = get_settings()
    if worker is not None:
        settings = settings.model_copy(update={"serve_worker": worker})
    if challenge is not None:
        from harness.challenge import ChallengeLayout

        if not ChallengeLayout.under(settings.data_dir, challenge).spec_file.is_file():
            typer.echo(f"Error: no challenge {challenge!r} under {settings.data_dir / 'challenges'}", err=True)
            raise typer.Exit(2)
        settings = settings.model_copy(update={"challenge": challenge})
    level = (log_level or settings.log_level).lower()
    settings = settings.model_copy(update={"log_level": level})  # the embedded workers log alike
    if access_log is None:
        access_log = level in ("debug", "info")
    try:
        app = create_app(settings)
    except UnfitSetting as exc:
        typer.echo(f"Error [{exc.code}]: {exc.message}", err=True)
        raise typer.Exit(2) from None
    # forwarding headers: the application applies HARNESS_TRUSTED_PROXIES itself (leaderboard.api.proxy);
    # uvicorn's own handling, which believes any loopback peer by default, stays off so it cannot go first
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=level,
        access_log=access_log,
        proxy_headers=False,
        forwarded_allow_ips="",
    )
