"""Which address a request comes from, and what that address may do: real HTTP against real servers.

Forwarding headers are believed only from a peer named in HARNESS_TRUSTED_PROXIES; the
registration limit and the throttle of unknown tokens count per that address; a short organiser
token or a malformed proxy list stops the service before it writes anything.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from leaderboard.launch import free_port, start_server, stop_server
from leaderboard.settings import MIN_ORGANISER_TOKEN, Settings, UnfitSetting, check_service
from tests.support import ORG, build_tiny_challenge

ORG_H = {"Authorization": f"Bearer {ORG}"}


def env_of(data, **settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(
        HARNESS_DATA_DIR=str(data), HARNESS_ORGANISER_TOKEN=ORG, HARNESS_WORKERS="1", HARNESS_SERVE_WORKER="false"
    )
    env.update({f"HARNESS_{k.upper()}": str(v) for k, v in settings.items()})
    return env


@pytest.fixture(scope="module")
def direct(tmp_path_factory):
    """No proxy trusted (the default): the service is reached directly, from loopback here."""
    tmp = tmp_path_factory.mktemp("direct")
    data = build_tiny_challenge(tmp / "data")
    proc, base = start_server(env_of(data, registration_per_hour=20, auth_failures_per_minute=5), tmp / "server.log")
    yield base
    stop_server(proc, wait=False)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """Behind a reverse proxy on loopback (127.0.0.1 trusted, and a second hop 10.0.0.0/8)."""
    tmp = tmp_path_factory.mktemp("proxied")
    data = build_tiny_challenge(tmp / "data")
    env = env_of(data, registration_per_hour=3, auth_failures_per_minute=4, trusted_proxies="127.0.0.1, 10.0.0.0/8")
    proc, base = start_server(env, tmp / "server.log")
    yield base
    stop_server(proc, wait=False)


def register(base: str, name: str, **headers) -> int:
    return httpx.post(f"{base}/api/teams", json={"name": name}, headers=headers).status_code


def test_spoofed_forwarding_headers_do_not_lift_the_registration_limit(direct):
    codes = [
        register(direct, f"spoof {i}", **{"X-Forwarded-For": f"198.51.100.{i}", "Forwarded": f"for=198.51.100.{i}"})
        for i in range(25)
    ]
    assert codes == [201] * 20 + [429] * 5


def test_a_trusted_proxy_s_forwarded_address_is_the_client(proxied):
    xff = {"X-Forwarded-For": "203.0.113.7"}
    assert [register(proxied, f"behind {i}", **xff) for i in range(4)] == [201, 201, 201, 429]
    # another client behind the same proxy has its own count
    assert register(proxied, "neighbour", **{"X-Forwarded-For": "203.0.113.8"}) == 201
    # what the client wrote left of the proxy's entry proves nothing: the right-most untrusted hop counts
    assert register(proxied, "forged chain", **{"X-Forwarded-For": "192.0.2.1, 203.0.113.7"}) == 429
    # a second trusted hop (10.0.0.0/8) is skipped; RFC 7239 Forwarded is read the same way
    assert register(proxied, "two hops", **{"X-Forwarded-For": "203.0.113.7, 10.1.2.3"}) == 429
    assert register(proxied, "rfc 7239", Forwarded='for="[2001:db8::1]:4711";proto=https, for=10.0.0.2') == 201


def test_unknown_tokens_are_throttled_per_address_with_retry_after(direct, proxied):
    me = {"X-Forwarded-For": "203.0.113.50"}
    for _ in range(4):
        r = httpx.get(f"{proxied}/api/organiser/queue", headers={"Authorization": "Bearer wrong-guess", **me})
        assert r.status_code == 401, r.text
    # the limit reached: every token from that address waits, the right one too (or guessing would go on)
    for auth in ("Bearer another-guess", f"Bearer {ORG}"):
        r = httpx.get(f"{proxied}/api/organiser/queue", headers={"Authorization": auth, **me})
        assert r.status_code == 429, r.text
        assert r.json()["code"] == "token_failures_throttled" and "Authorization" in r.json()["detail"]
        assert 1 <= int(r.headers["retry-after"]) <= 60
    # another address is not held up, and pages without a token answer as usual
    r = httpx.get(f"{proxied}/api/organiser/queue", headers={**ORG_H, "X-Forwarded-For": "203.0.113.51"})
    assert r.status_code == 200, r.text
    assert httpx.get(f"{proxied}/", headers=me).status_code == 200
    # without a trusted proxy a forged X-Forwarded-For cannot spread the guesses over many addresses
    for i in range(5):
        r = httpx.get(
            f"{direct}/api/submissions", headers={"Authorization": "Bearer x", "X-Forwarded-For": f"192.0.2.{i}"}
        )
        assert r.status_code == 401
    r = httpx.get(f"{direct}/api/submissions", headers={**ORG_H, "X-Forwarded-For": "192.0.2.99"})
    assert r.status_code == 429 and r.headers["retry-after"].isdigit()


def test_a_short_organiser_token_or_a_bad_proxy_list_stops_the_service_before_it_writes(tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    short = "x" * (MIN_ORGANISER_TOKEN - 1)
    for settings, variable, code in (
        ({"organiser_token": short}, "HARNESS_ORGANISER_TOKEN", "organiser_token_too_short"),
        ({"trusted_proxies": "127.0.0.1, proxy.example"}, "HARNESS_TRUSTED_PROXIES", "bad_trusted_proxy"),
    ):
        env = env_of(data, **settings)
        run = subprocess.run(
            [sys.executable, "-m", "leaderboard", "serve", "--port", str(free_port())],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 2, run.stderr
        assert f"Error [{code}]: {variable}:" in run.stderr, run.stderr
        with pytest.raises(UnfitSetting) as refused:
            check_service(Settings(data_dir=data, **settings))
        assert refused.value.code == code and refused.value.variable == variable
    assert "31 characters; at least 32" in str(
        pytest.raises(UnfitSetting, check_service, Settings(data_dir=data, organiser_token=short)).value
    )
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before  # no database, no folder made
    check_service(Settings(data_dir=data, organiser_token="y" * MIN_ORGANISER_TOKEN, trusted_proxies="::1, 10.0.0.0/8"))
