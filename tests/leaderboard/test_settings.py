"""The service's settings read the organiser token under its spelling and its former one."""

from __future__ import annotations

import pytest

from leaderboard.settings import ORGANISER_TOKEN_ENV, Settings, UnfitSetting, check_service, env_names

OLD, NEW = "o" * 40, "n" * 40


@pytest.fixture
def clean_env(monkeypatch):
    for key in ORGANISER_TOKEN_ENV:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_the_organiser_token_is_read_from_harness_organiser_token(clean_env, tmp_path):
    clean_env.setenv("HARNESS_ORGANISER_TOKEN", NEW)
    assert Settings(data_dir=tmp_path).organiser_token == NEW


def test_the_former_spelling_is_still_read_and_the_new_one_wins(clean_env, tmp_path):
    clean_env.setenv("HARNESS_ORGANIZER_TOKEN", OLD)
    assert Settings(data_dir=tmp_path).organiser_token == OLD
    clean_env.setenv("HARNESS_ORGANISER_TOKEN", NEW)
    assert Settings(data_dir=tmp_path).organiser_token == NEW


def test_a_short_token_under_the_former_spelling_is_refused_too(clean_env, tmp_path):
    clean_env.setenv("HARNESS_ORGANIZER_TOKEN", "short")
    with pytest.raises(UnfitSetting) as refused:
        check_service(Settings(data_dir=tmp_path))
    assert refused.value.code == "organiser_token_too_short"
    assert refused.value.variable == "HARNESS_ORGANISER_TOKEN"


def test_unset_means_no_organiser_access(clean_env, tmp_path):
    assert Settings(data_dir=tmp_path).organiser_token is None


def test_env_names_lists_aliases_then_plain_fields():
    assert env_names("organiser_token") == ("HARNESS_ORGANISER_TOKEN", "HARNESS_ORGANIZER_TOKEN")
    assert env_names("broker_url") == ("HARNESS_BROKER_URL",)


def test_the_service_refuses_an_lpips_backbone_that_is_not_alexnets_file(clean_env, tmp_path):
    wrong = tmp_path / "alexnet-owt-7be5be79.pth"
    wrong.write_bytes(b"not the network")
    clean_env.setenv("HARNESS_LPIPS_BACKBONE", str(wrong))
    with pytest.raises(UnfitSetting) as refused:
        check_service(Settings(data_dir=tmp_path))
    assert refused.value.variable == "HARNESS_LPIPS_BACKBONE" and refused.value.code == "bad_lpips_backbone"
    assert "244,408,911" in str(refused.value) or "244408911" in str(refused.value)
    clean_env.setenv("HARNESS_LPIPS_BACKBONE", "")  # empty: no backbone, no LPIPS, nothing to refuse
    check_service(Settings(data_dir=tmp_path))


def test_serve_queues_names_the_embedded_workers_and_refuses_others(clean_env, tmp_path):
    assert Settings(data_dir=tmp_path).served_queues == ["cpu", "gpu"]
    clean_env.setenv("HARNESS_SERVE_QUEUES", " cpu ")  # a web node that leaves baseline and model runs to GPU machines
    assert Settings(data_dir=tmp_path).served_queues == ["cpu"]
    clean_env.setenv("HARNESS_SERVE_QUEUES", "cpu,tpu")
    with pytest.raises(ValueError, match="unknown queue"):
        Settings(data_dir=tmp_path)
