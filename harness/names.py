"""How a file or archive member's name is quoted in a message: at most about 100 characters of it.

A name comes from whoever made the file (a team's archive can hold names of any length); every
message that quotes one goes through ``shown_name`` so that stored problems stay small.
"""

from __future__ import annotations

MAX_SHOWN = 100
TAIL = 30  # the end of a long name is kept too: it holds the suffix


def shown_name(name: object, limit: int = MAX_SHOWN) -> str:
    """``name`` as a message quotes it: unchanged up to ``limit`` characters, else its head and tail around '…'."""
    text = str(name)
    if len(text) <= limit:
        return text
    tail = min(TAIL, limit // 3)
    return f"{text[: limit - tail - 1]}…{text[-tail:]}"
