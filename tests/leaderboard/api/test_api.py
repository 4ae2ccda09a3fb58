"""The service on a real uvicorn process with a real SQLite file: lifecycle, quotas, ranking, roles."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile

import httpx
import numpy as np

from tests.support import ORG, STEMS, good_entries, make_zip, npy_bytes, query, submit, team, wait, write_zip


def test_lifecycle_scores_match_the_cli(server, data_dir, db_url, tmp_path):
    t = team(server, "alpha")
    payload = make_zip(data_dir)
    r = submit(server, t["token"], payload, extra_data="true", params_m="1.5", runtime_s="0.2", device="gpu")
    assert r.status_code == 202 and r.json()["status"] == "queued"  # it waits for its scoring job
    doc = wait(server, t["token"], r.json()["id"])
    assert doc["status"] == "scored" and doc["errors"] == []
    # the same numbers as `harness score` on the same files
    zipfile.ZipFile(io.BytesIO(payload)).extractall(tmp_path)
    from harness.scoring import score_directories

    ref = score_directories(tmp_path / "preds", data_dir / "challenges" / "demo" / "s7" / "test1" / "gt")
    official = {k: doc["scores"]["test1"][k] for k in ("psnr", "ssim", "n_images")}
    assert official == {"psnr": ref.psnr, "ssim": ref.ssim, "n_images": 3}
    assert doc["scores"]["test1"]["aligned_psnr_diagnostic"] is None  # this split has no alignment manifest
    assert doc["extra_data"] is True and doc["params_m"] == 1.5 and doc["device"] == "gpu"
    stored = data_dir / "submissions" / str(doc["id"]) / "upload.zip"
    assert stored.read_bytes() == payload and oct(stored.stat().st_mode & 0o777) == "0o444"
    if db_url.startswith("sqlite"):
        assert sqlite3.connect(db_url.removeprefix("sqlite:///")).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert query(db_url, "SELECT upload_sha256 FROM submission WHERE id = :i", i=doc["id"]) == [
        (hashlib.sha256(payload).hexdigest(),)
    ]


def test_bad_uploads_fail_with_precise_errors_and_do_not_eat_the_daily_quota(server, data_dir):
    t = team(server, "beta")
    failed = []
    for bad in ("dtype", "missing"):
        r = submit(server, t["token"], make_zip(data_dir, bad=bad))
        failed.append(wait(server, t["token"], r.json()["id"]))
    assert [(e["file"], e["code"]) for e in failed[0]["errors"]] == [("preds/1.npy", "wrong_dtype")]
    assert [(e["file"], e["code"]) for e in failed[1]["errors"]] == [("preds/2.npy", "missing_prediction")]
    assert all(f["status"] == "failed" and f["scores"] == {} for f in failed)
    r = submit(server, t["token"], b"this is not a zip")
    assert wait(server, t["token"], r.json()["id"])["errors"][0]["code"] == "corrupt_archive"
    # three failures so far, daily limit 3: good ones are still accepted
    for _ in range(2):
        r = submit(server, t["token"], make_zip(data_dir))
        assert r.status_code == 202
        wait(server, t["token"], r.json()["id"])
    # the total cap (5) holds for everything
    r = submit(server, t["token"], make_zip(data_dir))
    assert r.status_code == 429 and "total" in r.json()["detail"]


def test_daily_limit(server, data_dir):
    t = team(server, "gamma")
    for _ in range(3):
        assert submit(server, t["token"], make_zip(data_dir)).status_code == 202
    r = submit(server, t["token"], make_zip(data_dir))
    assert r.status_code == 429 and "24 h" in r.json()["detail"]


def test_ranking_best_per_team_and_ties_to_the_earlier(server, data_dir):
    a = team(server, "rank-a")
    b = team(server, "rank-b")
    c = team(server, "rank-c")
    ids = {}
    ids["a_good"] = submit(server, a["token"], make_zip(data_dir, noise=2, seed=5)).json()["id"]
    ids["b"] = submit(server, b["token"], make_zip(data_dir, noise=30, seed=6)).json()["id"]
    ids["c_tie"] = submit(server, c["token"], make_zip(data_dir, noise=2, seed=5)).json()[
        "id"
    ]  # same bytes as a_good, later
    ids["a_worse"] = submit(server, a["token"], make_zip(data_dir, noise=60, seed=7)).json()["id"]
    for name, i in ids.items():
        tok = {"a": a, "b": b, "c": c}[name[0]]["token"]
        assert wait(server, tok, i)["status"] == "scored"
    rows = [r for r in httpx.get(f"{server}/api/leaderboard/s7").json() if r["team"].startswith("rank-")]
    assert [r["team"] for r in rows] == ["rank-a", "rank-c", "rank-b"]
    assert rows[0]["submission_id"] == ids["a_good"] and rows[0]["psnr"] == rows[1]["psnr"]
    assert all(r["rank"] < s["rank"] for r, s in zip(rows, rows[1:], strict=False))
    # the organiser may rank by each team's latest submission instead
    org = {"Authorization": f"Bearer {ORG}"}
    assert (
        httpx.post(
            f"{server}/api/splits/s7/test1/ranking?rule=latest", headers={"Authorization": f"Bearer {a['token']}"}
        ).status_code
        == 403
    )
    assert httpx.post(f"{server}/api/splits/s7/test1/ranking?rule=latest", headers=org).status_code == 200
    latest = {r["team"]: r["submission_id"] for r in httpx.get(f"{server}/api/leaderboard/s7").json()}
    assert latest["rank-a"] == ids["a_worse"]
    assert httpx.post(f"{server}/api/splits/s7/test1/ranking?rule=best", headers=org).status_code == 200
    assert {r["team"]: r["submission_id"] for r in httpx.get(f"{server}/api/leaderboard/s7").json()}["rank-a"] == ids[
        "a_good"
    ]


def test_teams_see_only_their_own(server, data_dir):
    a = team(server, "own-a")
    b = team(server, "own-b")
    sub_id = submit(server, a["token"], make_zip(data_dir)).json()["id"]
    assert (
        httpx.get(f"{server}/api/submissions/{sub_id}", headers={"Authorization": f"Bearer {b['token']}"}).status_code
        == 404
    )
    assert httpx.get(f"{server}/api/submissions/{sub_id}").status_code == 404
    assert httpx.get(f"{server}/api/submissions").status_code == 401
    mine = httpx.get(f"{server}/api/submissions", headers={"Authorization": f"Bearer {b['token']}"}).json()
    assert mine == []
    assert httpx.get(f"{server}/api/submissions", headers={"Authorization": "Bearer wrong"}).status_code == 401
    # ids beyond the database's integer range are invalid input, not a server error
    assert httpx.get(f"{server}/api/submissions/2560193468971").status_code == 422


def test_hidden_split_reveals_nothing_until_revealed(server, data_dir):
    t = team(server, "hidden-team")
    sub_id = submit(server, t["token"], make_zip(data_dir, split="test2"), split="test2").json()["id"]
    doc = wait(server, t["token"], sub_id)
    assert doc["status"] == "scored" and doc["scores"] == {}  # the team itself sees no numbers
    assert httpx.get(f"{server}/api/leaderboard/s7?split=test2").status_code == 404
    # the pages name the split (its dates are on the timeline) but show none of its results
    assert "hidden-team" not in httpx.get(f"{server}/leaderboard/s7").text
    hidden_page = httpx.get(f"{server}/leaderboard/s7?split=test2").text
    assert "hidden-team" not in hidden_page and "test2 is hidden until the organisers reveal it" in hidden_page
    org = {"Authorization": f"Bearer {ORG}"}
    assert httpx.get(f"{server}/api/submissions/{sub_id}", headers=org).json()["scores"]["test2"]["n_images"] == 3
    assert [r["team"] for r in httpx.get(f"{server}/api/leaderboard/s7?split=test2", headers=org).json()] == [
        "hidden-team"
    ]
    assert (
        httpx.post(
            f"{server}/api/splits/s7/test2/reveal", headers={"Authorization": f"Bearer {t['token']}"}
        ).status_code
        == 403
    )
    assert httpx.post(f"{server}/api/splits/s7/test2/reveal", headers=org).status_code == 200
    assert [r["team"] for r in httpx.get(f"{server}/api/leaderboard/s7?split=test2").json()] == ["hidden-team"]


def test_rescore_keeps_history(server, data_dir, db_url):
    t = team(server, "rescore-team")
    sub_id = submit(server, t["token"], make_zip(data_dir)).json()["id"]
    first = wait(server, t["token"], sub_id)
    r = httpx.post(f"{server}/api/submissions/{sub_id}/rescore", headers={"Authorization": f"Bearer {ORG}"})
    assert r.status_code == 200
    second = wait(server, t["token"], sub_id)
    assert second["scores"] == first["scores"]
    rows = query(db_url, "SELECT current FROM score WHERE submission_id = :i ORDER BY id", i=sub_id)
    assert [bool(r[0]) for r in rows] == [False, True]
    n_images = query(
        db_url,
        "SELECT COUNT(*) FROM imagescore JOIN score ON score.id = imagescore.score_id WHERE score.submission_id = :i",
        i=sub_id,
    )
    assert n_images == [(6,)]  # per-image rows of both scorings, three each


def test_registration_and_validation_errors(server):
    assert httpx.post(f"{server}/api/teams", json={"name": "dup"}).status_code == 201
    assert httpx.post(f"{server}/api/teams", json={"name": "DUP"}).status_code == 409
    assert httpx.post(f"{server}/api/teams", json={"name": "../etc"}).status_code == 422
    t = team(server, "val-team")
    r = httpx.post(
        f"{server}/api/submissions",
        headers={"Authorization": f"Bearer {t['token']}"},
        data={"track": "nope", "split": "test1"},
        files={"file": ("a.zip", b"x")},
    )
    assert r.status_code == 404
    r = httpx.post(
        f"{server}/api/submissions",
        headers={"Authorization": f"Bearer {t['token']}"},
        data={"track": "s7", "split": "train"},
        files={"file": ("a.zip", b"x")},
    )
    assert r.status_code == 400
    assert (
        httpx.post(
            f"{server}/api/submissions", data={"track": "s7", "split": "test1"}, files={"file": ("a.zip", b"x")}
        ).status_code
        == 401
    )


def test_html_pages(server, data_dir):
    t = team(server, "page-team")
    wait(server, t["token"], submit(server, t["token"], make_zip(data_dir), ensemble="true").json()["id"])
    home = httpx.get(f"{server}/")
    assert home.status_code == 200 and "Test challenge" in home.text
    page = httpx.get(f"{server}/leaderboard/s7")
    assert page.status_code == 200 and ">ED</th>" in page.text, page.text[-3000:]
    assert "page-team" in page.text, page.text[-3000:]
    assert httpx.get(f"{server}/openapi.json").json()["paths"]["/api/submissions"]


def test_cli_client_team_and_submit(server, data_dir, tmp_path):
    """`harness team create` and `harness submit --wait` against the running service (the client run alone)."""

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "harness_client", *map(str, a)], capture_output=True, text=True, timeout=120
        )

    created = run("team", "create", "cli-team", "--server", server, "--quiet")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    zipfile.ZipFile(io.BytesIO(make_zip(data_dir))).extractall(tmp_path)
    done = run(
        "submit",
        tmp_path / "preds",
        "--server",
        server,
        "--token",
        token,
        "--track",
        "s7",
        "--split",
        "test1",
        "--json",
        "--runtime-s",
        "0.3",
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["status"] == "scored" and doc["scores"]["test1"]["n_images"] == 3 and doc["runtime_s"] == 0.3
    (tmp_path / "preds" / "1.npy").unlink()
    failed = run(
        "submit", tmp_path / "preds", "--server", server, "--token", token, "--track", "s7", "--split", "test1"
    )
    assert failed.returncode == 1 and "missing_prediction" in failed.stdout
    refused = run(
        "submit", tmp_path / "preds", "--server", server, "--token", "bad", "--track", "s7", "--split", "test1"
    )
    assert refused.returncode == 1 and "401" in refused.stderr


def test_per_image_results_follow_visibility(server, data_dir):
    t = team(server, "img-team")
    pub = submit(server, t["token"], make_zip(data_dir)).json()["id"]
    hid = submit(server, t["token"], make_zip(data_dir, split="test2"), split="test2").json()["id"]
    for i in (pub, hid):
        wait(server, t["token"], i)
    mine = {"Authorization": f"Bearer {t['token']}"}
    rows = httpx.get(f"{server}/api/submissions/{pub}/images", headers=mine).json()
    assert [r["name"] for r in rows] == list(STEMS) and all(r["psnr"] > 30 for r in rows)
    doc = httpx.get(f"{server}/api/submissions/{pub}", headers=mine).json()
    assert abs(np.mean([r["psnr"] for r in rows]) - doc["scores"]["test1"]["psnr"]) < 1e-9
    revealed = (
        httpx.get(f"{server}/api/leaderboard/s7?split=test2").status_code == 200
    )  # an earlier test may have revealed it
    assert httpx.get(f"{server}/api/submissions/{hid}/images", headers=mine).status_code == (200 if revealed else 404)
    assert (
        len(httpx.get(f"{server}/api/submissions/{hid}/images", headers={"Authorization": f"Bearer {ORG}"}).json()) == 3
    )
    other = team(server, "img-other")
    assert (
        httpx.get(
            f"{server}/api/submissions/{pub}/images", headers={"Authorization": f"Bearer {other['token']}"}
        ).status_code
        == 404
    )


def test_organiser_queue_and_exports(server, data_dir):
    t = team(server, "export-team")
    wait(
        server,
        t["token"],
        submit(server, t["token"], make_zip(data_dir), extra_data="true", params_m="3.25").json()["id"],
    )
    org = {"Authorization": f"Bearer {ORG}"}
    assert httpx.get(f"{server}/api/organiser/queue").status_code == 403
    q = httpx.get(f"{server}/api/organiser/queue", headers=org).json()
    assert q["worker_alive"] is True and q["counts"]["scored"] >= 1 and set(q["counts"]) >= {"received", "failed"}
    assert (
        httpx.get(f"{server}/api/organiser/export/s7", headers={"Authorization": f"Bearer {t['token']}"}).status_code
        == 403
    )
    text = httpx.get(f"{server}/api/organiser/export/s7?format=csv", headers=org).text
    import csv

    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"test1_psnr", "test1_ssim", "test2_psnr", "ED", "params_m"} <= set(rows[0])
    mine = next(r for r in rows if r["team"] == "export-team")
    assert mine["ED"] == "yes" and mine["params_m"] == "3.25"
    assert [int(r["rank"]) for r in rows if r["rank"]] == sorted(int(r["rank"]) for r in rows if r["rank"])
    md = httpx.get(f"{server}/api/organiser/export/s7?format=md", headers=org).text
    assert (
        "| Rank | Team | test1 PSNR | test1 SSIM | test2 PSNR | test2 SSIM | test3 PSNR | test3 SSIM | 95% CI | Group | ED |"
        in md
        and "export-team" in md
    )
    tex = httpx.get(f"{server}/api/organiser/export/s7?format=tex", headers=org).text
    assert r"\begin{tabular}" in tex and r"\multicolumn{2}{c}{test1}" in tex and "export-team" in tex
    t2 = httpx.get(f"{server}/api/organiser/export/s7?format=table2-md", headers=org).text
    assert "| Team | Input | Epochs | ED | ENS | FR | Params (M) | Runtime (s) | GPU | test1 PSNR |" in t2
    assert "| export-team | - | - | yes | no | no | 3.25 |" in t2
    t2tex = httpx.get(f"{server}/api/organiser/export/s7?format=table2-tex", headers=org).text
    assert r"Team & Input & Epochs & ED & ENS & FR" in t2tex and r"\bottomrule" in t2tex


def _bad_archives(tmp_path) -> dict[str, bytes]:
    """One archive per intake rejection, built like the intake unit tests build them."""
    import struct

    rng = np.random.default_rng(3)
    out: dict[str, bytes] = {}

    def z(name, entries, **kw):
        return write_zip(tmp_path / f"{name}.zip", entries, **kw).read_bytes()

    out["unsafe_path"] = z("traversal", {**good_entries(rng), "../evil.npy": b"x"})
    out["nested_archive"] = z("nested", {**good_entries(rng), "inner.zip": b"PK\x03\x04"})
    out["bad_layout"] = z("layout", {**good_entries(rng, "a/"), "b/0.npy": b"x"})
    sym = write_zip(tmp_path / "sym.zip", good_entries(rng))
    with zipfile.ZipFile(sym, "a") as zf:
        info = zipfile.ZipInfo("link.npy")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    out["symlink"] = sym.read_bytes()
    data = bytearray(z("overlap", good_entries(rng), compression=zipfile.ZIP_STORED))
    first = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", first + 4)
    struct.pack_into("<I", data, second + 42, struct.unpack_from("<I", data, first + 42)[0])
    out["zip_bomb"] = bytes(data)
    data = bytearray(z("enc", good_entries(rng), compression=zipfile.ZIP_STORED))
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        struct.pack_into("<H", data, pos + at, struct.unpack_from("<H", data, pos + at)[0] | 1)
    out["encrypted"] = bytes(data)
    out["corrupt_archive"] = b"PK\x03\x04" + bytes(40)
    entries = good_entries(rng)
    entries["0.npy"] = npy_bytes(np.full((16, 16, 4), 2000, np.uint16))
    out["out_of_range"] = z("range", entries)
    entries = good_entries(rng)
    entries["1.npy"] = npy_bytes(np.zeros((16, 15, 4), np.uint16))
    out["wrong_shape"] = z("shape", entries)
    entries = good_entries(rng)
    arr = np.empty(1, dtype=object)
    entries["2.npy"] = (lambda b: (np.save(b, arr, allow_pickle=True), b.getvalue())[1])(io.BytesIO())
    out["object_array"] = z("object", entries)
    return out


def test_every_intake_rejection_through_the_service(server, data_dir, tmp_path):
    t = team(server, "intake-team")
    archives = _bad_archives(tmp_path)
    for code, payload in archives.items():
        # each upload is its own submission; failed ones never use up the daily limit
        r = submit(server, t["token"], payload, split="test3")
        assert r.status_code == 202, (code, r.text)
        doc = wait(server, t["token"], r.json()["id"])
        assert doc["status"] == "failed" and code in {e["code"] for e in doc["errors"]}, (code, doc["errors"])
        assert all(e["message"] for e in doc["errors"])


def test_organiser_switches_refuse_unknown_splits(server):
    org = {"Authorization": f"Bearer {ORG}"}
    assert httpx.post(f"{server}/api/splits/s7/nope/reveal", headers=org).status_code == 404
    assert httpx.post(f"{server}/api/splits/zz/test1/ranking?rule=best", headers=org).status_code == 404
