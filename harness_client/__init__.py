"""The participants' HTTP client of a running leaderboard service: register a team, submit, download data.

It speaks the service's API through the route table (``routes``) and payload models
(``schemas``) the service itself mounts and validates with, and imports no web framework,
database or task queue: ``harness`` (the offline library) is all it builds on.
"""
