"""What a submission keeps of its problems: the first ``MAX_STORED``, each of bounded size, and the
count of all of them. An upload can hold any number of faulty files with names of any length;
what is stored (and served) stays small whatever it holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from harness.names import shown_name

MAX_STORED = 100  # problems kept per submission (the count covers all)
MAX_TEXT = 500  # characters of any one field of a kept problem
MAX_WARNINGS = 20  # warnings kept per submission (a readme of many odd lines has one per line)


def _bounded(problem: BaseModel | dict) -> dict:
    doc = problem.model_dump(mode="json") if isinstance(problem, BaseModel) else dict(problem)
    return {k: shown_name(v, MAX_TEXT) if isinstance(v, str) else v for k, v in doc.items()}


def stored_problems(problems: Iterable[BaseModel | dict]) -> dict:
    """The columns a submission's problems go into: ``errors`` (the first ones, bounded) and ``n_errors`` (all)."""
    items = list(problems)
    return {"errors": [_bounded(p) for p in items[:MAX_STORED]], "n_errors": len(items)}


def stored_warnings(warnings: Iterable[str]) -> list[str]:
    """The first ``MAX_WARNINGS`` warnings, bounded, and a last line counting the ones left out."""
    items = list(warnings)
    kept = [shown_name(w, MAX_TEXT) for w in items[:MAX_WARNINGS]]
    if len(items) > MAX_WARNINGS:
        kept.append(f"and {len(items) - MAX_WARNINGS} more warnings")
    return kept
