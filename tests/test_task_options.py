"""Task options: a task's own flags on finetune, eval, data show and run, kept by the
model; predictions given through an option, scored with no model."""

from __future__ import annotations

import json

import pytest
from cli_helpers import TINY_FINETUNE_ARGS, run
import toy_tasks as toy_module


@pytest.fixture(autouse=True)
def small_toy_data(monkeypatch, toy_tasks):
    monkeypatch.setattr(toy_module, "SIZES", {"train": 64, "validation": 8, "test": 8})
    monkeypatch.setenv("LLMCLI_LOAD_PLUGINS", "")


@pytest.fixture
def words_file(tmp_path):
    path = tmp_path / "words.jsonl"
    rows = [{"w": f"apple stone bird {i}"} for i in range(40)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_help_lists_the_tasks_options_for_that_command():
    eval_help = run("eval", "reverse", "--help").output
    assert "--words-field" in eval_help and "--outputs" in eval_help
    finetune_help = run("finetune", "reverse", "--help").output
    assert "--words-field" in finetune_help and "--outputs" not in finetune_help
    assert "--words-field" not in run("eval", "bird", "--help").output


def test_an_option_of_another_task_is_refused():
    result = run("eval", "bird", "-m", "x", "--words-field", "w")
    assert result.exit_code == 2 and "No such option '--words-field'" in result.output


def test_data_show_reads_a_file_with_the_option(words_file):
    result = run("data", "show", words_file, "--task", "reverse", "--words-field", "w", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["examples"][0] == {"input": "apple stone bird 0", "output": "0 bird stone apple"}
    missing = run("data", "show", words_file, "--task", "reverse")
    assert missing.exit_code == 1 and "no 'input' field (choose another with --words-field)" in missing.stderr


def test_check_configuration_refuses_a_bad_value(words_file):
    result = run("data", "show", words_file, "--task", "reverse", "--words-field", "not a name")
    assert result.exit_code == 1 and "is not a field name" in result.stderr


def test_the_model_keeps_its_options_for_eval(words_file, llmcli_home):
    result = run("finetune", "reverse", "--data", words_file, "--words-field", "w", "--name", "rev",
                 *TINY_FINETUNE_ARGS)
    assert result.exit_code == 0, result.output
    config = json.loads((llmcli_home / "models" / "rev" / "config.json").read_text())
    assert config["task"]["options"] == {"words_field": "w"}
    # no --words-field: the model's is used to read the same kind of file
    scored = run("eval", "reverse", "-m", "rev", "--data", words_file, "--json", "--limit", "4")
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["examples"] == 4
    # given, an option wins over the model's
    other = run("eval", "reverse", "-m", "rev", "--data", words_file, "--words-field", "x", "--limit", "4")
    assert other.exit_code == 1 and "no 'x' field" in other.stderr


def test_given_predictions_are_scored_without_a_model(tmp_path):
    from llmcli.datasets import GeneratedDataset

    dataset = GeneratedDataset("r", "reverse", toy_module.reverse_examples, {"test": 8})
    from llmcli.registry import get_task

    task = get_task("reverse")
    examples = dataset.load(task, "test")
    outputs = tmp_path / "outputs.txt"
    outputs.write_text("".join(e["output"] + "\n" for e in examples[:6]) + "wrong\nwrong\n", encoding="utf-8")
    result = run("eval", "reverse", "--outputs", outputs, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model"] is None and report["metrics"]["exact_match"] == 75.0
    no_model = run("eval", "reverse")
    assert no_model.exit_code == 1 and "give the model to score: -m MODEL" in no_model.stderr


def test_eval_scores_validation_where_there_is_no_test_split(words_file, tmp_path, llmcli_home):
    folder = tmp_path / "no-test"
    folder.mkdir()
    rows = words_file.read_text(encoding="utf-8").splitlines()
    (folder / "train.jsonl").write_text("\n".join(rows[:30]) + "\n", encoding="utf-8")
    (folder / "validation.jsonl").write_text("\n".join(rows[30:]) + "\n", encoding="utf-8")
    trained = run("finetune", "reverse", "--data", folder, "--words-field", "w", "--name", "rev2",
                  *TINY_FINETUNE_ARGS)
    assert trained.exit_code == 0, trained.output
    scored = run("eval", "reverse", "-m", "rev2", "--data", folder, "--json")
    assert scored.exit_code == 0, scored.output
    report = json.loads(scored.stdout)
    assert report["split"] == "validation" and report["examples"] == 10
    missing = run("eval", "reverse", "-m", "rev2", "--data", folder, "--split", "test")
    assert missing.exit_code == 1 and "no 'test' split" in missing.stderr
