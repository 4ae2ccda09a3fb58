"""The ``harness`` console script: the offline commands plus serve, worker, jobs and baselines."""

from leaderboard.cli.main import app

__all__ = ["app"]
