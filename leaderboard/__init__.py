"""The leaderboard service: API, pages, jobs and workers over the database (see docs/ARCHITECTURE.md)."""
