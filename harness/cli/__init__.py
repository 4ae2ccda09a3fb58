"""The offline command line (score, data, challenge, analyze); see ``harness.cli.app``."""
