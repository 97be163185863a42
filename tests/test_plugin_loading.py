"""Plugins loaded from real entry points, in a fresh interpreter, without pip.

Each test builds a fake installed distribution in a temporary folder (a `NAME-1.0.dist-info`
folder with METADATA and entry_points.txt, beside the plugin's module), puts that folder on
PYTHONPATH and runs `llmcli` in a subprocess. LLMCLI_LOAD_PLUGINS names the fake
distributions, so plugins installed in the environment do not change the results (except
where a test is about that variable).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

HOOKS = ["register_commands", "register_datasets", "register_heads", "register_metrics", "register_tasks"]
MARK = "@@llmcli-test-torch:"

GOOD = '''
import click

from llmcli import hookimpl
from llmcli.datasets import GeneratedDataset
from llmcli.heads.language_model import LanguageModelHead
from llmcli.metrics import Metric
from llmcli.tasks import Task


class Echo(Task):
    name = "echo"
    description = "repeat the input"
    default_dataset = "echo-gen"
    metrics = ("exact_match", "echo_length")


class EchoHead(LanguageModelHead):
    name = "echo-head"


def examples(split, count, seed):
    return [{"input": f"word{i}", "output": f"word{i}"} for i in range(count)]


@hookimpl
def register_tasks(register):
    register(Echo())


@hookimpl
def register_datasets(register):
    register(GeneratedDataset("echo-gen", "echo", examples, {"train": 20, "validation": 4, "test": 4}))


@hookimpl
def register_metrics(register):
    register(Metric("echo_length", lambda p, r, e: {"echo_length": float(len(p))}))


@hookimpl
def register_heads(register):
    register(EchoHead())


@hookimpl
def register_commands(cli):
    @cli.command()
    @click.argument("who")
    def greet(who):
        """Say hello from the good plugin."""
        click.echo(f"hello {who}")
'''

BROKEN_IMPORT = '''
raise RuntimeError("boom at import")
'''

HALFWAY = '''
from llmcli import hookimpl
from llmcli.tasks import Task


class First(Task):
    name = "half-first"


@hookimpl
def register_tasks(register):
    register(First())
    raise ValueError("half way through")
'''

TYPO = '''
from llmcli import hookimpl
from llmcli.tasks import Task


class Typo(Task):
    name = "typo-task"


@hookimpl
def register_task(register):
    register(Typo())
'''

BAD_ARGS = '''
from llmcli import hookimpl


@hookimpl
def register_tasks(registry):
    pass
'''


def duplicate_source(own: str) -> str:
    return f'''
from llmcli import hookimpl
from llmcli.tasks import Task


class Shared(Task):
    name = "shared"


class Own(Task):
    name = "{own}"


@hookimpl
def register_tasks(register):
    register(Shared())
    register(Own())
'''


CLASH = '''
import click

from llmcli import hookimpl


@hookimpl
def register_commands(cli):
    @cli.command("tasks")
    def fake_tasks():
        """Pretends to be the built-in tasks command."""
        click.echo("FAKE TASKS")
'''


def install(site: Path, dist: str, module: str, source: str, entry_point: str, version: str = "1.0") -> None:
    """A fake installed distribution: dist-info with metadata and one llmcli entry point."""
    site.mkdir(parents=True, exist_ok=True)
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[llmcli]\n{entry_point} = {module}\n")
    (site / f"{module}.py").write_text(textwrap.dedent(source))


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    torch: bool | None  # None: the process crashed

    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "Warning" in line]

    def flat_stderr(self) -> str:
        """stderr with white space folded (Rich wraps long lines)."""
        return " ".join(self.stderr.split())


def llmcli(site: Path, home: Path, *args: str, load: str | None = None, unset_load: bool = False) -> Result:
    """Run `llmcli ARGS` in a fresh interpreter with `site` on its path."""
    code = (
        "import sys\n"
        "from llmcli.cli import main\n"
        "code = 0\n"
        "try:\n"
        f"    main({list(args)!r}, prog_name='llmcli')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)\n"
        f"sys.stderr.write('\\n{MARK}' + ('yes' if 'torch' in sys.modules else 'no') + '\\n')\n"
        "sys.exit(code)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("LLMCLI_DEBUG", "LLMCLI_LOAD_PLUGINS")}
    env.update(PYTHONPATH=str(site), LLMCLI_HOME=str(home), COLUMNS="200", PYTHONDONTWRITEBYTECODE="1")
    if not unset_load:
        env["LLMCLI_LOAD_PLUGINS"] = load if load is not None else ",".join(
            p.name.split("-")[0].replace("_", "-") for p in site.glob("*.dist-info")
        )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=site,
                          timeout=120)
    if MARK not in proc.stderr:  # the interpreter died before main returned
        return Result(proc.returncode or 1, proc.stdout, proc.stderr, torch=None)
    stderr, _, marker = proc.stderr.rpartition(MARK)
    return Result(proc.returncode, proc.stdout, stderr.rstrip("\n"), marker.strip() == "yes")


@pytest.fixture
def site(tmp_path) -> Path:
    return tmp_path / "site"


def ok(result: Result) -> Result:
    assert result.code == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def third_party_tasks(result) -> list[str]:
    """The names `tasks --json` lists, less llmcli's built-in tasks."""
    return [t["name"] for t in json.loads(result.stdout) if not t["builtin"]]


def test_good_plugin_task_and_plugin_listing(site, llmcli_home):
    install(site, "good-plugin", "llmcli_good", GOOD, "good")

    tasks = ok(llmcli(site, llmcli_home, "tasks", "--json"))
    assert not tasks.torch
    assert not tasks.warnings(), tasks.stderr
    entries = {t["name"]: t for t in json.loads(tasks.stdout)}
    assert entries["echo"]["plugin"] == "good"
    assert entries["echo"]["head"] == "lm"
    assert entries["echo"]["datasets"] == ["echo-gen"]
    assert entries["echo"]["default_dataset"] == "echo-gen"
    assert entries["echo"]["metrics"] == ["exact_match", "echo_length"]

    listing = ok(llmcli(site, llmcli_home, "plugins", "--json"))
    assert not listing.torch
    infos = {p["name"]: p for p in json.loads(listing.stdout)}
    assert infos["core"]["builtin"] is True
    assert infos["core"]["distribution"] == "llmcli"
    assert infos["core"]["hooks"] == ["register_heads", "register_metrics"]
    good = infos["good"]
    assert good == {"name": "good", "distribution": "good-plugin", "version": "1.0", "builtin": False,
                    "hooks": HOOKS}
    # built-ins are listed first
    assert json.loads(listing.stdout)[0]["builtin"] is True


def test_plugin_that_fails_to_import_is_one_warning(site, llmcli_home):
    install(site, "good-plugin", "llmcli_good", GOOD, "good")
    install(site, "broken-plugin", "llmcli_broken", BROKEN_IMPORT, "broken")

    for args in (["tasks"], ["tasks", "--json"], ["plugins"], ["plugins", "--json"], ["--help"]):
        result = ok(llmcli(site, llmcli_home, *args))
        warnings = result.warnings()
        assert len(warnings) == 1, (args, result.stderr)
        assert "broken" in warnings[0] and "RuntimeError: boom at import" in warnings[0], warnings
        assert not result.torch, args
    for args in (["models"], ["models", "--json"], ["uninstall", "--help"]):
        result = ok(llmcli(site, llmcli_home, *args))
        assert len(result.warnings()) <= 1, (args, result.stderr)

    tasks = ok(llmcli(site, llmcli_home, "tasks", "--json"))
    assert third_party_tasks(tasks) == ["echo"]  # the good plugin still works
    infos = {p["name"]: p for p in json.loads(ok(llmcli(site, llmcli_home, "plugins", "--json")).stdout)}
    assert infos["broken"]["builtin"] is False
    assert infos["broken"]["hooks"] == []
    assert "RuntimeError: boom at import" in infos["broken"]["error"]
    assert "error" not in infos["good"]


def test_hook_that_raises_registers_nothing(site, llmcli_home):
    install(site, "good-plugin", "llmcli_good", GOOD, "good")
    install(site, "halfway-plugin", "llmcli_halfway", HALFWAY, "halfway")

    result = ok(llmcli(site, llmcli_home, "tasks", "--json"))
    names = third_party_tasks(result)
    assert names == ["echo"]  # not half-first, registered before the hook raised
    warnings = result.warnings()
    assert len(warnings) == 1, result.stderr
    assert "halfway" in warnings[0] and "register_tasks" in warnings[0]
    assert "ValueError: half way through" in warnings[0]

    # the good plugin's dataset is unaffected
    shown = ok(llmcli(site, llmcli_home, "data", "show", "echo-gen", "--json"))
    assert json.loads(shown.stdout)["sizes"] == {"train": 20, "validation": 4, "test": 4}


def test_unknown_hook_name_gets_a_hint(site, llmcli_home):
    install(site, "typo-plugin", "llmcli_typo", TYPO, "typo")
    install(site, "badargs-plugin", "llmcli_badargs", BAD_ARGS, "badargs")

    result = ok(llmcli(site, llmcli_home, "tasks", "--json"))
    assert third_party_tasks(result) == []
    flat = result.flat_stderr()
    assert "plugin typo implements an unknown hook register_task: did you mean register_tasks?" in flat
    # an implementation with the wrong argument names is refused, with a warning naming it
    assert "plugin badargs (badargs-plugin) was skipped" in flat
    infos = {p["name"]: p for p in json.loads(ok(llmcli(site, llmcli_home, "plugins", "--json")).stdout)}
    assert "register_tasks" not in infos["typo"]["hooks"]
    assert infos["badargs"]["error"]


def test_two_plugins_with_the_same_task(site, llmcli_home):
    install(site, "dupa-plugin", "llmcli_dupa", duplicate_source("only-a"), "dupa")
    install(site, "dupb-plugin", "llmcli_dupb", duplicate_source("only-b"), "dupb")

    tasks = ok(llmcli(site, llmcli_home, "tasks", "--json"))
    assert third_party_tasks(tasks) == ["only-a", "only-b"]
    assert "task 'shared' is registered by two plugins, dupa and dupb" in tasks.flat_stderr()
    table = ok(llmcli(site, llmcli_home, "tasks"))
    assert "dupa and dupb" in table.flat_stderr()

    failed = llmcli(site, llmcli_home, "finetune", "shared", "--steps", "1")
    assert failed.code == 1, failed.stderr
    assert "Traceback" not in failed.stderr
    errors = [line for line in failed.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error: "), failed.stderr
    assert "task 'shared' is registered by two plugins, dupa and dupb" in errors[0]


def test_two_distributions_with_the_same_entry_point_name(site, llmcli_home):
    install(site, "twin-one", "llmcli_twin_one", duplicate_source("one"), "twin")
    install(site, "twin-two", "llmcli_twin_two", duplicate_source("two"), "twin")

    result = ok(llmcli(site, llmcli_home, "plugins", "--json"))
    third_party = [p for p in json.loads(result.stdout) if not p["builtin"]]
    assert [p["name"] for p in third_party] == ["twin"]
    assert "two plugins are named twin" in result.flat_stderr()


def test_llmcli_load_plugins_chooses(site, llmcli_home):
    install(site, "good-plugin", "llmcli_good", GOOD, "good")
    install(site, "dupa-plugin", "llmcli_dupa", duplicate_source("only-a"), "dupa")

    def third_party(**kwargs) -> list[str]:
        result = ok(llmcli(site, llmcli_home, "plugins", "--json", **kwargs))
        entries = json.loads(result.stdout)
        assert any(e["name"] == "core" and e["builtin"] for e in entries)
        return [e["name"] for e in entries if not e["builtin"]]

    assert third_party(load="") == []
    assert third_party(load="good-plugin") == ["good"]
    assert third_party(load=" Good_Plugin , nothing-else") == ["good"]  # names are normalized
    assert third_party(load="good-plugin,dupa-plugin") == ["dupa", "good"]
    everything = third_party(unset_load=True)  # unset: every installed plugin
    assert {"good", "dupa"} <= set(everything)

    tasks = ok(llmcli(site, llmcli_home, "tasks", "--json", load=""))
    assert not {"echo", "only-a", "shared"} & {t["name"] for t in json.loads(tasks.stdout)}


def test_plugin_command_runs_and_is_listed(site, llmcli_home):
    install(site, "good-plugin", "llmcli_good", GOOD, "good")
    install(site, "clash-plugin", "llmcli_clash", CLASH, "clash")

    greet = ok(llmcli(site, llmcli_home, "greet", "World"))
    assert greet.stdout.strip() == "hello World"
    assert not greet.torch

    helped = ok(llmcli(site, llmcli_home, "--help"))
    assert not helped.torch
    line = next((l for l in helped.stdout.splitlines() if l.strip().startswith("greet")), None)
    assert line is not None and "Say hello from the good plugin" in line, helped.stdout

    # a plugin may not replace a built-in command
    tasks = ok(llmcli(site, llmcli_home, "tasks", "--json"))
    assert "FAKE TASKS" not in tasks.stdout
    assert third_party_tasks(tasks) == ["echo"]
    assert "'tasks' has the name of a built-in command" in helped.flat_stderr()

    unknown = llmcli(site, llmcli_home, "greeet", "x")
    assert unknown.code != 0 and "Traceback" not in unknown.stderr


def test_listings_do_not_import_torch(site, llmcli_home):
    install(site, "good-plugin", "llmcli_good", GOOD, "good")
    for args in (["tasks"], ["plugins"], ["--help"], ["data", "list", "--json"]):
        result = ok(llmcli(site, llmcli_home, *args))
        assert not result.torch, args


def test_plugin_metric_and_head_are_used_in_process(monkeypatch):
    """The register_metrics and register_heads hooks, in-process: the task's metrics are
    computed with the plugin's metric, and its head is looked up by name."""
    from llmcli import hookimpl, plugins, registry
    from llmcli.heads.language_model import LanguageModelHead
    from llmcli.metrics import Metric
    from llmcli.scoring import compute_metrics
    from llmcli.tasks import Prediction, Task

    class Shout(Task):
        name = "shout"
        metrics = ("exact_match", "loud")
        head = "shout-head"

    class ShoutHead(LanguageModelHead):
        name = "shout-head"

    module = types.ModuleType("shout_plugin")

    @hookimpl
    def register_metrics(register):
        register(Metric("loud", lambda p, r, e: {"loud": 100.0 * sum(x.isupper() for x in p) / len(p)}))

    @hookimpl
    def register_heads(register):
        register(ShoutHead())

    @hookimpl
    def register_tasks(register):
        register(Shout())

    module.register_metrics, module.register_heads, module.register_tasks = (
        register_metrics, register_heads, register_tasks)
    monkeypatch.setenv("LLMCLI_LOAD_PLUGINS", "")
    plugins.reset()
    try:
        plugins.get_plugins().add(module, plugins.PluginInfo("shout", "shout-plugin", "0.1", builtin=False))
        reg = registry.get()
        task = reg.tasks.get("shout")
        assert isinstance(reg.heads.get(task.head), ShoutHead)
        examples = [{"input": "a", "output": "HI"}, {"input": "b", "output": "there"}]
        figures = compute_metrics(task, [Prediction("HI"), Prediction("HI")], examples)
        assert figures == {"exact_match": 50.0, "loud": 100.0}
        assert plugins.get_plugins().info["shout"].hooks == ["register_heads", "register_metrics",
                                                             "register_tasks"]
    finally:
        plugins.reset()


def test_the_registry_is_built_from_the_plugins_given_and_again_after_a_reset(monkeypatch):
    from llmcli import plugins, registry

    monkeypatch.setenv("LLMCLI_LOAD_PLUGINS", "")
    plugins.reset()
    try:
        first = registry.get()
        assert registry.get() is first  # built once for the loaded plugins
        assert {"lm", "classify", "span"} <= set(first.heads.names())
        given = registry.build(plugins.get_plugins())
        assert given is not first and given.tasks.names() == first.tasks.names()
        plugins.reset()
        assert registry.get() is not first  # the plugins were loaded anew
    finally:
        plugins.reset()


def test_the_plugin_core_imports_neither_the_cli_nor_torch():
    code = ("import sys, llmcli.plugins, llmcli.registry, llmcli.tasks, llmcli.task_model, llmcli.display; "
            "llmcli.registry.get(); "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('llmcli.cli')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
