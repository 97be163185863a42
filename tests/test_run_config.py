"""The typed run config: one save and one load, and run directories from before
format_version (kept as fixtures, written by llmcli's main of 2026-12-01) still load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli_helpers import ok, one_line_error, run
from llmcli.errors import UserError
from llmcli.training.run_config import (FORMAT_VERSION, CorpusData, ExampleData, RunConfig, load_config,
                                        load_summary, save_config)

FORMAT1 = Path(__file__).resolve().parent / "fixtures" / "format1"


@pytest.fixture
def old_runs(llmcli_home) -> Path:
    models = llmcli_home / "models"
    shutil.copytree(FORMAT1, models)
    return models


def test_a_format1_language_model_reads_as_format2(old_runs):
    config = load_config(old_runs / "v1-lm")
    assert config.format_version == FORMAT_VERSION
    assert isinstance(config.data, CorpusData) and config.data.val_fraction == 0.1
    assert config.origin.start == "scratch" and config.origin.base is None
    assert config.task is None
    assert config.model.n_layer == 1 and config.tokenizer.vocab_size == 384
    summary = load_summary(old_runs / "v1-lm")
    assert summary.steps == 2 and summary.figures["val_bpb"] == pytest.approx(5.25162)


def test_a_format1_fine_tune_keeps_its_base_as_the_origin(old_runs):
    config = load_config(old_runs / "v1-sentiment")
    assert isinstance(config.data, ExampleData) and config.data.dataset == "sentiment-reviews"
    assert config.origin.start == "base" and config.origin.base == "/data/models/v1-lm"
    assert config.task.name == "sentiment" and config.task.settings == {"labels": ["negative", "positive"]}


def test_format1_runs_still_generate_and_run(old_runs):
    ok(run("generate", "-m", "v1-lm", "The fox", "--max-new-tokens", 4, "--seed", 1))
    result = ok(run("run", "sentiment", "-m", "v1-sentiment", "a fine film"))
    assert "positive" in result.stdout or "negative" in result.stdout
    listed = json.loads(ok(run("models", "--json")).stdout)
    assert {entry["name"] for entry in listed} == {"v1-lm", "v1-sentiment"}


def test_save_then_load_is_the_same_config(old_runs, tmp_path):
    config = load_config(old_runs / "v1-sentiment")
    save_config(tmp_path, config)
    again = load_config(tmp_path)
    assert again == config
    assert json.loads((tmp_path / "config.json").read_text())["format_version"] == FORMAT_VERSION
    assert RunConfig.from_dict(config.to_dict()) == config


def test_a_newer_format_is_one_clear_error(old_runs):
    path = old_runs / "v1-lm" / "config.json"
    raw = json.loads(path.read_text())
    path.write_text(json.dumps({**raw, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(UserError, match="upgrade llmcli"):
        load_config(old_runs / "v1-lm")
    one_line_error(run("info", "v1-lm"), "upgrade llmcli")


def test_an_invalid_config_names_the_file(old_runs):
    path = old_runs / "v1-lm" / "config.json"
    raw = json.loads(path.read_text())
    del raw["model"]
    path.write_text(json.dumps(raw))
    one_line_error(run("generate", "-m", "v1-lm", "x"), "config.json is invalid")
