"""Teams: registration, bearer tokens (stored hashed), the organiser's token, baseline teams."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, func, select

from harness.errors import Conflict, Forbidden, LimitReached, NotFound
from leaderboard.models import Clock, Team, utcnow
from leaderboard.schemas import TeamCreated
from leaderboard.settings import Settings

BASELINE_PREFIX = "baseline: "  # a colon never appears in a registered team's name


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Teams:
    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock

    def register(self, session: Session, name: str, client: str | None = None) -> TeamCreated:
        """A new team (``name`` already normalised by the schema); ``client``: the caller's address.

        At most ``registration_per_hour`` teams per address and hour, so a second team cannot
        sidestep a per-team limit by the dozen; with ``registration_approval`` a new team may
        submit only once an organiser approved it.
        """
        if not self.settings.registration_open:
            raise Forbidden("registration is closed by the organisers")
        if session.exec(select(Team).where(func.lower(Team.name) == name.lower())).first():
            raise Conflict(f"a team named {name!r} already exists")
        origin = token_hash(f"client:{client}") if client else None
        if origin is not None:
            recent = session.exec(
                select(func.count())
                .select_from(Team)
                .where(Team.created_from == origin, col(Team.created_at) >= self.clock() - timedelta(hours=1))
            ).one()
            if recent >= self.settings.registration_per_hour:
                raise LimitReached(
                    f"at most {self.settings.registration_per_hour} teams per hour may be registered from one address"
                )
        token = secrets.token_urlsafe(24)
        team = Team(
            name=name,
            token_sha256=token_hash(token),
            created_from=origin,
            created_at=self.clock(),
            approved=not self.settings.registration_approval,
        )
        session.add(team)
        session.commit()
        session.refresh(team)
        return TeamCreated(id=team.id, name=team.name, token=token, approved=team.approved)

    def listing(self, session: Session) -> list[Team]:
        return list(session.exec(select(Team).where(Team.kind == "team").order_by(col(Team.id))).all())

    def set_approved(self, session: Session, team_id: int, approved: bool) -> Team:
        team = session.get(Team, team_id)
        if team is None or team.kind != "team":
            raise NotFound("no such team")
        team.approved = approved
        session.add(team)
        session.commit()
        session.refresh(team)
        return team

    def for_token(self, session: Session, token: str) -> Team | None:
        return session.exec(select(Team).where(Team.token_sha256 == token_hash(token))).first()

    def is_organiser(self, token: str | None) -> bool:
        expected = self.settings.organiser_token
        # compared as bytes: compare_digest refuses non-ASCII str, and a header may carry any byte
        return bool(expected and token and secrets.compare_digest(token.encode(), expected.encode()))

    def baseline_team(self, session: Session, method: str) -> Team:
        """The team row of a method the harness re-runs (created on first use; nobody holds its token)."""
        name = f"{BASELINE_PREFIX}{method}"
        team = session.exec(select(Team).where(Team.name == name)).first()
        if team is None:
            team = Team(name=name, kind="baseline", token_sha256=token_hash(secrets.token_urlsafe(32)))
            session.add(team)
            session.commit()
            session.refresh(team)
        return team
