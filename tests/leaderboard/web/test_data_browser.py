"""The Data page in Debian's Chromium (Playwright): a participant clicks the test1 download and gets the
split's inputs, checked against the sha256 the page shows; hidden splits that are closed are not there."""

from __future__ import annotations

import hashlib
import zipfile

from tests.leaderboard.web.test_data_downloads import ready_listing
from tests.support import ARTIFACTS


def test_download_the_test1_inputs_from_the_data_page(browser, data_service, tmp_path):
    from playwright.sync_api import expect

    ready_listing(data_service.base, "s7")  # every archive built: the page shows each sha256
    page = browser.new_page(accept_downloads=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{data_service.base}/data/s7")
    row = page.locator("#test1-inputs")
    expect(row).to_be_visible()
    shown = row.locator("code.sha256").inner_text().strip()
    assert len(shown) == 64
    with page.expect_download() as info:
        row.locator("a").click()
    download = info.value
    assert download.suggested_filename == "aim2022-s7-test1-inputs.zip"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == shown
    originals = sorted((data_service.bundle.root / "data-s7" / "val_rgb").iterdir())
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [f"rgb/{p.name}" for p in originals]
        assert all(zf.read(f"rgb/{p.name}") == p.read_bytes() for p in originals)
    expect(page.locator("#split-test2")).to_contain_text("hidden")
    expect(page.locator("#split-test3")).to_contain_text("Not open yet")
    expect(page.locator("#split-test3 table")).to_have_count(0)
    expect(page.locator("#format")).to_contain_text("uint16")
    expect(page.locator("#format")).to_contain_text("Runtime per image [s]")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "data-s7.png"), full_page=True)
    page.goto(f"{data_service.base}/data/p20")
    expect(page.locator("#split-train")).to_be_visible()
    expect(page.locator("#split-test1")).to_have_count(0)  # hidden and closed
    expect(page.locator("#split-test2")).to_have_count(0)  # hidden, not open yet
    assert not errors
    page.close()
