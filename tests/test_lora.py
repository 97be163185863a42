"""LoRA: `finetune --lora RANK` on a frozen base, every head, from tiny random imported
models (Llama with a tied output, GPT-2) and a tiny llmcli-trained one. The loss falls,
the run directory holds the adapters and the head but no copy of the base, saving and
loading give the same predictions, a merge gives the same logits within 1e-5 and stays
tied, resume is bit-identical, and a missing or changed base is one line."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from cli_helpers import ok, one_line_error, run
import toy_tasks as toy_module

from llmcli.cli.finetune import fine_tune
from llmcli.cli.lora_options import LoraFlags
from llmcli.cli.training_options import TrainingFlags
from llmcli.model.loading import load_model

pytest.importorskip("transformers")
pytestmark = pytest.mark.usefixtures("one_thread")

SIZES = {"train": 64, "validation": 8, "test": 8}
LORA = ["--lora", "4", "--lora-alpha", "8", "--lr", "1e-2"]


@pytest.fixture(autouse=True)
def small_toy_data(monkeypatch):
    monkeypatch.setattr(toy_module, "SIZES", SIZES)
    monkeypatch.setenv("LLMCLI_LOAD_PLUGINS", "")


@pytest.fixture(scope="module")
def imported_bases(tmp_path_factory):
    """A data directory holding tiny random imported models: `llama` (grouped-query
    attention, tied output) and `gpt2` (biases, learned positions, GELU)."""
    from test_hf_tokenizer import train_tiny
    from test_import import saved_folder

    work = tmp_path_factory.mktemp("lora-bases")
    tokenizer = train_tiny(work / "tok", digits=True)
    home = work / "home"
    for name, family in (("llama", "llama-gqa-tied"), ("gpt2", "gpt2")):
        folder, _ = saved_folder(work, tokenizer, family)
        ok(run("import", folder, "--name", name, env={"LLMCLI_HOME": str(home)}))
    return home / "models"


@pytest.fixture
def bases(imported_bases, trained_model, llmcli_home):
    """The imported bases and the llmcli-trained `tiny`, in this test's data directory."""
    for name in ("llama", "gpt2"):
        shutil.copytree(imported_bases / name, llmcli_home / "models" / name)
    return llmcli_home / "models"


def lora_run(task, base, name, steps=40, **lora):
    flags = TrainingFlags(steps=steps, batch_size=8, precision="fp32", device="cpu", lr=1e-2)
    return fine_tune(task, flags, base=base, name=name, lora=LoraFlags(**{"rank": 4, "alpha": 8.0, **lora}))


def step_losses(run_dir) -> list[float]:
    events = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [e["loss"] for e in events if e["event"] == "step"]


def outputs(model, ids) -> torch.Tensor:
    """The logits over the vocabulary and the head's scores, side by side."""
    with torch.no_grad():
        logits = model(ids)[0].flatten()
        head = getattr(model, "task_head", None)
        if isinstance(head, torch.nn.Linear):
            logits = torch.cat([logits, head(model.hidden_states(ids)).flatten()])
    return logits


@pytest.mark.parametrize("task, base", [("reverse", "llama"), ("bird", "gpt2"), ("color", "tiny")])
def test_every_head_trains_adapters_only(task, base, toy_tasks, bases):
    from safetensors.torch import load_file

    from llmcli.registry import get_head

    outcome = lora_run(task, base, f"{task}-lora")
    run_dir = bases / f"{task}-lora"
    losses = step_losses(run_dir)
    assert sum(losses[-3:]) / 3 < 0.9 * losses[0], losses
    config = json.loads((run_dir / "config.json").read_text())
    assert config["lora"]["rank"] == 4 and config["lora"]["targets"] == ["qkv", "proj"]
    assert config["origin"]["base"] == str((bases / base).resolve()) and config["preset"] == f"lora4:{base}"

    saved, base_weights = load_file(run_dir / "model.safetensors"), load_file(bases / base / "model.safetensors")
    assert saved and all(".lora_" in k or k.startswith("task_head.") for k in saved)  # no copy of the base
    assert not set(saved) & set(base_weights)
    checkpoint = load_file(run_dir / "checkpoint" / "model.safetensors")
    assert set(checkpoint) == set(saved)
    assert (run_dir / "model.safetensors").stat().st_size < 0.3 * (bases / base / "model.safetensors").stat().st_size

    trained = outcome.model.eval()
    ids = torch.tensor([outcome.tokenizer.encode("apple river bird")])
    apart = load_model(run_dir, find_head=get_head, merge=False).model
    assert torch.equal(outputs(apart, ids), outputs(trained, ids))  # saved and loaded: the same model
    merged = load_model(run_dir, find_head=get_head).model
    assert not any(".lora_" in k for k in merged.state_dict())
    assert (outputs(merged, ids) - outputs(trained, ids)).abs().max().item() < 1e-5
    if task == "bird":
        report = json.loads(ok(run("eval", task, "-m", f"{task}-lora", "--json")).stdout)
        assert report["examples"] == SIZES["test"]


def test_merge_keeps_the_tied_output_and_needs_no_base(toy_tasks, bases):
    lora_run("reverse", "llama", "rev", targets="all")
    before = load_model(bases / "rev", merge=False).model
    ok(run("generate", "-m", "rev", "apple", "-n", 3))  # a LoRA model generates (merged as it loads)
    ok(run("export", "rev", "--format", "hf", bases.parent / "rev-hf"))  # and exports
    ok(run("merge", "rev"))
    merged_dir = bases / "rev-merged"
    config = json.loads((merged_dir / "config.json").read_text())
    assert config["lora"] is None and config["preset"] == "merged-lora4:llama"
    assert config["model"]["tied_output"] and not (merged_dir / "checkpoint").exists()
    one_line_error(run("rm", "llama"), "the LoRA models rev need it as their base", "--yes")
    removed = ok(run("rm", "--yes", "llama"))  # the merged model stands alone
    assert "note: the LoRA models rev need it as their base" in removed.stderr
    merged = load_model(merged_dir).model
    assert merged.output is None  # still tied: the embedding is the output layer
    assert torch.equal(merged.embed.weight, before.embed.weight)  # the base's, unadapted
    ids = torch.tensor([[5, 9, 30, 2, 17, 60]])
    assert (outputs(merged, ids) - outputs(before, ids)).abs().max().item() < 1e-5
    one_line_error(run("merge", "rev-merged"), "rev-merged is not a LoRA model")
    one_line_error(run("merge", "rev", "--name", "rev2"), "which is missing")  # its base is gone
    assert sorted(p.name for p in bases.iterdir()) == ["gpt2", "rev", "rev-merged", "tiny"]


def test_finetune_merge_leaves_a_standalone_model(toy_tasks, bases):
    lora_run("bird", "gpt2", "bird-merged", merge=True)
    config = json.loads((bases / "bird-merged" / "config.json").read_text())
    assert config["lora"] is None and config["task"]["name"] == "bird"
    report = json.loads(ok(run("eval", "bird", "-m", "bird-merged", "--json")).stdout)
    assert report["examples"] == SIZES["test"]


def test_resume_is_bit_identical(toy_tasks, bases, stop_at):
    args = ["finetune", "bird", "--base", "llama", *LORA, "--lora-dropout", "0.1", "--steps", 6, "--batch-size", 8,
            "--precision", "fp32", "--device", "cpu"]
    ok(run(*args, "--name", "straight"))
    stop_at["at"] = 3
    assert run(*args, "--name", "halves").exit_code == 130
    stop_at["at"] = None
    one_line_error(run("finetune", "bird", "--name", "halves", "--resume", "--lora", 2), "trains LoRA rank",
                   "--resume continues with those")
    # the same rank, but not the run's dropout
    one_line_error(run("finetune", "bird", "--name", "halves", "--resume", *LORA), "dropout 0.1")
    ok(run("finetune", "bird", "--name", "halves", "--resume", *LORA, "--lora-dropout", "0.1"))  # its own: fine
    straight, halves = bases / "straight", bases / "halves"
    assert step_losses(halves) == step_losses(straight)
    assert (halves / "model.safetensors").read_bytes() == (straight / "model.safetensors").read_bytes()


def test_a_changed_or_missing_base_is_one_line(toy_tasks, bases):
    from safetensors.torch import load_file, save_file

    lora_run("bird", "llama", "bird-lora", steps=2)
    lora_run("bird", "bird-lora", "stacked", steps=2)  # adapters on a LoRA model: on its merged weights
    ok(run("eval", "bird", "-m", "stacked", "--limit", 2))
    listed = {e["name"]: e for e in json.loads(ok(run("models", "--json")).stdout)}
    assert listed["bird-lora"]["lora"] == {"rank": 4, "base": "llama", "base_path": str(bases / "llama")}
    assert "adapters of rank 4" in ok(run("info", "bird-lora")).stdout
    weights = load_file(bases / "llama" / "model.safetensors")
    weights["embed.weight"][0, 0] += 1.0
    save_file(weights, bases / "llama" / "model.safetensors")
    one_line_error(run("eval", "bird", "-m", "bird-lora"), "the base model 'llama'", "has changed since")
    one_line_error(run("eval", "bird", "-m", "stacked"), "the base model 'llama'", "of bird-lora")
    ok(run("mv", "llama", "llama2"))  # a renamed base is followed...
    one_line_error(run("eval", "bird", "-m", "bird-lora"), "'llama2'", "has changed since")
    shutil.rmtree(bases / "llama2")  # ...a removed one is missing
    one_line_error(run("eval", "bird", "-m", "bird-lora"), "LoRA adapters for the base model 'llama2'",
                   "which is missing")


def test_bad_lora_flags_are_one_line(toy_tasks, bases):
    quick = ["--steps", 1, "--precision", "fp32", "--device", "cpu"]
    one_line_error(run("finetune", "bird", "--lora", 8, *quick), "give --base NAME")
    one_line_error(run("finetune", "bird", "--base", "gpt2", "--merge", *quick), "use it with --lora RANK")
    one_line_error(run("finetune", "bird", "--base", "gpt2", "--lora", 8, "--lora-targets", "qkv,emb", *quick),
                   "unknown LoRA target 'emb'")
    one_line_error(run("finetune", "bird", "--base", "gpt2", "--lora", 8, "--lora-targets", "gate_up", *quick),
                   "a gpt2 model has no 'gate_up' layer", "qkv, proj, up, down")
    one_line_error(run("finetune", "bird", "--base", "gpt2", "--lora", 8, "--lora-dropout", 1, *quick),
                   "not a probability")
    one_line_error(run("finetune", "bird", "--base", "gpt2", "--lora", 0, *quick), "must be greater than 0", code=2)
    assert sorted(p.name for p in bases.iterdir()) == ["gpt2", "llama", "tiny"]  # nothing half-written


def test_activation_checkpointing_gives_the_same_gradients(bases):
    from llmcli.model.lora import add_adapters
    from llmcli.training.run_config import LoraInfo

    grads, calls = [], []
    for recompute in (False, True):
        model = load_model(bases / "llama").model.train()
        torch.manual_seed(0)
        add_adapters(model, LoraInfo(rank=2, alpha=4.0, dropout=0.1, targets=["qkv", "down"]))
        torch.nn.init.normal_(model.blocks[0].attn.qkv.lora_b)  # a non-zero update
        model.checkpoint_activations = recompute
        calls.append(0)
        model.blocks[0].register_forward_pre_hook(lambda *_: calls.__setitem__(-1, calls[-1] + 1))
        ids = torch.tensor([[5, 9, 30, 2, 17, 60, 8]])
        torch.manual_seed(1)  # the same dropout masks
        model(ids, targets=ids)[1].backward()
        grads.append({n: p.grad for n, p in model.named_parameters() if p.requires_grad})
    assert calls == [1, 2]  # recomputed in the backward pass
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) == 8  # 2 layers x 2 targets x (A, B)
    assert all(torch.allclose(grads[0][n], grads[1][n], atol=1e-6) for n in grads[0])


def test_finetune_with_checkpointed_activations(toy_tasks, bases):
    ok(run("finetune", "bird", "--base", "tiny", *LORA, "--checkpoint-activations", "--steps", 3,
           "--batch-size", 8, "--device", "cpu"))  # bf16 autocast where the CPU has it
    assert json.loads((bases / "bird" / "config.json").read_text())["train"]["checkpoint_activations"]


def test_a_base_kept_in_bf16_gives_autocasts_numbers(bases):
    from llmcli.model.lora import add_adapters, keep_base_in
    from llmcli.training.run_config import LoraInfo

    model = load_model(bases / "gpt2").model  # biases too
    add_adapters(model, LoraInfo(rank=2, alpha=4.0, dropout=0.0, targets=["qkv", "proj", "up", "down"]))
    torch.nn.init.normal_(model.blocks[1].mlp.down.lora_b)
    ids = torch.tensor([[5, 9, 30, 2, 17, 60, 8]])
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        before = model(ids)[0]
        keep_base_in(model, torch.bfloat16)
        assert model.blocks[0].attn.qkv.weight.dtype == torch.bfloat16
        assert torch.equal(model(ids)[0], before)
    with torch.no_grad():
        assert model(ids)[0].dtype == torch.float32  # and outside autocast it still runs
