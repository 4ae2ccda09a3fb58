"""reisp-harness: scoring, submissions, baselines and leaderboard of the Reversed ISP challenge."""

__version__ = "0.1.0"
