"""``harness worker`` and ``harness jobs``: run jobs, and see where they stand."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from leaderboard.queues import QUEUES

jobs_app = typer.Typer(
    help="The job queue: what is queued, running, failed; which workers are alive.", no_args_is_help=True
)


def worker(
    queues: Annotated[
        str, typer.Option("--queues", "-Q", help=f"Comma-separated queues to consume ({', '.join(QUEUES)}).")
    ] = "cpu",
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="Jobs run at once by this process.")
    ] = 1,
    pool: Annotated[str, typer.Option(help="Celery pool: threads (default), solo or prefork.")] = "threads",
    loglevel: Annotated[
        str | None, typer.Option(help="Log level (default HARNESS_LOG_LEVEL, info); warning or above: no banner.")
    ] = None,
) -> None:
    """Start a worker (HARNESS_BROKER_URL / HARNESS_DATABASE_URL as for the service).

    CPU workers take `cpu` (scoring); GPU machines run `--queues gpu` (baseline runs and
    training) and record their device. Stop with Ctrl-C: running jobs finish first.
    """
    from leaderboard.worker import run_worker

    try:
        run_worker([q.strip() for q in queues.split(",") if q.strip()], concurrency, pool, loglevel)
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None


@jobs_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    reap: Annotated[bool, typer.Option("--reap", help="Run the reaper once first.")] = False,
    check_local_worker: Annotated[
        bool,
        typer.Option(
            "--check-local-worker", help="Exit 1 unless a worker on this host reported alive (health checks)."
        ),
    ] = False,
) -> None:
    """Jobs per state, running and recently failed jobs, each team's model runs, workers (read from the database)."""
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session

    from leaderboard.context import process_context

    ctx = process_context()
    reaped = ctx.jobs.reap() if reap else None
    with Session(ctx.engine) as session:
        summary = ctx.jobs.summary(session)
    if check_local_worker:
        import socket

        here = [w for w in summary["workers"] if w["alive"] and w["name"].rpartition(":")[0] == socket.gethostname()]
        if not here:
            typer.echo(f"no live worker on {socket.gethostname()}", err=True)
            raise typer.Exit(1)
    if as_json:
        out = {
            **summary,
            **{
                key: [j.model_dump(mode="json") for j in summary[key]] for key in ("queued", "running", "failed_recent")
            },
        }
        if reaped is not None:
            out["reaped"] = reaped
        typer.echo(json.dumps(out, indent=2))
        return
    console = Console()
    console.print("jobs: " + ", ".join(f"{k} [bold]{v}[/]" for k, v in summary["jobs"].items()))
    if reaped is not None:
        console.print(f"reaper: {reaped}")
    for title, rows in (
        ("queued (oldest first)", summary["queued"]),
        ("running", summary["running"]),
        ("failed (latest 10)", summary["failed_recent"]),
    ):
        if not rows:
            continue
        table = Table(title=title)
        for c in ("job", "kind", "about", "queue", "submission", "attempts", "worker", "heartbeat", "last error"):
            table.add_column(c)
        for j in rows:
            table.add_row(
                str(j.id),
                j.kind,
                " ".join(x for x in (j.method, f"{j.track}/{j.split}" if j.track else None, j.team) if x) or "-",
                j.queue,
                str(j.submission_id or "-"),
                f"{j.attempts}/{j.max_attempts}",
                j.worker or "-",
                f"{j.heartbeat_s_ago:.0f} s ago" if j.heartbeat_s_ago is not None else "-",
                (j.last_error or "")[:80],
            )
        console.print(table)
    if summary["model_queues"]:
        table = Table(title="model runs per team (one at a time each)")
        for c in ("team", "job", "state", "track/split", "submitted", "running"):
            table.add_column(c)
        for t in summary["model_queues"]:
            for j in t["jobs"]:
                table.add_row(
                    t["team"],
                    str(j["job_id"]),
                    j["state"],
                    f"{j['track']}/{j['split']}",
                    f"{j['waiting_s']:.0f} s ago" if j["waiting_s"] is not None else "-",
                    f"{j['running_s']:.0f} s" if j["running_s"] is not None else "-",
                )
        console.print(table)
    table = Table(title="workers")
    for c in ("name", "queues", "device", "alive", "seen", "jobs done"):
        table.add_column(c)
    for w in summary["workers"]:
        table.add_row(
            w["name"],
            w["queues"],
            w["device"],
            "yes" if w["alive"] else "[red]no[/]",
            f"{w['seen_s_ago']:.0f} s ago",
            str(w["jobs_done"]),
        )
    console.print(table)
