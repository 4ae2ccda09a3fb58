"""The HTTP API: roles (``deps``), the streamed upload form, middleware, proxy trust, throttles and
``routes/`` per resource; refusals become HTTP statuses in ``leaderboard.app``."""
