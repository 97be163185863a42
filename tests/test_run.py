"""`llmcli run`: one input, piped lines, JSONL, the interactive session (through stdin and
through a pseudo-terminal), and the default model trained when a task has none."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import run, tiny_finetune_args

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def reverse_model(tmp_path_factory):
    """A reverse-task model trained once for the module: briefly, so its answers are often
    wrong; the tests compare what `run` prints with what the model predicts."""
    import toy_tasks

    from llmcli import plugins

    home = tmp_path_factory.mktemp("run-home")
    plugins.reset()
    plugins.get_plugins().add(toy_tasks, plugins.PluginInfo("toy", "toy-tasks", "1.0", builtin=False))
    result = run("finetune", "reverse", *tiny_finetune_args(steps=40, batch_size=64, precision=None, device=None),
                 env={"LLMCLI_HOME": str(home)})
    plugins.reset()
    assert result.exit_code == 0, result.output
    return home / "models" / "reverse"


def predicted(model_dir, *texts, **decoding):
    """What the model answers, asked directly (greedy unless decoding says otherwise)."""
    from llmcli.scoring import load_task_model, predict
    from llmcli.registry import get_task

    task = get_task("reverse")
    tm = load_task_model(str(model_dir), task)
    return [p.text for p in predict(tm, [task.read_input(t) for t in texts], decoding)]


def test_one_input(toy_tasks, reverse_model):
    result = run("run", "reverse", "-m", str(reverse_model), "apple river stone")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == predicted(reverse_model, "apple river stone")[0]


def test_piped_lines_give_one_output_each(toy_tasks, reverse_model):
    result = run("run", "reverse", "-m", str(reverse_model), input="bird tree\nlamp cloud green\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == predicted(reverse_model, "bird tree", "lamp cloud green")


def test_jsonl_in_and_out(toy_tasks, reverse_model, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"input": "house paper", "id": 7}\n{"input": "fast quiet"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("run", "reverse", "-m", str(reverse_model), "--input", str(source), "--output", str(out))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    first, second = predicted(reverse_model, "house paper", "fast quiet")
    assert records == [{"input": "house paper", "id": 7, "prediction": first},
                       {"input": "fast quiet", "prediction": second}]


def test_bad_jsonl_is_one_line_and_writes_nothing(toy_tasks, reverse_model, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"input": "house paper"}\n[1, 2]\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("run", "reverse", "-m", str(reverse_model), "--input", str(source), "--output", str(out))
    assert result.exit_code == 1
    assert f"{source}:2" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_session_through_stdin(toy_tasks, reverse_model):
    lines = [
        "apple bird",
        ":set temperature 0.5",
        ":set temperature lots",  # refused, the setting stays
        ":settings",
        ":set temperature off",
        ":set beams 2",
        '"""',  # a multi-line input (the model was not trained on those: any output will do)
        "tree",
        "lamp",
        '"""',
        "river \\",
        "stone",
        ":history",
        ":bogus",
        ":quit",
        "never read",
    ]
    result = run("run", "reverse", "-m", str(reverse_model), "-i", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    first = predicted(reverse_model, "apple bird")[0]
    joined = predicted(reverse_model, "river \nstone", num_beams=2)[0]
    assert result.stdout.startswith(f">>> {first}\n")
    assert f">>> ... {joined}\n" in result.stdout
    assert "Error: 'lots' is not a number" in result.stderr
    assert "temperature=0.5" in result.stderr and "beams=2" in result.stderr and "num_beams" not in result.stderr
    assert "  3  river \nstone" in result.stderr  # the history keeps the joined lines
    assert "Unknown command :bogus" in result.stderr


def test_session_shows_what_the_last_answer_attended_to(toy_tasks, reverse_model):
    lines = [":attention", "apple bird", ":attention 3", ":attention lots"]
    result = run("run", "reverse", "-m", str(reverse_model), "-i", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert "No answer yet" in result.stderr and "Usage: :attention [N]" in result.stderr
    listed = result.stdout.split("most attended (")[1].split(">>>")[0]
    assert listed.count("%") == 4  # the first token's share, then the three listed


def test_session_ends_cleanly_at_end_of_input(toy_tasks, reverse_model):
    result = run("run", "reverse", "-m", str(reverse_model), "-i", input="quiet lamp\n")
    assert result.exit_code == 0, result.output
    assert predicted(reverse_model, "quiet lamp")[0] in result.stdout


PTY_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import toy_tasks
from llmcli import plugins
plugins.get_plugins().add(toy_tasks, plugins.PluginInfo("toy", "toy-tasks", "1.0", builtin=False))
from llmcli.cli import main
main(["run", "reverse", "-m", {model!r}])
"""


def read_until(fd, marker: bytes, timeout: float = 60.0) -> bytes:
    seen, deadline = b"", time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"timed out waiting for {marker!r}; got {seen!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_session_in_a_pseudo_terminal(toy_tasks, reverse_model, llmcli_home):
    """A real terminal: no -i needed, the prompt shows, Ctrl-D leaves with status 0."""
    script = PTY_SCRIPT.format(tests=str(TESTS), model=str(reverse_model))
    leader, follower = pty.openpty()
    env = {**os.environ, "LLMCLI_HOME": str(llmcli_home), "TERM": "dumb", "NO_COLOR": "1"}
    child = subprocess.Popen([sys.executable, "-c", script], stdin=follower, stdout=follower, stderr=follower,
                             env=env, close_fds=True)
    os.close(follower)
    try:
        read_until(leader, b">>> ")
        os.write(leader, b"cloud tree\n")
        answer = read_until(leader, b">>> ")
        assert predicted(reverse_model, "cloud tree")[0].encode() in answer
        os.write(leader, b":help\n")
        assert b":set NAME VALUE" in read_until(leader, b">>> ")
        os.write(leader, b"\x04")  # Ctrl-D
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
        os.close(leader)
    history = llmcli_home / "history" / "reverse.txt"
    assert "cloud tree" in history.read_text(encoding="utf-8")


def test_default_model_is_trained_when_there_is_none(toy_tasks, monkeypatch, llmcli_home):
    monkeypatch.setattr(toy_tasks.Reverse, "default_time", "6s")
    result = run("run", "reverse", "apple tree")
    assert result.exit_code == 0, result.output
    assert "No model is fine-tuned for reverse yet" in result.stderr
    assert (llmcli_home / "models" / "reverse" / "summary.json").is_file()
    again = run("run", "reverse", "apple tree")  # the trained model is found now
    assert again.exit_code == 0 and "No model" not in again.stderr


def test_model_for_another_task_is_refused(toy_tasks, reverse_model):
    result = run("run", "bird", "-m", str(reverse_model), "a bird")
    assert result.exit_code == 1
    assert "fine-tuned for task reverse, not bird" in result.output


def test_unknown_task_suggests_the_close_one(toy_tasks):
    result = run("run", "revers", "x")
    assert result.exit_code == 1
    assert "did you mean 'reverse'" in result.output


def test_the_default_model_never_replaces_a_model_of_the_same_name(toy_tasks, monkeypatch, trained_model,
                                                                     llmcli_home):
    import shutil

    shutil.copytree(trained_model, llmcli_home / "models" / "reverse")  # a language model named "reverse"
    before = (llmcli_home / "models" / "reverse" / "model.safetensors").read_bytes()
    monkeypatch.setattr(toy_tasks.Reverse, "default_time", "5s")
    result = run("run", "reverse", "-y", "apple tree")
    assert result.exit_code == 0, result.output
    assert (llmcli_home / "models" / "reverse-default" / "summary.json").is_file()
    assert (llmcli_home / "models" / "reverse" / "model.safetensors").read_bytes() == before
