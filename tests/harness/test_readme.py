"""AIM readme.txt parsing: by key, tolerant, never raising."""

from __future__ import annotations

from harness.readme import parse_readme

OFFICIAL = """Runtime per image [s] : 0.25
CPU[1] / GPU[0] : 0
Extra Data [1] / No Extra Data [0] : 1
Other description : We train a small U-Net.
It uses flips at test time.
"""


def test_official_layout():
    r = parse_readme(OFFICIAL)
    assert r.warnings == []
    assert r.info.runtime_s == 0.25 and r.info.device == "gpu" and r.info.extra_data is True
    assert r.info.description == "We train a small U-Net.\nIt uses flips at test time."


def test_any_order_and_spacing():
    text = "other description=hi\nextra data [1] / no extra data [0]:0\ncpu[1]/gpu[0] = 1\nRuntime per image [s]:1.5e-1 s\n"
    r = parse_readme(text)
    assert r.warnings == []
    assert (r.info.runtime_s, r.info.device, r.info.extra_data, r.info.description) == (0.15, "cpu", False, "hi")


def test_malformed_values_are_warnings():
    r = parse_readme(b"Runtime per image [s] : fast\nCPU[1] / GPU[0] : yes\nhello\n")
    assert r.info.runtime_s is None and r.info.device is None
    joined = " | ".join(r.warnings)
    assert "'fast'" in joined and "'yes'" in joined and "'hello'" in joined and "Extra Data" in joined


def test_binary_and_huge_input_do_not_raise():
    r = parse_readme(b"\xff\xfe\x00" * 50000)
    assert r.info.runtime_s is None and r.warnings


def test_duplicate_key_keeps_first():
    r = parse_readme("Runtime per image [s] : 1\nRuntime per image [s] : 2\n")
    assert r.info.runtime_s == 1.0 and any("twice" in w for w in r.warnings)
