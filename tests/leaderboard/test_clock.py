"""Services read the time from the clock of the composition root: tests move it instead of sleeping."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlmodel import Session

from harness.errors import Forbidden, LimitReached
from leaderboard.context import build_context
from leaderboard.db import make_engine
from leaderboard.models import Submission, Team
from leaderboard.settings import Settings
from tests.clock import MovableClock
from tests.support import build_tiny_challenge, make_zip


@pytest.fixture
def clocked(tmp_path):
    data = build_tiny_challenge(tmp_path / "data", test1_limits=(2, 5))
    url = f"sqlite:///{data / 'harness.db'}"
    engine = make_engine(url)
    clock = MovableClock()
    ctx = build_context(
        Settings(data_dir=data, database_url=url, workers=1, registration_per_hour=2), engine, clock=clock
    )
    yield ctx, clock
    engine.dispose()


def upload(ctx, session, team_id: int, seed: int) -> Submission:
    payload = io.BytesIO(make_zip(ctx.settings.data_dir, seed=seed))
    return ctx.submissions.submit(session, session.get(Team, team_id), "s7", "test1", payload, {})


def test_the_daily_quota_frees_a_slot_once_the_clock_passes_24_hours(clocked):
    ctx, clock = clocked
    with Session(ctx.engine) as session:
        team_id = ctx.teams.register(session, "early").id
        first = upload(ctx, session, team_id, 1)
        assert first.created_at.replace(tzinfo=clock.now.tzinfo) == clock.now  # stamped by the clock
        clock.advance(hours=1)
        upload(ctx, session, team_id, 2)
        with pytest.raises(LimitReached, match="per 24 h"):
            upload(ctx, session, team_id, 3)
        clock.advance(hours=23, seconds=1)  # the first one is over 24 h old now, the second is not
        upload(ctx, session, team_id, 4)
        with pytest.raises(LimitReached, match="per 24 h"):
            upload(ctx, session, team_id, 5)


def test_registrations_per_address_and_hour_follow_the_clock(clocked):
    ctx, clock = clocked
    with Session(ctx.engine) as session:
        ctx.teams.register(session, "a1", client="10.0.0.1")
        ctx.teams.register(session, "a2", client="10.0.0.1")
        with pytest.raises(LimitReached, match="per hour"):
            ctx.teams.register(session, "a3", client="10.0.0.1")
        clock.advance(minutes=61)
        assert ctx.teams.register(session, "a3", client="10.0.0.1").name == "a3"


def test_split_dates_are_read_from_the_clock(clocked):
    ctx, clock = clocked
    spec = ctx.challenge.split("s7", "test1")
    spec.opens, spec.closes = clock.now + timedelta(hours=1), clock.now + timedelta(hours=2)
    with Session(ctx.engine) as session:
        team = session.get(Team, ctx.teams.register(session, "dated").id)
        with pytest.raises(Forbidden, match="opens at"):
            ctx.submissions.check_open(team, "s7", "test1")
        clock.advance(minutes=90)
        assert ctx.submissions.check_open(team, "s7", "test1") is spec
        clock.advance(minutes=31)
        with pytest.raises(Forbidden, match="closed at"):
            ctx.submissions.check_open(team, "s7", "test1")
