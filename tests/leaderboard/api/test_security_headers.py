"""What a browser is told about every answer, and what the Markdown export lets through.

Real HTTP throughout: a service process for the pages, plots and exports, and an application
built by the app factory, served by uvicorn on a thread, for an answer that crashes (a route
that raises is added to that instance only; the shipped service has none).
"""

from __future__ import annotations

import os
import threading
import time
from html.parser import HTMLParser

import httpx
import pytest
import uvicorn
from markdown_it import MarkdownIt

from leaderboard.api.middleware import CSP, CSP_OTHER
from leaderboard.app import create_app
from leaderboard.launch import free_port, start_server, stop_server
from leaderboard.settings import Settings
from tests.support import CPU_ONLY, ORG, build_tiny_challenge, make_zip, submit, team, wait

ORG_H = {"Authorization": f"Bearer {ORG}"}
PAGES = (
    "/",
    "/rules",
    "/submit?track=s7",
    "/submissions",
    "/submissions/1",
    "/organiser",
    "/tracks/s7",
    "/data/s7",
    "/evaluation/s7",
    "/leaderboard/s7",
    "/leaderboard/s7?split=test2",
    "/analysis/s7",
    "/docs",
    "/redoc",
)


def assert_guarded(r: httpx.Response, csp: str) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", r.url
    assert r.headers["x-frame-options"] == "DENY", r.url
    assert r.headers["referrer-policy"] == "same-origin", r.url
    assert r.headers["content-security-policy"] == csp, r.url


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guarded")
    data = build_tiny_challenge(tmp / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(
        HARNESS_DATA_DIR=str(data), HARNESS_ORGANISER_TOKEN=ORG, HARNESS_WORKERS="1", HARNESS_SERVE_QUEUES=CPU_ONLY
    )
    proc, base = start_server(env, tmp / "server.log")
    yield base, data
    stop_server(proc, wait=False)


class Scripts(HTMLParser):
    """Every <script> and every on* attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.sources: list[str] = []
        self.handlers: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.handlers += [f"<{tag} {k}>" for k in a if k.lower().startswith("on")]
        if tag == "script":
            self._open = a
            if a.get("src"):
                self.sources.append(a["src"])

    def handle_data(self, data):
        if self._open is not None and not self._open.get("src") and data.strip():
            if self._open.get("type") != "application/json":  # data, which no CSP executes
                self.inline.append(data.strip()[:80])

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def test_pages_run_no_inline_script_and_their_csp_allows_none(site):
    base, _ = site
    script_src = next(d for d in CSP.split(";") if d.strip().startswith("script-src"))
    assert script_src.strip() == "script-src 'self'" and "unsafe-inline" not in script_src
    sources = set()
    for path in PAGES:
        r = httpx.get(base + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (path, r.status_code)
        assert_guarded(r, CSP)
        page = Scripts()
        page.feed(r.text)
        assert page.inline == [] and page.handlers == [], (path, page.inline, page.handlers)
        sources.update(page.sources)
    assert {"/static/harness.js", "/static/swagger-init.js", "/static/pages/organiser.js"} <= sources
    for src in sources:  # every script a page names is there, from this site
        assert src.startswith("/static/"), src
        r = httpx.get(base + src)
        assert r.status_code == 200 and "javascript" in r.headers["content-type"], src


def test_plots_json_and_errors_carry_a_csp_that_runs_nothing(site):
    base, _ = site
    svg = httpx.get(f"{base}/api/analysis/s7/plot/psnr-distribution.svg?split=test1")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml"), svg.text[:200]
    assert_guarded(svg, CSP_OTHER)
    assert "default-src 'none'" in CSP_OTHER and "script" not in CSP_OTHER
    png = httpx.get(f"{base}/api/analysis/s7/plot/psnr-distribution.png?split=test1")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert_guarded(png, CSP_OTHER)
    for path, status in (("/api/health", 200), ("/api/submissions", 401), ("/no/such/page", 404)):
        r = httpx.get(base + path)
        assert r.status_code == status, path
        assert_guarded(r, CSP_OTHER)


def test_a_crashing_route_answers_500_with_the_security_headers(tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    app = create_app(Settings(data_dir=data, organiser_token=ORG, serve_worker=False, workers=1))

    def crash() -> dict:
        raise RuntimeError("a fault the handlers do not know")

    app.add_api_route("/api/test-only/crash", crash)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        r = httpx.get(f"http://127.0.0.1:{port}/api/test-only/crash")
        assert r.status_code == 500
        assert "a fault" not in r.text  # no internals in the answer
        assert_guarded(r, CSP_OTHER)
        assert httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200  # and it keeps serving
    finally:
        server.should_exit = True
        thread.join(30)


def test_markdown_exports_render_as_the_text_typed(site):
    base, data = site
    img, link = "<img src=x onerror=alert(1)>", "[x](javascript:alert(1)) ![p](/t.png)"
    token = team(base, "md _team_ x")["token"]
    r = submit(base, token, make_zip(data, seed=3), gpu=img, input_size=link)
    assert r.status_code == 202, r.text
    assert wait(base, token, r.json()["id"])["status"] == "scored"
    md = MarkdownIt("commonmark", {"html": True}).enable("table")  # raw HTML on: the worst reader
    for fmt in ("md", "table2-md"):
        text = httpx.get(f"{base}/api/organiser/export/s7?format={fmt}", headers=ORG_H).text
        row = next(line for line in text.splitlines() if "md \\_team\\_ x" in line)
        assert "<" not in row and "](" not in row, row
        html = md.render(text)
        assert "<img" not in html and "<a " not in html and "<em>" not in html and "<code>" not in html, html
        assert "md _team_ x" in html  # the name as typed, not emphasis
        if fmt == "table2-md":
            assert "&lt;img src=x onerror=alert(1)&gt;" in html and "[x](javascript:alert(1)) ![p](/t.png)" in html
            assert row.count(" | ") == text.splitlines()[2].count(" | ")  # no column forged
