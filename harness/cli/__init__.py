"""The ``harness`` command line."""

from harness.cli.main import app

__all__ = ["app"]
