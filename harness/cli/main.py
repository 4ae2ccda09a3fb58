"""Entry point: ``harness`` and its sub-commands."""

from __future__ import annotations

import typer

from harness import __version__
from harness.cli.client import submit, team_app
from harness.cli.data import data_app
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
) -> None:
    """Serve the leaderboard, the submission API and the scoring worker (HARNESS_* settings)."""
    import uvicorn

    from leaderboard.app import create_app  # lazy: harness does not import the service otherwise

    uvicorn.run(create_app(), host=host, port=port, log_level="info")
