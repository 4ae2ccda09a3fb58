"""A person's path in Debian's Chromium (driven by Playwright, no browser download):
register, upload a zip through the form, watch it get scored, find the row on the leaderboard."""

from __future__ import annotations

import pytest

from tests.support import ARTIFACTS, make_zip


@pytest.fixture(scope="module")
def backend() -> str:
    """SQLite alone: the pages read through the same API as tests/leaderboard/api, which runs both backends."""
    return "sqlite"


@pytest.fixture(scope="module")
def serve_queues() -> str:
    """Both embedded workers: the organiser page lists them."""
    return "cpu,gpu"


def test_upload_through_the_form_and_see_the_row(browser, server, data_dir, backend, tmp_path):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    upload = tmp_path / "predictions.zip"
    upload.write_bytes(make_zip(data_dir, noise=1, seed=42))
    page = browser.new_page()
    page.goto(f"{server}/submit")
    page.fill("#team-name", f"browser-team-{backend}")
    page.click("#register")
    expect(page.locator("#result")).to_contain_text("registered")
    assert page.input_value("#token")  # the form filled in the new token
    page.select_option("#track", "s7")
    page.select_option("#split", "test1")
    page.set_input_files("#file", str(upload))
    page.check("#extra_data")
    page.fill("#params_m", "2.5")
    page.select_option("#device", "gpu")
    page.click("#send")
    expect(page.locator("#result .status")).to_have_text("scored", timeout=60_000)
    expect(page.locator("#result a.to-submission").first).to_be_visible()  # the upload result links its page
    page.screenshot(path=str(ARTIFACTS / f"submit-{backend}.png"), full_page=True)
    page.click("#result a.to-leaderboard")
    row = page.locator("#board tbody tr", has_text=f"browser-team-{backend}")
    expect(row).to_be_visible()
    cells = row.locator("td").all_inner_texts()
    heads = page.locator("#board thead tr:last-child th").all_inner_texts()
    col = {h: heads.index(h) for h in ("ED", "params (M)", "device", "PSNR")}  # PSNR: the first split's
    assert cells[col["ED"]] == "yes" and cells[col["params (M)"]] == "2.5" and cells[col["device"]] == "gpu"
    assert float(cells[col["PSNR"]]) > 40  # noise of +-1 DN: a high PSNR
    page.screenshot(path=str(ARTIFACTS / f"leaderboard-{backend}.png"), full_page=True)
    # sorting: a click on the team header orders rows by name
    page.click("#board th.team")
    names = page.locator("#board tbody td.team").all_inner_texts()
    assert names == sorted(names)
    page.close()


def test_failed_upload_shows_its_errors(browser, server, data_dir, backend, tmp_path):
    from playwright.sync_api import expect

    upload = tmp_path / "bad.zip"
    upload.write_bytes(make_zip(data_dir, bad="missing"))
    page = browser.new_page()
    page.goto(f"{server}/submit")
    page.fill("#team-name", f"browser-bad-{backend}")
    page.click("#register")
    expect(page.locator("#result")).to_contain_text("registered")
    page.set_input_files("#file", str(upload))
    page.click("#send")
    expect(page.locator("#result .status")).to_have_text("failed", timeout=60_000)
    expect(page.locator("#result")).to_contain_text("missing_prediction")
    expect(page.locator("#result")).to_contain_text("2.npy")
    page.close()


def test_my_submissions_and_submission_page(browser, server, data_dir, backend, tmp_path):
    from playwright.sync_api import expect

    from tests.support import submit, team, wait

    t = team(server, f"pages-{backend}")
    sub_id = submit(server, t["token"], make_zip(data_dir)).json()["id"]
    wait(server, t["token"], sub_id)
    page = browser.new_page()
    page.goto(f"{server}/submissions/{sub_id}")  # a fresh browser: asked to sign in, not told "no such submission"
    expect(page.locator("#signin-card")).to_contain_text("Sign in with your team token")
    page.goto(f"{server}/submissions")
    page.fill("#token", t["token"])
    page.check("#remember")  # the submission page below reads the remembered token
    page.click("#load")
    expect(page.locator("#mine tbody tr")).to_have_count(1)
    expect(page.locator("#mine .status")).to_have_text("scored")
    page.click(f"#mine a[href='/submissions/{sub_id}']")
    expect(page.locator("#images tbody tr")).to_have_count(3)
    expect(page.locator("#summary")).to_contain_text("over 3 images")
    page.screenshot(path=str(ARTIFACTS / f"submission-{backend}.png"), full_page=True)
    page.close()


def test_organiser_page(browser, server, data_dir, backend, tmp_path):
    from playwright.sync_api import expect

    from tests.support import ORG, submit, team, wait

    t = team(server, f"org-page-{backend}")
    sub_id = submit(server, t["token"], make_zip(data_dir, split="test2"), split="test2").json()["id"]
    wait(server, t["token"], sub_id)
    page = browser.new_page()
    page.goto(f"{server}/organiser")
    page.fill("#token", "not-the-token")
    page.click("#load")
    expect(page.locator("#message")).to_contain_text("unknown token")
    page.fill("#token", t["token"])  # a team is not an organiser
    page.click("#load")
    expect(page.locator("#message")).to_contain_text("organisers only")
    expect(page.locator("#panel")).to_be_hidden()
    page.fill("#token", ORG)
    page.click("#load")
    expect(page.locator("#queue")).to_contain_text("2 workers alive")
    expect(page.locator("#workers tbody tr.alive")).to_have_count(2)
    expect(page.locator("#workers tbody")).to_contain_text("gpu")
    row = page.locator("#all tbody tr", has_text=f"org-page-{backend}")
    expect(row.locator(".status")).to_have_text("scored")
    with page.expect_download() as download:
        page.click("a.export[data-track='s7'][data-format='md']")
    assert download.value.suggested_filename.endswith("s7-test1-table1.md")
    assert "| Rank | Team |" in open(download.value.path()).read()
    assert page.evaluate("Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0
    page.screenshot(path=str(ARTIFACTS / f"organiser-{backend}.png"), full_page=True)
    row.locator("button.rescore").click()
    expect(page.locator("#message")).to_contain_text(f"submission {sub_id} queued")
    page.once("dialog", lambda d: d.accept())  # the reveal asks first
    page.locator("#splits tr[data-split='test2'] button.reveal").click()
    expect(page.locator("#message")).to_contain_text("s7/test2 revealed")
    expect(page.locator("#splits tr[data-split='test2'] .state")).to_have_text("revealed")
    expect(page.locator("#splits tr[data-split='test2'] button.hide")).to_be_visible()  # and can be undone
    page.close()
    wait(server, t["token"], sub_id)  # the re-scoring has finished
    assert f"org-page-{backend}" in __import__("httpx").get(f"{server}/leaderboard/s7?split=test2").text  # now public
