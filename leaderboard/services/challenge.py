"""The challenge the service serves: where its files are and its spec (read once)."""

from __future__ import annotations

from functools import cached_property

from harness.challenge import ChallengeLayout, ChallengeSpec, SplitLayout, SplitSpec, TrackSpec, load_challenge
from harness.errors import Invalid, NotFound


class Challenge:
    def __init__(self, layout: ChallengeLayout) -> None:
        self.layout = layout

    @cached_property
    def spec(self) -> ChallengeSpec:
        return load_challenge(self.layout.root)

    @property
    def name(self) -> str:
        return self.spec.name

    def track(self, track: str) -> TrackSpec:
        """A track (NotFound for an unknown one)."""
        return self.spec.track(track)

    def split(self, track: str, split: str) -> SplitSpec:
        """A split of a track (NotFound for an unknown track or split)."""
        return self.spec.track(track).split(split)

    def test_split(self, track: str, split: str) -> SplitSpec:
        """A split that takes submissions (Invalid for a training split)."""
        spec = self.split(track, split)
        if spec.kind != "test":
            raise Invalid(f"split {split!r} takes no submissions")
        return spec

    def default_split(self, track: str) -> str:
        """The track's first test split."""
        tests = self.track(track).test_splits
        if not tests:
            raise NotFound(f"track {track!r} has no test split")
        return tests[0].name

    def files(self, track: str, split: str) -> SplitLayout:
        """The folders of a split, laid out for its track's kind (a forward track's inputs are RAW)."""
        return self.layout.split(track, split, self.spec.track(track).kind)

    def profile(self, track: str) -> str:
        """The metric profile of a track's scores (``srgb`` on a forward track)."""
        return self.spec.profile_of(track)
