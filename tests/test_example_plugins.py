"""The example plugin in examples/plugins and the one `llmcli plugin new` writes, each
loaded through its own pyproject's entry point in a fresh interpreter, then listed,
fine-tuned, evaluated and run as a user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run, tiny_finetune_args

REPO = Path(__file__).resolve().parents[1]
NUMBERS = REPO / "examples" / "plugins" / "llmcli-numbers"
TINY = tiny_finetune_args(steps=15, batch_size=16, precision=None, device=None)


def entry_points_of(project: Path) -> tuple[str, str, dict[str, str]]:
    """(name, version, {entry point: module}) from a plugin's pyproject.toml."""
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    name = re.search(r'^name = "([^"]+)"', text, re.M).group(1)
    version = (re.search(r'^version = "([^"]+)"', text, re.M) or [None, "0"])[1]
    section = text.split("[project.entry-points.llmcli]", 1)[1].split("\n[", 1)[0]
    points = dict(re.findall(r'^(\S+) = "([^"]+)"', section, re.M))
    return name, version, points


def fake_install(project: Path, site: Path) -> str:
    """What pip leaves behind, minus the copy: a dist-info folder with the project's entry
    points (its source goes on PYTHONPATH). Returns the distribution's name."""
    name, version, points = entry_points_of(project)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "".join(f"{point} = {module}\n" for point, module in points.items())
    (info / "entry_points.txt").write_text(f"[llmcli]\n{lines}")
    return name


def llmcli(project: Path, site: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LLMCLI_DEBUG"}
    env.update(PYTHONPATH=os.pathsep.join([str(site), str(project)]), LLMCLI_HOME=str(home), COLUMNS="200",
               LLMCLI_LOAD_PLUGINS=entry_points_of(project)[0])
    return subprocess.run([sys.executable, "-m", "llmcli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def succeeds(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_numbers_plugin_end_to_end(tmp_path, llmcli_home):
    site = tmp_path / "site"
    dist = fake_install(NUMBERS, site)

    tasks = {t["name"]: t for t in json.loads(succeeds(llmcli(NUMBERS, site, llmcli_home, "tasks", "--json")).stdout)}
    assert tasks["numbers"]["plugin"] == "numbers"
    assert "word_error_rate" in tasks["numbers"]["metrics"]
    plugins = {p["name"]: p for p in json.loads(succeeds(llmcli(NUMBERS, site, llmcli_home, "plugins", "--json")).stdout)}
    assert plugins["numbers"]["distribution"] == dist and plugins["numbers"]["builtin"] is False

    succeeds(llmcli(NUMBERS, site, llmcli_home, "finetune", "numbers", *TINY))
    report = json.loads(succeeds(llmcli(NUMBERS, site, llmcli_home, "eval", "numbers", "-m", "numbers",
                                        "--limit", "8", "--json")).stdout)
    assert report["task"] == "numbers" and report["examples"] == 8
    assert set(report["metrics"]) == {"exact_match", "word_error_rate"}
    assert succeeds(llmcli(NUMBERS, site, llmcli_home, "run", "numbers", "12,031")).stdout.strip()
    refused = llmcli(NUMBERS, site, llmcli_home, "run", "numbers", "twelve")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_plugin_new_writes_a_plugin_that_loads_and_trains(tmp_path, llmcli_home):
    result = run("plugin", "new", "shout-it", "--dir", tmp_path)
    assert result.exit_code == 0, result.output
    project = tmp_path / "llmcli-shout-it"
    assert (project / "pyproject.toml").is_file() and (project / "README.md").is_file()
    site = tmp_path / "site"
    fake_install(project, site)

    tasks = json.loads(succeeds(llmcli(project, site, llmcli_home, "tasks", "--json")).stdout)
    assert "shout-it" in {t["name"] for t in tasks}
    succeeds(llmcli(project, site, llmcli_home, "finetune", "shout-it", *TINY))
    report = json.loads(succeeds(llmcli(project, site, llmcli_home, "eval", "shout-it", "-m", "shout-it",
                                        "--limit", "4", "--json")).stdout)
    assert report["examples"] == 4


@pytest.mark.parametrize("name", ["Bad Name", "9lives", "core", "a--b", ""])
def test_plugin_new_refuses_a_bad_name(tmp_path, name):
    result = run("plugin", "new", name, "--dir", tmp_path)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_plugin_new_never_overwrites(tmp_path):
    existing = tmp_path / "llmcli-mine"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    result = run("plugin", "new", "mine", "--dir", tmp_path)
    assert result.exit_code == 1 and "already exists" in result.output
    assert [p.name for p in existing.iterdir()] == ["keep.txt"]


def test_a_prompt_shorter_than_its_room_is_kept_whole():
    """Regression: fit_prompt once kept only the tail of prompts that fit with room to spare."""
    from types import SimpleNamespace

    from llmcli.heads import fit_prompt

    tokenizer = SimpleNamespace(bos_id=2)
    assert fit_prompt(tokenizer, list(range(10, 19)), 16) == [2, *range(10, 19)]
    assert fit_prompt(tokenizer, list(range(10, 19)), 5) == [2, 15, 16, 17, 18]
    assert fit_prompt(tokenizer, list(range(10, 19)), 1) == [2]
