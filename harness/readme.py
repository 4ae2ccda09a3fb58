"""Parse the AIM-format ``readme.txt`` that accompanies predictions.

Fields are found by key, not by line position, and tolerate the variations people write
(case, spacing, ``:`` or ``=``, a missing bracket). Problems become warnings; the parser never
raises on user text.

    Runtime per image [s] : 0.25
    CPU[1] / GPU[0] : 0
    Extra Data [1] / No Extra Data [0] : 0
    Other description : free text
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel

MAX_README_BYTES = 64 * 1024


class ReadmeInfo(BaseModel):
    """What a readme declares; ``None`` where a field is absent or unreadable."""

    runtime_s: float | None = None
    device: Literal["cpu", "gpu"] | None = None
    extra_data: bool | None = None
    description: str | None = None


class ReadmeResult(BaseModel):
    info: ReadmeInfo
    warnings: list[str]


_KEY_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("runtime_s", re.compile(r"run\s*-?\s*time")),
    ("device", re.compile(r"\bcpu\b.*\bgpu\b|\bgpu\b.*\bcpu\b")),
    ("extra_data", re.compile(r"extra\s*data")),
    ("description", re.compile(r"description")),
]
_LINE = re.compile(r"^\s*(?P<key>[^:=]*?(?:\[[^\]]*\][^:=]*?)*)\s*[:=]\s*(?P<value>.*)$")


def _field_of(key: str) -> str | None:
    k = key.lower()
    for field, rule in _KEY_RULES:
        if rule.search(k):
            return field
    return None


def _flag(value: str) -> int | None:
    m = re.fullmatch(r"\s*([01])(?:\.0*)?\s*", value)
    return int(m.group(1)) if m else None


def parse_readme(text: str | bytes) -> ReadmeResult:
    """Parse readme text; returns the fields found and a warning for each problem."""
    warnings: list[str] = []
    if isinstance(text, bytes):
        if len(text) > MAX_README_BYTES:
            warnings.append(f"readme.txt is larger than {MAX_README_BYTES} bytes; only the start is read")
            text = text[:MAX_README_BYTES]
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            warnings.append("readme.txt is not UTF-8; read as Latin-1")
            text = text.decode("latin-1")
    values: dict[str, str] = {}
    current: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        field = _field_of(m.group("key")) if m else None
        if m and field:
            if field in values:
                warnings.append(f"readme.txt line {lineno}: {field} given twice; the first value is kept")
                current = None
                continue
            values[field] = m.group("value").strip()
            current = field
        elif current == "description":
            values["description"] += "\n" + line.strip()
        else:
            warnings.append(f"readme.txt line {lineno}: not understood: {line.strip()[:80]!r}")
    info = ReadmeInfo()
    if "runtime_s" in values:
        raw = values["runtime_s"]
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:s|sec|seconds?)?\s*", raw)
        runtime = float(m.group(1)) if m else math.nan
        if m and math.isfinite(runtime):
            info.runtime_s = runtime
        else:
            warnings.append(f"readme.txt: runtime {raw!r} is not a number of seconds")
    else:
        warnings.append("readme.txt: no 'Runtime per image [s]' line")
    if "device" in values:
        flag = _flag(values["device"])
        if flag is None:
            warnings.append(f"readme.txt: CPU[1] / GPU[0] must be 1 or 0, got {values['device']!r}")
        else:
            info.device = "cpu" if flag == 1 else "gpu"
    else:
        warnings.append("readme.txt: no 'CPU[1] / GPU[0]' line")
    if "extra_data" in values:
        flag = _flag(values["extra_data"])
        if flag is None:
            warnings.append(f"readme.txt: Extra Data must be 1 or 0, got {values['extra_data']!r}")
        else:
            info.extra_data = bool(flag)
    else:
        warnings.append("readme.txt: no 'Extra Data [1] / No Extra Data [0]' line")
    if values.get("description"):
        info.description = values["description"]
    return ReadmeResult(info=info, warnings=warnings)
