"""Splits: the organiser's switches (reveal, ranking rule), who may see results, GT manifests.

The rule of hidden splits lives here and nowhere else: a hidden split shows nothing to
non-organisers (not scores, not counts) until an organiser reveals it. Pages, routes and other
services ask ``visible`` / ``view`` rather than restating it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, select

from harness.challenge import SplitSpec
from harness.errors import NotFound
from harness.hashing import file_sha256
from leaderboard.models import SplitState
from leaderboard.schemas import SplitStatePublic
from leaderboard.services.challenge import Challenge


@dataclass(frozen=True)
class SplitView:
    """What one caller may know of a test split."""

    spec: SplitSpec
    revealed: bool  # a hidden split an organiser has revealed
    visible: bool  # whether this caller sees its results
    rank_by: str  # best | latest

    @property
    def shown_as(self) -> Literal["public", "revealed", "hidden"]:
        """The split's badge: public, revealed (a hidden split made public), or hidden."""
        if self.spec.visibility == "public":
            return "public"
        return "revealed" if self.revealed else "hidden"


class Splits:
    def __init__(self, challenge: Challenge) -> None:
        self.challenge = challenge
        self._manifests: dict[tuple[str, str], str] = {}

    def _row(self, session: Session, track: str, split: str) -> SplitState | None:
        name = self.challenge.name
        query = select(SplitState).where(
            SplitState.challenge == name, SplitState.track == track, SplitState.split == split
        )
        return session.exec(query).first()

    def state(self, session: Session, track: str, split: str) -> SplitState:
        """The split's switches; the defaults (not revealed, ranked by best) when no organiser changed
        them. Only reads: the row is written by ``update``, never by a reader."""
        row = self._row(session, track, split)
        return row if row is not None else SplitState(challenge=self.challenge.name, track=track, split=split)

    def update(self, session: Session, track: str, split: str, **fields) -> SplitState:
        """Change an organiser switch of a split (NotFound for an unknown track or split)."""
        self.challenge.split(track, split)
        state = self._row(session, track, split) or SplitState(challenge=self.challenge.name, track=track, split=split)
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

    def view(self, session: Session, track: str, split: str, organiser: bool) -> SplitView:
        """One split as this caller may know it (NotFound for an unknown track or split)."""
        spec = self.challenge.split(track, split)
        state = self.state(session, track, split)
        revealed = spec.visibility == "hidden" and state.revealed
        visible = organiser or spec.visibility == "public" or revealed
        return SplitView(spec=spec, revealed=revealed, visible=visible, rank_by=state.rank_by)

    def views(self, session: Session, track: str, organiser: bool) -> list[SplitView]:
        """Every test split of a track, in the challenge's order, as this caller may know it."""
        return [self.view(session, track, s.name, organiser) for s in self.challenge.track(track).test_splits]

    def visible_test_splits(self, session: Session, track: str, organiser: bool) -> list[str]:
        return [v.spec.name for v in self.views(session, track, organiser) if v.visible]

    def organiser_states(self, session: Session) -> list[SplitStatePublic]:
        """Every test split of the challenge with its visibility, its reveal switch and ranking rule."""
        out = []
        for t in self.challenge.spec.tracks:
            for s in t.test_splits:
                state = self.state(session, t.name, s.name)
                out.append(
                    SplitStatePublic(
                        track=t.name,
                        split=s.name,
                        visibility=s.visibility,
                        revealed=state.revealed,
                        rank_by=state.rank_by,
                        primary_metric=s.primary_metric,
                    )
                )
        return out

    def gt_manifest(self, track: str, split: str) -> str:
        """sha256 over the sorted (name, file sha256) of a split's ground truth."""
        key = (track, split)
        if key not in self._manifests:
            h = hashlib.sha256()
            for p in self.challenge.files(track, split).gt_files():
                h.update(p.name.encode() + b"\0" + bytes.fromhex(file_sha256(p)))
            self._manifests[key] = h.hexdigest()
        return self._manifests[key]
