"""A full fine-tune of every head from an imported model (a tiny random Llama with
grouped-query attention and tied embeddings, and a GPT-2), as from SmolLM2: the loss falls,
the saved model predicts what the trained one did, resume is exact, two processes follow
one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from cli_helpers import ok, run
from test_distributed import close, one_and_two_processes
from test_distributed import step_losses as losses_by_step
from test_hf_tokenizer import train_tiny
from test_import import saved_folder

pytest.importorskip("transformers")
pytestmark = pytest.mark.usefixtures("one_thread")

STEPS = 10
ARGS = ["--steps", str(STEPS), "--batch-size", "8", "--lr", "3e-3", "--precision", "fp32", "--device", "cpu"]


@pytest.fixture(scope="module")
def tokenizer_folder(tmp_path_factory):
    return train_tiny(tmp_path_factory.mktemp("tok"), digits=True)


def imported(tmp_path, tokenizer_folder, family: str) -> str:
    folder, _ = saved_folder(tmp_path, tokenizer_folder, family)
    ok(run("import", folder, "--name", "tiny-base"))
    return "tiny-base"


def predictions(model: str, task: str) -> dict:
    report = json.loads(ok(run("eval", task, "-m", model, "--limit", "6", "--json")).stdout)
    report.pop("seconds", None)
    return report


@pytest.mark.parametrize("family", ["llama-gqa-tied", "gpt2"])
@pytest.mark.parametrize("task", ["reverse", "bird", "color"])  # the lm, classify and span heads
def test_every_head_learns_from_an_imported_base(family, task, toy_tasks, tmp_path, tokenizer_folder, llmcli_home):
    base = imported(tmp_path, tokenizer_folder, family)
    ok(run("finetune", task, "--base", base, "--name", "tuned", *ARGS))
    run_dir = llmcli_home / "models" / "tuned"
    steps = losses_by_step(run_dir)
    first, last = [steps[k] for k in sorted(steps)[:2]], [steps[k] for k in sorted(steps)[-2:]]
    assert sum(last) < sum(first), steps
    config = json.loads((run_dir / "config.json").read_text())
    assert config["origin"] == {**config["origin"], "start": "base", "base": str((llmcli_home / "models" / base))}
    assert config["model"]["family"] == ("gpt2" if family == "gpt2" else "llama")
    # loading the saved model gives the predictions of the model as it was trained
    assert predictions("tuned", task) == predictions("tuned", task)
    assert_saved_predicts_as_trained(run_dir, task)


def assert_saved_predicts_as_trained(run_dir: Path, task: str) -> None:
    """The saved weights, loaded, give the same head outputs as the same weights put into a
    freshly built model by hand (nothing of the trained model is lost or added on saving)."""
    from safetensors.torch import load_file

    from llmcli import registry
    from llmcli.model.loading import attach_head, build_model, load_model
    from llmcli.training.run_config import load_config

    config = load_config(run_dir)
    head = registry.get_head(config.task.head)
    loaded = load_model(run_dir, find_head=registry.get_head).model
    by_hand = build_model(config.model)
    attach_head(by_hand, head, config.task.settings)
    by_hand.load_state_dict(load_file(run_dir / "model.safetensors"))
    ids = torch.tensor([[1, 5, 9, 14, 3, 7]])
    with torch.inference_mode():
        assert torch.equal(loaded.hidden_states(ids), by_hand.eval().hidden_states(ids))
        if loaded.task_head is not None and hasattr(loaded.task_head, "weight"):
            assert torch.equal(loaded.task_head.weight, by_hand.task_head.weight)


def test_resume_from_an_imported_base_is_exact(toy_tasks, tmp_path, tokenizer_folder, llmcli_home, stop_at):
    base = imported(tmp_path, tokenizer_folder, "llama-gqa-tied")
    ok(run("finetune", "color", "--base", base, "--name", "straight", *ARGS))
    stop_at["at"] = 4
    assert run("finetune", "color", "--base", base, "--name", "halves", *ARGS).exit_code == 130
    stop_at["at"] = None
    ok(run("finetune", "color", "--name", "halves", "--resume"))
    models = llmcli_home / "models"
    assert losses_by_step(models / "halves") == losses_by_step(models / "straight")
    assert (models / "halves" / "model.safetensors").read_bytes() == (
        models / "straight" / "model.safetensors").read_bytes()


@pytest.mark.skipif(sys.platform == "win32", reason="torchrun's CPU backend here is POSIX")
def test_two_processes_fine_tune_an_imported_base_as_one(tmp_path, tokenizer_folder, llmcli_home):
    """Rank 0 loads the base and sends its config and Hugging Face tokenizer to the other;
    the lm head's loss is a mean over target tokens, which the processes hold unequal
    shares of: weighed by them, the step's loss and gradient are one process's."""
    base = imported(tmp_path, tokenizer_folder, "llama-gqa-tied")
    one_and_two_processes(tmp_path, llmcli_home, ["finetune", "reverse", "--base", base, *ARGS])
    models = llmcli_home / "models"
    close(losses_by_step(models / "one"), losses_by_step(models / "two"), 1e-4)
    assert (models / "two" / "tokenizer.json").read_bytes() == (models / base / "tokenizer.json").read_bytes()


def test_long_examples_through_a_deep_base_get_batches_that_fit_in_memory():
    """A batch of a 135M base's longest examples stays within the activation budget; short
    ones and small models keep the tokens-per-batch rule."""
    from llmcli.model.config import ModelConfig
    from llmcli.training.task_workload import ACTIVATION_BUDGET, TaskWorkload, activation_bytes_per_token

    smollm2 = ModelConfig(vocab_size=49152, n_layer=30, n_head=9, n_kv_head=3, n_embd=576, ffn_hidden=1536,
                          context=8192)
    small = ModelConfig(vocab_size=2048, n_layer=2, n_head=2, n_embd=128, context=512)
    hint = TaskWorkload.batch_hint
    dialogues = ([{"ids": [1] * 300}] * 90 + [{"ids": [1] * 900}] * 10, [])
    sentences = ([{"ids": [1] * 30}] * 100, [])
    big = hint(None, dialogues, smollm2)
    assert big * 900 * activation_bytes_per_token(smollm2) <= ACTIVATION_BUDGET and big >= 1
    assert big < hint(None, dialogues, small)  # the memory cap, not the token rule, decides
    assert hint(None, sentences, smollm2) == hint(None, sentences, small) == 64  # short texts: MAX_BATCH
