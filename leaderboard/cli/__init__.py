"""The ``harness`` console script: the offline commands plus serve, worker, jobs and baselines."""

from harness.cli.app import unabridged_help
from leaderboard.cli.main import app

unabridged_help(app)  # once every command is mounted: commands lists show whole first paragraphs

__all__ = ["app"]
