"""ASGI middleware: request-body limits enforced while the body streams, and security headers.

The security headers wrap the whole application, error handling included (``leaderboard.app``
puts them outside Starlette's server-error layer), so a 500 carries them as every other answer.

Pure ASGI (no BaseHTTPMiddleware), so a refused body is never buffered: a declared
Content-Length above the limit is answered 413 before a byte is read, and a chunked body is
counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SMALL_BODY = 1 << 20  # every endpoint but the upload takes at most this much
MULTIPART_OVERHEAD = 1 << 20  # form fields and part headers around the uploaded file

# pages: scripts only from files of this site (no inline script, no event-handler attribute, no eval)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# everything else a browser might open as a document (SVG plots, JSON, text, files): nothing runs
CSP_OTHER = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox"
SCRIPT_TYPES = (b"text/javascript", b"application/javascript")  # a worker script's CSP would bind the worker
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class _TooLarge(Exception):
    pass


async def _answer_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body exceeds {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies above ``limit_for(scope)`` bytes (413), declared or counted."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _answer_413(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await _answer_413(send, limit)


class SecurityHeaders:
    """nosniff, no framing, same-origin referrers and a CSP on every response (the pages' own for HTML)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                ctype = dict(headers).get(b"content-type", b"").lower()
                if b"content-security-policy" not in names:
                    if ctype.startswith(b"text/html"):
                        headers.append((b"content-security-policy", CSP.encode()))
                    elif not ctype.startswith(SCRIPT_TYPES):
                        headers.append((b"content-security-policy", CSP_OTHER.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
