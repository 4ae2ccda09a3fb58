"""Reference tables: what a past challenge's report says about its teams, shipped as data.

A reference table (``baselines/tables/<name>.toml``) lists each team's self-reported params,
runtime, GPU, ED / ENS / FR and, where the harness has them, the report's scores. Nothing in
it was measured here; the leaderboard shows it apart, marked "reported, not re-run", with the
harness's own measurements beside it where it re-implemented the team's method.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

TABLES = Path(__file__).parent / "tables"


class ReportedScore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    psnr: float = Field(gt=0, le=100)
    ssim: float = Field(ge=-1, le=1)


class ReportedTeam(BaseModel):
    """One team's row in the report's table."""

    model_config = ConfigDict(extra="forbid")

    team: str = Field(min_length=1)
    method: str | None = Field(None, description="the harness's re-implementation, if any")
    params_m: float | None = Field(None, ge=0)
    runtime_ms: float | None = Field(None, ge=0)
    gpu: str | None = None
    extra_data: bool | None = None  # None: no source states it
    ensemble: bool | None = None
    full_resolution: bool | None = None
    tracks: list[str] | None = Field(None, description="tracks entered; None = every track of the table")
    scores: dict[str, dict[str, ReportedScore]] = Field(default_factory=dict, description="track -> split -> score")
    note: str = ""

    def score(self, track: str, split: str) -> ReportedScore | None:
        return self.scores.get(track, {}).get(split)


class ReferenceTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    source: str
    tracks: list[str] = Field(min_length=1)
    splits: list[str] = Field(min_length=1)
    teams: list[ReportedTeam]

    @model_validator(mode="after")
    def _consistent(self) -> ReferenceTable:
        seen: set[str] = set()
        for t in self.teams:
            if t.team in seen:
                raise ValueError(f"team {t.team!r} is listed twice")
            seen.add(t.team)
            for track in t.tracks or []:
                if track not in self.tracks:
                    raise ValueError(f"team {t.team!r}: unknown track {track!r} (the table has {self.tracks})")
            for track, by_split in t.scores.items():
                if track not in (t.tracks or self.tracks):
                    raise ValueError(f"team {t.team!r}: a score for track {track!r}, which it did not enter")
                for split in by_split:
                    if split not in self.splits:
                        raise ValueError(f"team {t.team!r}: unknown split {split!r} (the table has {self.splits})")
        return self

    def for_track(self, track: str) -> list[ReportedTeam]:
        """The teams that entered a track, in the table's order."""
        return [t for t in self.teams if track in (t.tracks or self.tracks)]


class ReferenceTableError(ValueError):
    """A reference table that cannot be read; the message names the file and the problem."""


def names() -> list[str]:
    return sorted(p.stem for p in TABLES.glob("*.toml"))


def load_file(path: Path) -> ReferenceTable:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReferenceTableError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ReferenceTableError(f"{path}: not valid TOML ({exc})") from None
    try:
        return ReferenceTable.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "table"
        raise ReferenceTableError(f"{path}: {where}: {first['msg']}") from None


def load(name: str, override: Path | None = None) -> ReferenceTable:
    """The shipped table ``name``, or ``override`` (a file of the same format) when given."""
    if override is not None:
        table = load_file(override)
        if table.name != name:
            raise ReferenceTableError(f"{override}: holds table {table.name!r}, but the challenge asks for {name!r}")
        return table
    if name not in names():
        raise ReferenceTableError(f"no reference table named {name!r}; shipped: {', '.join(names()) or 'none'}")
    return load_file(TABLES / f"{name}.toml")
