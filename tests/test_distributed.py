"""Data-parallel training with torchrun on CPU (gloo): two processes follow the curve of one
process with the same global batch, write one set of files, and their checkpoint resumes
in one process (and the other way round)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import tiny_finetune_args, tiny_train_args

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="torchrun's CPU backend here is POSIX")


def llmcli(home: Path, *args: str, background: bool = False):
    env = {**os.environ, "LLMCLI_HOME": str(home)}
    env.pop("LLMCLI_DEBUG", None)
    command = [sys.executable, "-m", "llmcli", *args]
    if background:  # a session of its own, so that Ctrl-C can go to the whole group
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def step_losses(run: Path) -> dict[int, float]:
    events = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [e for e in events if e["event"] == "step"]
    assert len({e["step"] for e in steps}) == len(steps), "a step was logged twice"
    return {e["step"]: e["loss"] for e in steps}


def interrupted(home: Path, corpus: Path, name: str, *extra: str) -> subprocess.CompletedProcess:
    """Start a long run and press Ctrl-C (to the whole process group) after a few steps."""
    proc = llmcli(home, "train", str(corpus), "--name", name, *tiny_train_args(steps=150, precision="fp32"), *extra,
                  background=True)
    metrics = home / "models" / name / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if metrics.is_file() and metrics.read_text().count('"step"') >= 5:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def close(a: dict[int, float], b: dict[int, float], tolerance: float) -> float:
    assert a.keys() == b.keys()
    worst = max(abs(a[k] - b[k]) for k in a)
    assert worst < tolerance, (worst, a, b)
    return worst


def test_two_processes_follow_one(small_corpus, tmp_path):
    home = tmp_path / "home"
    one = llmcli(home, "train", str(small_corpus), "--name", "one", *tiny_train_args(steps=10, precision="fp32"))
    assert one.returncode == 0, one.stderr
    two = llmcli(home, "train", str(small_corpus), "--name", "two", "--nproc", "2",
                 *tiny_train_args(steps=10, precision="fp32"))
    assert two.returncode == 0, two.stderr
    assert "2 processes" in two.stderr and "Traceback" not in two.stderr
    assert two.stderr.count("validation bits per byte") == 1  # only rank 0 speaks

    runs = home / "models"
    close(step_losses(runs / "one"), step_losses(runs / "two"), 1e-3)
    assert sorted(p.name for p in (runs / "two").iterdir()) == sorted(p.name for p in (runs / "one").iterdir())
    assert sorted(p.name for p in runs.iterdir()) == ["one", "two"]
    summaries = [json.loads((runs / r / "summary.json").read_text()) for r in ("one", "two")]
    assert summaries[1]["tokens"] == summaries[0]["tokens"]  # the same global batch
    assert abs(summaries[0]["val_bpb"] - summaries[1]["val_bpb"]) < 1e-3


def test_a_two_process_checkpoint_resumes_in_one_process(small_corpus, tmp_path):
    home = tmp_path / "home"
    full = llmcli(home, "train", str(small_corpus), "--name", "full", *tiny_train_args(steps=150, precision="fp32"))
    assert full.returncode == 0, full.stderr
    stopped = interrupted(home, small_corpus, "cut", "--nproc", "2")
    assert stopped.returncode == 130, stopped.stderr
    assert "Resume with: llmcli train" in stopped.stderr and "Traceback" not in stopped.stderr
    assert (home / "models" / "cut" / "checkpoint").is_dir()

    resumed = llmcli(home, "train", str(small_corpus), "--name", "cut", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    close(step_losses(home / "models" / "full"), step_losses(home / "models" / "cut"), 0.02)


def test_a_one_process_checkpoint_resumes_in_two(small_corpus, tmp_path):
    home = tmp_path / "home"
    full = llmcli(home, "train", str(small_corpus), "--name", "full", *tiny_train_args(steps=150, precision="fp32"))
    assert full.returncode == 0, full.stderr
    stopped = interrupted(home, small_corpus, "cut")
    assert stopped.returncode == 130, stopped.stderr

    resumed = llmcli(home, "train", str(small_corpus), "--name", "cut", "--resume", "--nproc", "2")
    assert resumed.returncode == 0, resumed.stderr
    close(step_losses(home / "models" / "full"), step_losses(home / "models" / "cut"), 0.02)


def test_a_batch_that_does_not_split_is_one_line(small_corpus, tmp_path):
    result = llmcli(tmp_path / "home", "train", str(small_corpus), "--steps", "3", "--nproc", "2",
                    "--preset", "nano", "--batch-size", "7")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: the batch of 7 cannot be split evenly over 2 processes: give --batch-size a multiple of 2"
    ]


def one_and_two_processes(tmp_path, home: Path, common: list[str]) -> None:
    """Run `llmcli COMMON` as `one`, then under two processes as `two`, with the toy tasks
    installed as a plugin."""
    site = tmp_path / "site"
    info = site / "toy_tasks-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-tasks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[llmcli]\ntoy = toy_tasks\n")
    env_paths = os.pathsep.join([str(site), str(Path(__file__).resolve().parent)])
    for name, extra in (("one", []), ("two", ["--nproc", "2"])):
        env = {**os.environ, "LLMCLI_HOME": str(home), "PYTHONPATH": env_paths, "LLMCLI_LOAD_PLUGINS": "toy-tasks"}
        result = subprocess.run([sys.executable, "-m", "llmcli", *common, "--name", name, *extra], env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr


def test_finetune_with_two_processes(tmp_path):
    """A task's classification head, fine-tuned by two processes, follows one process."""
    home = tmp_path / "home"
    one_and_two_processes(tmp_path, home, ["finetune", "bird", *tiny_finetune_args(steps=8, device=None)])
    close(step_losses(home / "models" / "one"), step_losses(home / "models" / "two"), 1e-4)


def test_lora_with_two_processes(tmp_path, trained_template):
    """LoRA adapters on a frozen base, trained by two processes, follow one process; the
    adapters saved are the same."""
    import shutil

    from safetensors.torch import load_file

    home = tmp_path / "home"
    shutil.copytree(trained_template, home / "models" / "tiny")
    one_and_two_processes(tmp_path, home, ["finetune", "bird", "--base", "tiny", "--lora", "4", "--lr", "1e-2",
                                           *tiny_finetune_args(steps=8, preset=None, device=None)])
    runs = home / "models"
    close(step_losses(runs / "one"), step_losses(runs / "two"), 1e-4)
    one, two = load_file(runs / "one" / "model.safetensors"), load_file(runs / "two" / "model.safetensors")
    assert one.keys() == two.keys() and all(".lora_" in k or k.startswith("task_head.") for k in one)
    assert max((one[k] - two[k]).abs().max().item() for k in one) < 1e-4


def test_a_failed_process_stops_the_run_and_keeps_the_checkpoint(small_corpus, tmp_path):
    home = tmp_path / "home"
    assert interrupted(home, small_corpus, "cut").returncode == 130  # a checkpoint at a few steps
    checkpoint = (home / "models" / "cut" / "checkpoint" / "trainer_state.json").read_bytes()
    metrics = home / "models" / "cut" / "metrics.jsonl"
    steps_before = metrics.read_text().count('"step"')

    proc = llmcli(home, "train", str(small_corpus), "--name", "cut", "--resume", "--steps", "100000",
                  "--nproc", "2", background=True)
    deadline = time.monotonic() + 120
    while metrics.read_text().count('"step"') < steps_before + 5:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    def children(pid: int) -> list[int]:
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        return sorted(int(p) for p in found)

    launcher = children(proc.pid)  # llmcli -> torchrun -> the two training processes
    workers = children(launcher[0]) if len(launcher) == 1 else []
    assert len(workers) == 2, (launcher, workers)
    os.kill(workers[-1], signal.SIGKILL)  # the later-started one: rank 1
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert "another process failed" in err
    assert (home / "models" / "cut" / "checkpoint" / "trainer_state.json").read_bytes() == checkpoint
    again = llmcli(home, "train", str(small_corpus), "--name", "cut", "--resume", "--steps", "20")
    assert again.returncode == 0, again.stderr
