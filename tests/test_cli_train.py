"""Train, list, inspect and generate from the command line, as a user would."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli_helpers import TINY_TRAIN_ARGS, run, tiny_train_args

from llmcli.training import autoconfig


def test_run_directory_holds_everything(trained_model):
    names = {p.name for p in trained_model.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.model", "summary.json", "metrics.jsonl", "checkpoint"} <= names
    summary = json.loads((trained_model / "summary.json").read_text())
    assert summary["steps"] == 12
    assert 0 < summary["val_bpb"] < 20
    assert not list(trained_model.rglob("*.pt")) and not list(trained_model.rglob("*.pkl"))


def test_models_lists_the_run(trained_model):
    result = run("models", "--json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    for key in ("name", "path", "preset", "params", "val_bpb"):
        assert key in entry
    assert entry["name"] == "tiny" and entry["preset"] == "nano" and entry["params"] > 0
    summary = json.loads((trained_model / "summary.json").read_text())
    assert entry["val_perplexity"] == round(math.exp(summary["val_loss"]), 3)  # per token, beside bits per byte
    table = run("models")
    assert "tiny" in table.stdout
    # the folder in full on a line of its own, however narrow the output: it can be copied
    assert f"in {Path(entry['path']).parent}{os.sep} (a folder each, by name; `llmcli info NAME` for one)" in table.stdout.splitlines()


def test_info_shows_config_and_curve(trained_model):
    result = run("info", "tiny", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["config"]["model"]["n_layer"] == 2
    assert len(data["loss_curve"]) >= 2
    assert data["val_perplexity"] == round(math.exp(data["summary"]["val_loss"]), 3)
    text = run("info", "tiny")
    assert "training loss" in text.stdout and "•" in text.stdout
    # the note wraps where the figures' widths put it: read the words without the table's rules
    words = " ".join(text.stdout.replace("│", " ").split())
    assert "val perplexity" in words and "compare models by bits per byte" in words


def test_generate_streams_text(trained_model):
    result = run("generate", "-m", "tiny", "Once upon a time", "-n", "20", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Once upon a time")
    assert len(result.stdout) > len("Once upon a time") + 5
    again = run("generate", "-m", str(trained_model), "Once upon a time", "-n", "20", "--seed", "1")
    assert again.stdout == result.stdout  # a path works as well as a name, and the seed repeats


def test_several_samples_in_one_pass(trained_model):
    args = ["generate", "-m", "tiny", "Once upon a time", "-n", "12", "--seed", "3", "-N", "4"]
    rows = [json.loads(line) for line in run(*args, "--json").stdout.splitlines()]
    assert [r["sequence"] for r in rows] == [1, 2, 3, 4] and all(r["prompt"] == "Once upon a time" for r in rows)
    assert len({r["text"] for r in rows}) > 1 and all(0 < r["tokens"] <= 12 for r in rows)
    again = [json.loads(line) for line in run(*args, "--json").stdout.splitlines()]
    assert [r["text"] for r in again] == [r["text"] for r in rows]  # the seed repeats the set
    shown = run(*args).stdout
    for r in rows:  # numbered on a terminal, each after its prompt
        assert f"── {r['sequence']} of 4 ──\nOnce upon a time{r['text']}\n" in shown


def test_generate_greedy_and_beams(trained_model):
    greedy = run("generate", "-m", "tiny", "The fox", "-n", "15", "--greedy", "--no-echo")
    beams = run("generate", "-m", "tiny", "The fox", "-n", "15", "--beams", "3", "--no-echo")
    assert greedy.exit_code == 0 and beams.exit_code == 0
    assert greedy.stdout.strip() and beams.stdout.strip()


def test_same_seed_same_model(small_corpus, llmcli_home):
    for name in ("a", "b"):
        result = run("train", str(small_corpus), "--name", name, *TINY_TRAIN_ARGS)
        assert result.exit_code == 0, result.output
    a = (llmcli_home / "models" / "a" / "model.safetensors").read_bytes()
    b = (llmcli_home / "models" / "b" / "model.safetensors").read_bytes()
    assert a == b


def test_ctrl_c_saves_and_resume_continues(small_corpus, llmcli_home):
    env = {**os.environ, "LLMCLI_HOME": str(llmcli_home)}
    args = [sys.executable, "-m", "llmcli", "train", str(small_corpus), "--name", "long",
            *tiny_train_args(steps=100000, batch_size=4, context=32)]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    run_dir = llmcli_home / "models" / "long"
    deadline = time.time() + 60
    while time.time() < deadline and not (run_dir / "metrics.jsonl").exists():
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Resume with: llmcli train" in stderr and "--resume" in stderr
    assert "Traceback" not in stderr
    state = json.loads((run_dir / "checkpoint" / "trainer_state.json").read_text())
    stopped_at = state["step"]
    assert stopped_at > 0

    result = run("train", str(small_corpus), "--name", "long", "--resume", "--steps", str(stopped_at + 5), "--no-sample")
    assert result.exit_code == 0, result.output
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] == stopped_at + 5


def test_time_budget_bounds_the_whole_command(small_corpus, llmcli_home):
    start = time.perf_counter()
    result = run("train", str(small_corpus), "--name", "timed", "--time", "6s", "--no-sample")
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    summary = json.loads((llmcli_home / "models" / "timed" / "summary.json").read_text())
    assert summary["command_seconds"] <= 7.5  # the reserve for the final steps is an estimate
    assert elapsed < 10  # in-process, so no interpreter start-up to add
    assert summary["steps"] > 0 and summary["val_bpb"] > 0
    config = json.loads((llmcli_home / "models" / "timed" / "config.json").read_text())
    assert config["train"]["max_passes"] == autoconfig.MAX_PASSES  # auto's stop, shown in the plan
    assert f"stops after {autoconfig.MAX_PASSES} passes" in result.output


def test_train_help_names_autos_pass_limit():
    """The help cannot import autoconfig (torch): its figure is checked here instead."""
    assert f"after {autoconfig.MAX_PASSES} passes" in " ".join(run("train", "--help").output.split())


def test_a_resumed_run_trains_for_the_time_it_is_given(small_corpus, llmcli_home):
    """The plan's pass limit is the first run's: resumed with a new --time, a run that
    stopped there trains on."""
    assert run("train", str(small_corpus), "--name", "passes", *tiny_train_args(steps=2)).exit_code == 0
    config_path = llmcli_home / "models" / "passes" / "config.json"
    config = json.loads(config_path.read_text())
    config["train"]["max_passes"] = 0.01  # as if the first run had stopped at its passes
    config_path.write_text(json.dumps(config))
    result = run("train", str(small_corpus), "--name", "passes", "--resume", "--time", "4s", "--no-sample")
    assert result.exit_code == 0, result.output
    assert json.loads(config_path.read_text())["train"]["max_passes"] is None
    assert json.loads((llmcli_home / "models" / "passes" / "summary.json").read_text())["steps"] > 2


def test_shape_flags_bring_their_batch_and_lr(small_corpus, llmcli_home):
    result = run("train", str(small_corpus), "--name", "shaped", "--preset", "nano", "--context", "64",
                 "--width", "128", "--heads", "4", "--steps", "2", "--no-sample")
    assert result.exit_code == 0, result.output
    config = json.loads((llmcli_home / "models" / "shaped" / "config.json").read_text())
    assert config["model"]["context"] == 64 and config["model"]["n_embd"] == 128
    assert config["train"]["batch_size"] == 4096 // 64  # the batch follows the context
    assert config["train"]["lr"] == 2e-3  # the learning rate follows the width
