"""The one settings object: every ``HARNESS_*`` environment variable is read here and only here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HARNESS_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    database_busy_timeout_s: float = 30.0  # SQLite: wait this long for a lock, then answer 503 + Retry-After
    broker_url: str | None = None  # None: the embedded broker (SQLite files under data_dir)
    organizer_token: str | None = None
    workers: int | None = None  # scoring threads; None = every core
    challenge: str = "demo"  # the challenge the service serves (under data_dir/challenges)
    registration_open: bool = True
    registration_per_hour: int = 20  # new teams per client address and hour (a second team sidesteps quotas)
    registration_approval: bool = False  # new teams submit only once an organiser approved them
    max_upload_bytes: int = 1 << 30
    # jobs (docs/ARCHITECTURE.md, "Jobs and scale"): the database is the truth, the reaper the guarantee
    job_max_attempts: int = 3  # a job whose worker dies or crashes this often ends failed
    job_heartbeat_s: float = 5.0  # how often a running job (and each worker) reports alive
    job_stale_s: float = 30.0  # no heartbeat for this long: the job's worker is taken for dead
    job_redispatch_s: float = 300.0  # a queued job nobody took for this long is sent again
    job_time_limit_s: float = 7200.0  # longest job; broker redelivery timeouts are set above it
    # model submissions (ONNX) run in a child process with these limits, on this device
    model_device: str = "auto"  # auto | cpu | cuda (auto: CUDA where onnxruntime has it)
    model_wall_s: float = 3600.0
    model_cpu_s: int = 4 * 3600
    model_memory_mb: int = 8 * 1024
    model_measure_full: bool = True  # also time one full-resolution image
    # `harness serve` and its workers: info (every request, banners), or warning for quiet logs
    log_level: str = "info"
    serve_worker: bool | None = None  # `harness serve` runs a worker: None = only with the embedded broker
    # a reference table (TOML, the format of baselines/tables/*.toml) used in place of the shipped one
    # the challenge names, e.g. a copy of aim2022.toml with the report's score cells filled in
    reference_file: Path | None = None
    # real sensor captures for the demo; default: the crops shipped in the package (harness/sim/captures)
    raw_captures_dir: Path = Path(__file__).resolve().parent / "sim" / "captures"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def database_url(settings: Settings) -> str:
    """The configured database, or the embedded SQLite file under the data dir."""
    return settings.database_url or f"sqlite:///{(settings.data_dir / 'harness.db').resolve()}"


def broker_urls(settings: Settings) -> tuple[str, str]:
    """(broker, result backend): the configured broker, or Celery over SQLite files under the data dir.

    Job results live in the harness database; the result backend only serves Celery's own tools.
    """
    url = settings.broker_url
    if url:
        return url, ("rpc://" if url.startswith("amqp") else url)
    root = settings.data_dir.resolve()
    return f"sqla+sqlite:///{root / 'broker.sqlite'}", f"db+sqlite:///{root / 'results.sqlite'}"
