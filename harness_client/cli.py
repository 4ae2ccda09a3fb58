"""The participants' command line: the offline commands plus the HTTP client's (team, submit, data download).

``python -m harness_client`` runs it without the service installed; the ``harness`` script
(``leaderboard.cli``) builds on it and adds the service's commands.
"""

from __future__ import annotations

import typer

from harness.cli.app import build_app as build_offline_app
from harness.cli.app import unabridged_help
from harness_client.commands import download, submit, team_app


def build_app() -> typer.Typer:
    """A new Typer app: every offline command, ``team``, ``submit`` and ``data download``."""
    app = build_offline_app(data_commands=(("download", download),))
    app.add_typer(team_app, name="team")
    app.command("submit")(submit)
    return app


app = unabridged_help(build_app())
