"""The offline ``harness`` commands: scoring, data, analysis and the HTTP client.

``python -m harness`` runs these alone; the installed ``harness`` script (``leaderboard.cli``)
mounts them together with the service's commands (serve, worker, jobs, baselines).
"""

from __future__ import annotations

import typer

from harness import __version__
from harness.cli.analyze import analyze
from harness.cli.challenge import challenge_app
from harness.cli.client import submit, team_app
from harness.cli.data import data_app
from harness.cli.score import score

HELP = "Benchmark and leaderboard harness of the Reversed ISP challenge (sRGB -> RAW)."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harness {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """A new Typer app holding the offline commands (callers may mount more on it)."""
    app = typer.Typer(
        name="harness",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def main(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """Benchmark and leaderboard harness of the Reversed ISP challenge (sRGB -> RAW)."""

    app.command("score")(score)
    app.add_typer(data_app, name="data")
    app.add_typer(challenge_app, name="challenge")
    app.add_typer(team_app, name="team")
    app.command("submit")(submit)
    app.command("analyze")(analyze)
    return app


app = build_app()
