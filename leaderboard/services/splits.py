"""Splits: the organiser's switches (reveal, ranking rule), who may see results, GT manifests."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from harness.errors import NotFound
from harness.hashing import file_sha256
from leaderboard.models import SplitState
from leaderboard.services.challenge import Challenge


class Splits:
    def __init__(self, challenge: Challenge) -> None:
        self.challenge = challenge
        self._manifests: dict[tuple[str, str], str] = {}

    def state(self, session: Session, track: str, split: str) -> SplitState:
        name = self.challenge.name
        state = session.exec(
            select(SplitState).where(SplitState.challenge == name, SplitState.track == track, SplitState.split == split)
        ).first()
        if state is None:
            state = SplitState(challenge=name, track=track, split=split)
            session.add(state)
            session.commit()
            session.refresh(state)
        return state

    def update(self, session: Session, track: str, split: str, **fields) -> SplitState:
        """Change an organiser switch of a split (NotFound for an unknown track or split)."""
        self.challenge.split(track, split)
        state = self.state(session, track, split)
        for key, value in fields.items():
            setattr(state, key, value)
        session.add(state)
        session.commit()
        return state

    def visible(self, session: Session, track: str, split: str, organiser: bool) -> bool:
        """May this caller see results of the split? Hidden splits only once revealed."""
        if organiser:
            return True
        spec = self.challenge.split(track, split)
        return spec.visibility == "public" or self.state(session, track, split).revealed

    def require_visible(self, session: Session, track: str, split: str, organiser: bool, message: str) -> None:
        """NotFound with ``message`` when the caller may not see the split's results."""
        if not self.visible(session, track, split, organiser):
            raise NotFound(message)

    def visible_test_splits(self, session: Session, track: str, organiser: bool) -> list[str]:
        return [
            s.name for s in self.challenge.track(track).test_splits if self.visible(session, track, s.name, organiser)
        ]

    def gt_manifest(self, track: str, split: str) -> str:
        """sha256 over the sorted (name, file sha256) of a split's ground truth."""
        key = (track, split)
        if key not in self._manifests:
            h = hashlib.sha256()
            for p in self.challenge.files(track, split).gt_files():
                h.update(p.name.encode() + b"\0" + bytes.fromhex(file_sha256(p)))
            self._manifests[key] = h.hexdigest()
        return self._manifests[key]
