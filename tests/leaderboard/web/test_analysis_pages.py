"""The analysis layer on a running service: significance and region columns, plots, comparisons, the page."""

from __future__ import annotations

import io
import os
import zipfile

import httpx
import numpy as np
import pytest
from PIL import Image

from leaderboard.launch import start_server, stop_server
from tests.support import ARTIFACTS, CPU_ONLY, build_rgb_challenge, npy_bytes

ORG = "analysis-organiser-token-of-the-tests-0123"


def predictions(data_dir, split: str, noise: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in sorted((data_dir / "challenges" / "demo" / "s7" / split / "gt").glob("*.npy")):
            g = np.load(p).astype(int)
            zf.writestr(
                p.name, npy_bytes(np.clip(g + rng.integers(-noise, noise + 1, g.shape), 0, 1024).astype(np.uint16))
            )
    return buf.getvalue()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data = build_rgb_challenge(tmp_path_factory.mktemp("analysis"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(
        HARNESS_DATA_DIR=str(data), HARNESS_ORGANISER_TOKEN=ORG, HARNESS_WORKERS="1", HARNESS_SERVE_QUEUES=CPU_ONLY
    )
    proc, base = start_server(env, data / "server.log")
    ids = {}
    for name, noise in (("sharp", 2), ("blurry", 40)):
        token = httpx.post(f"{base}/api/teams", json={"name": name}).json()["token"]
        for split in ("test1", "test2"):
            r = httpx.post(
                f"{base}/api/submissions",
                headers={"Authorization": f"Bearer {token}"},
                data={"track": "s7", "split": split, "runtime_s": "0.5", "params_m": "2"},
                files={"file": ("p.zip", predictions(data, split, noise, 1), "application/zip")},
            )
            assert r.status_code == 202, r.text
            ids[(name, split)] = (r.json()["id"], token)
    for sub_id, token in ids.values():
        for _ in range(600):
            status = httpx.get(f"{base}/api/submissions/{sub_id}", headers={"Authorization": f"Bearer {token}"}).json()[
                "status"
            ]
            if status in ("scored", "failed"):
                break
            import time

            time.sleep(0.1)
        assert status == "scored"
    yield base, data, ids
    stop_server(proc, wait=False)


def test_leaderboard_rows_carry_intervals_groups_and_regions(service):
    base, _, _ = service
    rows = httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test1"}).json()
    assert [r["team"] for r in rows] == ["sharp", "blurry"]
    sig = [r["significance"] for r in rows]
    assert all(
        s["metric"] == "psnr" and s["ci_low"] <= r["psnr"] <= s["ci_high"] for s, r in zip(sig, rows, strict=True)
    )
    assert sig[0]["p_order"] == 1.0 and sig[1]["p_order"] is None
    assert [s["group"] for s in sig] == [1, 2]  # 2 DN of noise against 40: always apart
    for r in rows:
        reg = r["regions"]
        assert reg is not None and reg["psnr_rest"] is not None  # the tiny scenes have no overexposed pixel
    images = httpx.get(
        f"{base}/api/submissions/{rows[0]['submission_id']}/images", headers={"Authorization": f"Bearer {ORG}"}
    ).json()
    assert {"psnr_oe", "ssim_rest", "oe_fraction"} <= set(images[0])
    html = httpx.get(f"{base}/leaderboard/s7").text
    assert "95% CI" in html and 'class="sig-group' in html and "PSNR oe" in html


def test_plots_are_valid_images(service):
    base, _, _ = service
    for kind, size in (
        ("psnr-distribution", (600, 450)),
        ("psnr-vs-runtime", (750, 450)),
        ("psnr-vs-params", (750, 450)),
    ):
        r = httpx.get(f"{base}/api/analysis/s7/plot/{kind}.png", params={"split": "test1"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(r.content)) as im:
            assert im.format == "PNG" and im.size == size
        svg = httpx.get(f"{base}/api/analysis/s7/plot/{kind}.svg", params={"split": "test1"})
        assert svg.status_code == 200 and svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
    assert httpx.get(f"{base}/api/analysis/s7/plot/nope.png").status_code == 422


def test_comparison_image_and_its_access_rules(service):
    base, _, ids = service
    info = httpx.get(f"{base}/api/analysis/s7/images", params={"split": "test1"}).json()
    assert info["images"] == ["0", "1", "2"] and [e["label"] for e in info["entries"]] == ["sharp", "blurry"]
    org_h = {"Authorization": f"Bearer {ORG}"}
    # the picture shows the ground truth: organisers only until the split closes
    public = httpx.get(f"{base}/api/analysis/s7/compare.png", params={"split": "test1", "image": "1"})
    assert public.status_code == 403 and "organisers only" in public.json()["detail"]
    r = httpx.get(f"{base}/api/analysis/s7/compare.png", params={"split": "test1", "image": "1"}, headers=org_h)
    assert r.status_code == 200
    with Image.open(io.BytesIO(r.content)) as im:
        # 4 tiles of 320 px (input, GT, two entries) by 3 rows of 18 + 320 px
        assert im.format == "PNG" and im.size == (4 * 320, 3 * (18 + 320))
    one = httpx.get(
        f"{base}/api/analysis/s7/compare.png",
        params={"split": "test1", "image": "1", "entries": str(ids[("blurry", "test1")][0])},
        headers=org_h,
    )
    with Image.open(io.BytesIO(one.content)) as im:
        assert im.size == (3 * 320, 3 * 338)
    assert (
        httpx.get(
            f"{base}/api/analysis/s7/compare.png", params={"split": "test1", "image": "../x"}, headers=org_h
        ).status_code
        == 404
    )
    assert (
        httpx.get(
            f"{base}/api/analysis/s7/compare.png",
            params={"split": "test1", "image": "1", "entries": "999"},
            headers=org_h,
        ).status_code
        == 404
    )
    hidden = {"split": "test2", "image": "0_5"}
    assert httpx.get(f"{base}/api/analysis/s7/compare.png", params=hidden).status_code == 404
    org = httpx.get(f"{base}/api/analysis/s7/compare.png", params=hidden, headers={"Authorization": f"Bearer {ORG}"})
    assert org.status_code == 200 and org.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_analysis_page_in_a_browser(browser, service):
    from playwright.sync_api import expect

    base, _, _ = service
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()

    def wait_until(js: str) -> None:  # page.wait_for_function evaluates strings, which the pages' CSP forbids
        for _ in range(300):
            if page.evaluate(js):
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"never true: {js}")

    page.goto(f"{base}/analysis/s7")
    expect(page.locator("#significance tbody tr")).to_have_count(2)
    expect(page.locator("#significance tbody tr").first).to_contain_text("sharp")
    wait_until("document.getElementById('plot-vs-runtime').naturalWidth > 0")
    page.select_option("#image", "2")
    page.click("#compare")
    expect(page.locator("#message")).to_contain_text("organisers only")  # a participant: no ground truth yet
    page.fill("#token", ORG)
    page.click("#load")
    expect(page.locator("#significance tbody tr")).to_have_count(2)
    page.select_option("#image", "2")
    page.click("#compare")
    expect(page.locator("#message")).to_have_text("comparison ready")
    wait_until("document.getElementById('comparison').naturalWidth === 1280")
    page.screenshot(path=str(ARTIFACTS / "analysis.png"), full_page=True)
    page.close()
    # a hidden split needs the organiser token (typed into this page: a new page has none)
    page = browser.new_page()
    page.goto(f"{base}/analysis/s7")
    expect(page.locator("#significance tbody tr")).to_have_count(2)
    page.select_option("#split", "test2")
    expect(page.locator("#message")).to_contain_text("no leaderboard")
    page.fill("#token", ORG)
    page.click("#load")
    expect(page.locator("#significance tbody tr")).to_have_count(2)
    assert page.evaluate("Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0
    page.close()
