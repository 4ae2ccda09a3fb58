"""The offline command line (score, data, analyze, team, submit); see ``harness.cli.app``."""
