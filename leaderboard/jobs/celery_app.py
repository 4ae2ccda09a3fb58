"""The Celery application: broker, queues and delivery settings.

Delivery is at-least-once: late acknowledgement, redelivery when a worker is lost, one
message prefetched at a time. Duplicates are harmless because a worker must first claim the
job in the database (queued -> running); the job table and its reaper, not the broker, are
what guarantee that every job ends. Senders need no task registered (they send by name);
workers register the tasks (``leaderboard.jobs.tasks``) before they start.
"""

from __future__ import annotations

from celery import Celery, bootsteps

from leaderboard.models import JobKind
from leaderboard.queues import CPU_QUEUE, GPU_QUEUE, QUEUES  # noqa: F401 - the names senders use
from leaderboard.settings import Settings, broker_urls

# one Celery task per kind of job; each only carries the job's id
TASK_FOR_KIND = {
    JobKind.SCORE: "harness.score_submission",
    JobKind.BASELINE_RUN: "harness.run_baseline",
    JobKind.BASELINE_TRAIN: "harness.train_baseline",
    JobKind.MODEL_RUN: "harness.run_model",
}

EMBEDDED_POLL_S = 0.2  # the SQLAlchemy transport polls its table; kombu's default is 1 s


def is_embedded(settings: Settings) -> bool:
    return broker_urls(settings)[0].startswith("sqla+")


WAKE_S = 0.5  # a worker's event loop wakes this often to notice a shutdown asked for by a signal


class _Wakeful(bootsteps.StartStopStep):
    """Wake the consumer's event loop (RabbitMQ, Redis) every ``WAKE_S``.

    SIGTERM only sets a flag that the loop reads when it wakes, and after a job it may sleep until its
    next timer, about 9 s with RabbitMQ: a warm shutdown then took that long for nothing."""

    def start(self, c) -> None:
        if getattr(c, "hub", None) is not None:
            c.hub.call_repeatedly(WAKE_S, _noop)


def _noop() -> None:
    pass


def make_celery(settings: Settings) -> Celery:
    broker, backend = broker_urls(settings)
    app = Celery("harness", broker=broker, backend=backend, set_as_current=False)
    limit = int(settings.job_time_limit_s)
    transport: dict = {}
    if broker.startswith("sqla+"):
        # the poll interval is a class attribute of the transport; as a transport option it
        # would reach create_engine() and fail there
        from kombu.transport import sqlalchemy as sqla_transport

        sqla_transport.Transport.polling_interval = EMBEDDED_POLL_S
        transport = {"connect_args": {"timeout": 30}}  # several processes share the file
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    elif broker.startswith(("redis://", "rediss://")):
        # an unacknowledged message comes back after this long: above the longest job
        transport = {"visibility_timeout": 2 * limit}
    if not broker.startswith("sqla+"):  # the SQL transport polls (synloop): it wakes every 2 s by itself
        app.steps["consumer"].add(_Wakeful)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=CPU_QUEUE,
        task_time_limit=limit,  # enforced by the prefork pool; the thread pool relies on the reaper
        task_soft_time_limit=max(1, limit - 60),
        broker_transport_options=transport,
        result_backend_transport_options=transport if broker.startswith("redis") else {},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_enable_remote_control=not broker.startswith("sqla+"),  # the SQL transport has no fan-out
    )
    return app
