"""Fine-tuning from a pretrained model (`--base`): its tokenizer and weights are the start."""

from __future__ import annotations

import json

from cli_helpers import run, tiny_finetune_args


def test_finetune_from_a_base_model(toy_tasks, trained_model, llmcli_home):
    from safetensors.torch import load_file

    result = run("finetune", "bird", "--base", "tiny", *tiny_finetune_args(steps=5, preset=None, precision=None,
                                                                           device=None))
    assert result.exit_code == 0, result.output
    run_dir = llmcli_home / "models" / "bird"
    config = json.loads((run_dir / "config.json").read_text())
    assert config["preset"] == "finetuned:tiny"
    assert config["origin"]["start"] == "base" and config["origin"]["base"] == str(trained_model.resolve())
    assert config["format_version"] == 2
    assert config["model"] == json.loads((trained_model / "config.json").read_text())["model"]
    assert (run_dir / "tokenizer.model").read_bytes() == (trained_model / "tokenizer.model").read_bytes()
    base, tuned = load_file(trained_model / "model.safetensors"), load_file(run_dir / "model.safetensors")
    assert set(tuned) == set(base) | {"task_head.weight", "task_head.bias"}
    assert not all((base[k] == tuned[k]).all() for k in base)  # the core model was trained too

    from llmcli.heads.classification import ClassificationHead
    from llmcli.model.loading import load_model

    alone = load_model(run_dir)  # no head given: its weights are set aside, the core model loads
    assert getattr(alone.model, "task_head", None) is None
    with_head = load_model(run_dir, find_head={"classify": ClassificationHead()}.get)
    assert with_head.model.task_head.out_features == len(config["task"]["settings"]["labels"])

    report = run("eval", "bird", "-m", "bird", "--limit", "8", "--json")
    assert report.exit_code == 0, report.output
    assert set(json.loads(report.stdout)["metrics"]) == {"accuracy", "macro_f1"}


def test_a_fine_tuned_lm_model_still_generates(toy_tasks, trained_model):
    result = run("finetune", "reverse", "--base", "tiny", *tiny_finetune_args(preset=None, precision=None,
                                                                              device=None))
    assert result.exit_code == 0, result.output
    generated = run("generate", "-m", "reverse", "apple tree =>", "--max-new-tokens", "5", "--seed", "1")
    assert generated.exit_code == 0, generated.output


def test_unknown_base_is_one_line(toy_tasks):
    result = run("finetune", "bird", "--base", "nothing-here", "--steps", "3")
    assert result.exit_code == 1
    assert "no model named 'nothing-here'" in result.output
