"""Entry point: ``harness`` and its sub-commands."""

from __future__ import annotations

import typer

from harness import __version__
from harness.cli.analyze import analyze
from harness.cli.baselines import baselines_app
from harness.cli.client import submit, team_app
from harness.cli.data import data_app
from harness.cli.jobs import jobs_app, worker
from harness.cli.score import score

app = typer.Typer(
    name="harness",
    help="Benchmark and leaderboard harness of the Reversed ISP challenge (sRGB -> RAW).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("score")(score)
app.add_typer(data_app, name="data")
app.add_typer(team_app, name="team")
app.command("submit")(submit)
app.command("worker")(worker)
app.add_typer(jobs_app, name="jobs")
app.add_typer(baselines_app, name="baselines")
app.command("analyze")(analyze)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harness {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Benchmark and leaderboard harness of the Reversed ISP challenge (sRGB -> RAW)."""


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port."),
    worker: bool | None = typer.Option(
        None, "--worker/--no-worker", help="Also run a worker process (default: only with the embedded broker)."
    ),
) -> None:
    """Serve the leaderboard and the submission API (HARNESS_* settings).

    With the embedded broker (no HARNESS_BROKER_URL) a worker process runs beside it, so one
    command serves and scores; with Redis or RabbitMQ, start workers with `harness worker`.
    """
    import uvicorn

    from harness.settings import get_settings
    from leaderboard.app import create_app  # lazy: harness does not import the service otherwise

    settings = get_settings()
    if worker is not None:
        settings = settings.model_copy(update={"serve_worker": worker})
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
