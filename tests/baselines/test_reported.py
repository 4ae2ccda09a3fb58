"""The "AIM 2022 reported" reference table: shipped data, its validation, and the leaderboard section
that shows it beside the harness's own re-runs (real server, real Chromium)."""

from __future__ import annotations

import tomllib

import httpx
import pytest

from baselines import registry, reported
from harness.challenge import load_challenge, save_challenge
from leaderboard.launch import start_server, stop_server
from tests.support import ARTIFACTS, BASELINE_ORG, CPU_ONLY, env_for

REPORT_ONLY = {  # the figures: params (M), runtime (ms), GPU
    "NOAHTCV": (5.6, 25, "V100"),
    "CASIA LCVG": (464, 219, "A100"),
    "PixelJump": (6.64, 40, "3090"),
    "HiImage": (11, 200, "3090"),
}


def test_the_shipped_table_holds_every_team_and_agrees_with_the_method_cards():
    table = reported.load("aim2022")
    teams = {t.team: t for t in table.teams}
    for team, (params, runtime, gpu) in REPORT_ONLY.items():
        t = teams[team]
        assert (t.params_m, t.runtime_ms, t.gpu, t.method) == (params, runtime, gpu, None)
    assert {t.team for t in table.for_track("p20")} == set(teams) - {"PixelJump"}  # Table 1 has HiImage on P20
    # each re-implemented team names a registered method whose card carries the same reported figures
    methods = {t.method: t for t in table.teams if t.method}
    assert set(methods) == {"mialgo", "hitiil", "ssdnet", "sensebrains", "rstisp", "cvip", "zeronoise"}
    for name, t in methods.items():
        card = registry.get(name).card
        assert (card.reported_params_m, card.reported_runtime_ms, card.reported_gpu) == (
            t.params_m,
            t.runtime_ms,
            t.gpu,
        ), name
    # the report's Table 1, cell for cell where it has one; its empty (or unreadable) cells stay empty
    assert teams["NOAHTCV"].score("s7", "test1") == reported.ReportedScore(psnr=31.86, ssim=0.83)
    assert teams["MiAlgo"].score("p20", "test2") == reported.ReportedScore(psnr=37.09, ssim=0.92)
    assert teams["0noise"].score("s7", "test2") == reported.ReportedScore(psnr=29.81, ssim=0.87)
    assert teams["HiImage"].score("s7", "test2") is None and teams["CS^2U"].score("p20", "test1") is None
    cells = {
        track: sum(1 for t in table.teams for s in ("test1", "test2") if t.score(track, s)) for track in table.tracks
    }
    assert cells == {"s7": 20, "p20": 16}
    # and Table 2's ED / ENS / FR
    assert (teams["CASIA LCVG"].extra_data, teams["SenseBrains"].ensemble, teams["0noise"].full_resolution) == (
        True,
        True,
        True,
    )


GOOD = """
name = "aim2022"
title = "t"
source = "s"
tracks = ["s7", "p20"]
splits = ["test1", "test2"]
"""


@pytest.mark.parametrize(
    "body, problem",
    [
        ("name = ", "not valid TOML"),
        (GOOD + '[[teams]]\nteam = "A"\ncolour = "red"\n', "Extra inputs are not permitted"),
        (GOOD + '[[teams]]\nteam = "A"\n[[teams]]\nteam = "A"\n', "listed twice"),
        (
            GOOD + '[[teams]]\nteam = "A"\ntracks = ["s7"]\n[teams.scores.p20.test1]\npsnr = 30.0\nssim = 0.9\n',
            "did not enter",
        ),
        (GOOD + '[[teams]]\nteam = "A"\n[teams.scores.s7.val]\npsnr = 30.0\nssim = 0.9\n', "unknown split 'val'"),
        (
            GOOD + '[[teams]]\nteam = "A"\n[teams.scores.s7.test1]\npsnr = 300.0\nssim = 0.9\n',
            "less than or equal to 100",
        ),
        (GOOD + '[[teams]]\nteam = "A"\nparams_m = -1\n', "greater than or equal to 0"),
        (GOOD.replace('"aim2022"', '"other"') + '[[teams]]\nteam = "A"\n', "holds table 'other'"),
    ],
)
def test_a_bad_table_is_refused_naming_the_file_and_the_problem(tmp_path, body, problem):
    path = tmp_path / "mine.toml"
    path.write_text(body)
    with pytest.raises(reported.ReferenceTableError) as err:
        reported.load("aim2022", path)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_unknown_table_names_the_shipped_ones():
    with pytest.raises(reported.ReferenceTableError, match="shipped: aim2022"):
        reported.load("nope")


def filled_copy(path):
    """The shipped table with score cells for three teams only (test values, not the report's)."""
    import re

    text = (reported.TABLES / "aim2022.toml").read_text()
    text = re.sub(r"\[teams\.scores\.[^\]]+\]\npsnr = [^\n]+\nssim = [^\n]+\n", "", text)
    cells = {"0noise": (29.5, 0.81), "NOAHTCV": (31.25, 0.85), "MiAlgo": (30.75, 0.84)}
    blocks = text.split("[[teams]]")
    for i, block in enumerate(blocks):
        for team, (psnr, ssim) in cells.items():
            if f'team = "{team}"\n' in block:
                blocks[i] = block.rstrip("\n") + f"\n[teams.scores.s7.test1]\npsnr = {psnr}\nssim = {ssim}\n\n"
    path.write_text("[[teams]]".join(blocks))
    tomllib.loads(path.read_text())
    return path


def test_the_leaderboard_shows_reported_rows_beside_the_measured_ones(data_dir, browser, tmp_path):
    from playwright.sync_api import expect

    from leaderboard.context import build_context
    from leaderboard.db import make_engine
    from leaderboard.settings import Settings

    chal = data_dir / "challenges" / "demo"
    spec = load_challenge(chal)
    spec.reference = "aim2022"
    save_challenge(spec, chal)
    override = filled_copy(tmp_path / "aim2022-filled.toml")

    engine = make_engine(f"sqlite:///{data_dir / 'harness.db'}")
    try:
        service = build_context(Settings(data_dir=data_dir, workers=1, reference_file=override), engine)
        service.baselines.train("zeronoise", "s7", steps=1)
        run = service.baselines.run("zeronoise", "s7", "test1", device="cpu")
    finally:
        engine.dispose()

    env = env_for(data_dir, queues=CPU_ONLY) | {"HARNESS_REFERENCE_FILE": str(override)}
    proc, base = start_server(env, data_dir / "server.log")
    try:
        board = httpx.get(f"{base}/api/reference/s7").json()
        assert board["name"] == "aim2022" and board["scores_available"] is True
        order = [r["team"] for r in board["rows"]]
        assert order[:3] == ["NOAHTCV", "MiAlgo", "0noise"]  # by the reported test1 PSNR, then the table's order
        rows = {r["team"]: r for r in board["rows"]}
        assert rows["NOAHTCV"]["scores"]["test1"] == {"psnr": 31.25, "ssim": 0.85}
        assert rows["NOAHTCV"]["scores"]["test2"] is None and rows["NOAHTCV"]["measured"] is None
        measured = rows["0noise"]["measured"]
        assert measured["method"] == "zeronoise" and measured["params"] == 171_112
        assert measured["submission_id"] == run.submission_id and run.psnr is not None
        # one training step is short of its recipe: the row shows its cost, never its score as the method's
        assert measured["psnr"] is None and measured["ssim"] is None and "short" in measured["weights_label"]
        assert rows["MiAlgo"]["measured"] is None  # re-implemented, but not run on this challenge
        p20 = {r["team"] for r in httpx.get(f"{base}/api/reference/p20").json()["rows"]}
        assert "PixelJump" not in p20 and "HiImage" in p20 and "NOAHTCV" in p20
        assert httpx.get(f"{base}/api/reference/nope").status_code == 404

        page = browser.new_page()
        page.goto(f"{base}/leaderboard/s7")
        section = page.locator("#reference-board")
        expect(section).to_be_visible()
        heads = section.locator("thead tr:last-child th").all_inner_texts()
        noah = section.locator("tbody tr", has_text="NOAHTCV").locator("td").all_inner_texts()
        assert noah[heads.index("status")] == "reported, not re-run"
        assert noah[heads.index("PSNR")] == "31.25" and noah[heads.index("GPU")] == "V100"
        zero = section.locator("tbody tr", has_text="0noise").locator("td").all_inner_texts()
        assert zero[heads.index("status")] == "re-run here" and zero[heads.index("method")] == "zeronoise"
        assert zero[heads.index("params (M)")] == "0.17"  # reported; the measured one follows
        assert "0.171" in zero and "reported, not re-run yet" in section.inner_text()  # MiAlgo: not run here
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "leaderboard-reference.png"), full_page=True)
        page.close()
    finally:
        stop_server(proc, wait=False)


def test_a_challenge_without_a_reference_table_has_none(data_dir):
    from fastapi.testclient import TestClient

    from leaderboard.app import create_app
    from leaderboard.settings import Settings

    app = create_app(Settings(data_dir=data_dir, organiser_token=BASELINE_ORG, serve_worker=False, workers=1))
    with TestClient(app) as client:  # in-process: one rule of the API and one page
        assert client.get("/api/reference/s7").json() is None
        assert "reference-board" not in client.get("/leaderboard/s7").text
