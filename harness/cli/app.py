"""The offline ``harness`` commands: scoring, data, challenges, analysis.

``python -m harness`` runs these alone; ``harness_client.cli`` adds the HTTP client (team,
submit, data download) and the installed ``harness`` script (``leaderboard.cli``) mounts all of
them together with the service's commands (serve, worker, jobs, baselines).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import typer

from harness import __version__
from harness.cli.analyze import analyze
from harness.cli.challenge import challenge_app
from harness.cli.data import build_data_app
from harness.cli.score import score

HELP = "Benchmark and leaderboard harness of the Reversed ISP challenge (sRGB -> RAW)."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harness {__version__}")
        raise typer.Exit()


def _first_paragraph(text) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def unabridged_help(app: typer.Typer) -> typer.Typer:
    """Commands lists show each command's whole first paragraph, wrapped, instead of click's cut
    ("..." at about 60 characters in an 80-column terminal). Call once every command is mounted."""
    from typer.models import DefaultPlaceholder

    def given(value):
        return None if isinstance(value, DefaultPlaceholder) else value

    for cmd in app.registered_commands:
        if given(cmd.short_help) is None:
            cmd.short_help = _first_paragraph(given(cmd.help) or (cmd.callback.__doc__ if cmd.callback else None))
    for group in app.registered_groups:
        sub = group.typer_instance
        if given(group.short_help) is None:
            doc = given(group.help) or given(sub.info.help)
            group.short_help = _first_paragraph(doc)
        unabridged_help(sub)
    return app


def build_app(data_commands: tuple[tuple[str, Callable], ...] = ()) -> typer.Typer:
    """A new Typer app holding the offline commands (callers may mount more on it); ``data_commands``
    are (name, function) pairs added to the ``data`` group after its own."""
    app = typer.Typer(
        name="harness",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # plain help (every sub-command inherits it): wraps at the terminal's width instead of
        # truncating cells of rich tables at 80 columns, and shows no "<bool>" beside flags
        rich_markup_mode=None,
    )

    @app.callback()
    def main(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """Benchmark and leaderboard harness of the Reversed ISP challenge (sRGB -> RAW)."""

    app.command("score")(score)
    app.add_typer(build_data_app(*data_commands), name="data")
    app.add_typer(challenge_app, name="challenge")
    app.command("analyze")(analyze)
    return app


app = unabridged_help(build_app())
