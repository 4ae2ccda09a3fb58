"""The API routes the client calls, as the service mounts them: one table, shared by both sides.

Each route is a router prefix and a path under it (FastAPI's ``APIRouter(prefix=...)`` and the
decorator's path), so the service declares its routes from these very strings and the client
fills them in with ``url``; neither side writes a path by hand.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote


class Route(NamedTuple):
    method: str
    prefix: str  # the router's prefix
    path: str  # the path under it, with {placeholders}

    def url(self, server: str, **params: object) -> str:
        """The absolute URL on ``server`` with every placeholder filled in (each value quoted as a path segment)."""
        path = self.path.format(**{k: quote(str(v), safe="") for k, v in params.items()})
        return server.rstrip("/") + self.prefix + path


TEAMS = "/api/teams"
SUBMISSIONS = "/api/submissions"
DATA = "/api/data"

REGISTER_TEAM = Route("POST", TEAMS, "")
SUBMIT = Route("POST", SUBMISSIONS, "")
SUBMISSION = Route("GET", SUBMISSIONS, "/{submission_id}")
DATA_LISTING = Route("GET", DATA, "/{track}")
DATA_ARCHIVE = Route("GET", DATA, "/{track}/{split}/{kind}.zip")

CLIENT_ROUTES = (REGISTER_TEAM, SUBMIT, SUBMISSION, DATA_LISTING, DATA_ARCHIVE)
