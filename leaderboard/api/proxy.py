"""Which address a request comes from: the peer, unless the peer is a trusted reverse proxy.

Forwarding headers (``X-Forwarded-For``, ``X-Forwarded-Proto``, ``Forwarded``) are believed
only from a peer inside ``HARNESS_TRUSTED_PROXIES``; from any other peer they are removed from
the request before anything reads them. From a trusted proxy the client is the right-most
address of the chain that is not itself a trusted proxy: the left part of the chain is whatever
the client wrote and proves nothing. ``harness serve`` turns uvicorn's own handling off, so this
is the one rule (the registration limit and the token-failure throttle read ``scope["client"]``).
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from leaderboard.settings import Network

FORWARDING = (b"x-forwarded-for", b"x-forwarded-proto", b"forwarded")
SCHEMES = {"http", "https"}


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as forwarding headers write it (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``"[::1]"``)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _forwarded(values: list[str]) -> tuple[list[str], str | None]:
    """The ``for=`` chain and the last ``proto=`` of RFC 7239 ``Forwarded`` headers."""
    chain, proto = [], None
    for element in ",".join(values).split(","):
        for pair in element.split(";"):
            key, _, value = pair.strip().partition("=")
            if key.lower() == "for":
                chain.append(value)
            elif key.lower() == "proto":
                proto = value.strip().strip('"').lower()
    return chain, proto


class ProxyTrust:
    """Sets ``scope["client"]`` and ``scope["scheme"]`` from a trusted proxy's headers; drops them otherwise."""

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    def _trusts(self, addr) -> bool:
        return addr is not None and any(addr in net for net in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        peer = scope.get("client")
        headers = scope.get("headers", [])
        if not (peer and self._trusts(_address(peer[0]))):
            scope = {**scope, "headers": [(k, v) for k, v in headers if k.lower() not in FORWARDING]}
            await self.app(scope, receive, send)
            return
        got: dict[bytes, list[str]] = {}
        for k, v in headers:
            if k.lower() in FORWARDING:
                got.setdefault(k.lower(), []).append(v.decode("latin-1"))
        if b"forwarded" in got:
            chain, proto = _forwarded(got[b"forwarded"])
        else:
            chain = ",".join(got.get(b"x-forwarded-for", [])).split(",")
            proto = (got.get(b"x-forwarded-proto") or [""])[-1].split(",")[-1].strip().lower() or None
        client = self._client(chain)
        scope = dict(scope)
        if client is not None:
            scope["client"] = (str(client), 0)
        if proto in SCHEMES:
            scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
        await self.app(scope, receive, send)

    def _client(self, chain: list[str]):
        """Right to left, the first hop that is no trusted proxy; None when a hop is no address."""
        addrs = [_address(h) for h in chain if h.strip()]
        for addr in reversed(addrs):
            if addr is None:
                return None  # "unknown", an obfuscated name: keep the proxy itself as the client
            if not self._trusts(addr):
                return addr
        return addrs[0] if addrs else None
