"""The one settings object: every ``HARNESS_*`` environment variable is read here and only here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HARNESS_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    broker_url: str | None = None
    organizer_token: str | None = None
    workers: int | None = None  # scoring threads; None = every core
    challenge: str = "demo"  # the challenge the service serves (under data_dir/challenges)
    registration_open: bool = True
    max_upload_bytes: int = 1 << 30
    # real sensor captures; default: shared/data/raw beside the checkout
    raw_captures_dir: Path = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def database_url(settings: Settings) -> str:
    """The configured database, or the embedded SQLite file under the data dir."""
    return settings.database_url or f"sqlite:///{(settings.data_dir / 'harness.db').resolve()}"
