"""Shared fixtures: an isolated data directory, and small corpora the project wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import TINY_TRAIN_ARGS, ok, run

REPO = Path(__file__).resolve().parents[1]
FABLES = REPO / "examples" / "corpus" / "fables.txt"


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors gain nothing from threads, and lose much to them on busy cores: a module
    of tiny-model tests asks for one with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def llmcli_home(tmp_path, monkeypatch):
    """Every test gets its own empty data directory."""
    home = tmp_path / "home"
    monkeypatch.setenv("LLMCLI_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """About 60 KB of the bundled fables: enough to train a tokenizer and a nano model."""
    text = FABLES.read_text(encoding="utf-8")[:60_000]
    path = tmp_path_factory.mktemp("corpus") / "fables-small.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained_template(tmp_path_factory, small_corpus) -> Path:
    """A nano model trained once per session, in a data directory of its own."""
    home = tmp_path_factory.mktemp("template-home")
    ok(run("train", small_corpus, "--name", "tiny", *TINY_TRAIN_ARGS, env={"LLMCLI_HOME": str(home)}))
    return home / "models" / "tiny"


@pytest.fixture
def trained_model(trained_template, llmcli_home) -> Path:
    """A fresh copy of the session's nano model in this test's data directory."""
    import shutil

    target = llmcli_home / "models" / "tiny"
    shutil.copytree(trained_template, target)
    return target


@pytest.fixture
def stop_at(monkeypatch):
    """Make the next trainers stop as if Ctrl-C came at step `stop["at"]`."""
    from llmcli.training import trainer as trainer_module

    stop = {"at": None}
    original = trainer_module.Trainer.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.stop_at_step = stop["at"]

    monkeypatch.setattr(trainer_module.Trainer, "__init__", init)
    return stop


@pytest.fixture
def toy_tasks():
    """The tasks of tests/toy_tasks.py, registered as a third-party plugin for one test."""
    import toy_tasks as module

    from llmcli import plugins

    plugins.reset()
    plugins.get_plugins().add(module, plugins.PluginInfo("toy", "toy-tasks", "1.0", builtin=False))
    yield module
    plugins.reset()
