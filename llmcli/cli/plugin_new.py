"""`llmcli plugin new NAME`: the folder of a new task plugin, ready to install and train.

The templates are strings in this module (no package data to ship): a pyproject.toml
with the `llmcli` entry point, a module with a working text-to-text task on a small
generated dataset (writing words in capital letters), a test file and a README.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from string import Template

import click

from llmcli.errors import UserError

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PREFIX = "llmcli-"
RESERVED = "core"  # the plugin name of llmcli's own hooks (llmcli.plugins)


@click.group()
def plugin():
    """Write your own plugins: `llmcli plugin new NAME` starts one."""


@plugin.command()
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False), default=".", show_default=True,
              help="The folder in which to create llmcli-NAME/.")
def new(name, parent):
    """Create llmcli-NAME/, a plugin package with a task named NAME.

    \b
    The task works at once: it writes its input in capital letters, trained on a
    small generated dataset. Install it, then make it yours:
      llmcli plugin new my-task
      llmcli install -e ./llmcli-my-task
      llmcli finetune my-task --time 1m
    """
    names = plugin_names(name)
    target = Path(parent) / names["distribution"]
    files = scaffold(target, names)
    shown = display_path(target)
    lines = [f"Created {shown}/ (distribution {names['distribution']}, module {names['module']}, "
             f"task {names['task']}):"]
    lines += [f"  {display_path(path)}" for path in files]
    lines += ["Next:", f"  llmcli install -e {shown}", "  llmcli tasks",
              f"  llmcli finetune {names['task']} --time 1m", f"  llmcli run {names['task']}"]
    click.echo("\n".join(lines), err=True)


def plugin_names(name: str) -> dict[str, str]:
    """The names a plugin is known by: task "my-task", distribution "llmcli-my-task",
    module "llmcli_my_task", class "MyTask", dataset "my-task-examples"."""
    task = name.strip().lower()
    if task.startswith(PREFIX):  # `llmcli plugin new llmcli-foo` means the task foo
        task = task[len(PREFIX):]
    if not NAME_PATTERN.fullmatch(task):
        raise UserError(f"invalid plugin name {name!r}: use letters, digits and single '-' between them, "
                        "starting with a letter, e.g. my-task")
    if task == RESERVED:
        raise UserError(f"{RESERVED!r} is the name of llmcli's own plugin: choose another NAME")
    camel = "".join(part.capitalize() for part in task.split("-"))
    return {
        "task": task,
        "distribution": PREFIX + task,
        "module": "llmcli_" + task.replace("-", "_"),
        "class_name": camel if camel.endswith("Task") else camel + "Task",
        "dataset": f"{task}-examples",
    }


def scaffold(target: Path, names: dict[str, str]) -> list[Path]:
    """Write the plugin's files into `target`, which must not exist. They are written into
    a temporary folder beside it first, so a failure leaves nothing half made."""
    if target.exists() or target.is_symlink():
        raise UserError(f"{target} already exists: choose another NAME or --dir, or remove it first")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}."))
    except OSError as exc:
        raise UserError(f"cannot create a folder in {parent}: {exc.strerror or exc}") from None
    relative = []
    try:
        for path, template in TEMPLATES.items():
            relative.append(Path(Template(path).substitute(names)))
            out = staging / relative[-1]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(Template(template).substitute(names), encoding="utf-8")
        os.chmod(staging, 0o755)  # mkdtemp makes folders private
        if target.exists():  # made meanwhile by someone else
            raise UserError(f"{target} already exists: choose another NAME or --dir, or remove it first")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [target / path for path in relative]


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(path)
    return "./" + relative.as_posix() if relative.parts else "."


PYPROJECT = '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "An llmcli task plugin: $task"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["llmcli"]

[project.optional-dependencies]
test = ["pytest"]

# llmcli finds plugins through this entry-point group: name = "the module with the hooks"
[project.entry-points.llmcli]
$task = "$module"

[tool.setuptools]
packages = ["$module"]
'''

MODULE = '''\
"""$distribution: an llmcli task plugin.

Made by `llmcli plugin new`. The task, $task, writes its input in capital letters; it
trains on a small generated dataset, so it works at once. Make it yours: change the Task's
attributes, the examples `generate` makes (or register a FileDataset of your own files),
and the metrics. llmcli's plugin guide (docs/plugins.md) describes every hook and
attribute.

Import heavy libraries (torch, ...) inside functions, never at the top of this module:
llmcli imports it for `llmcli tasks` and `llmcli --help`.
"""

import random
import zlib

from llmcli import hookimpl
from llmcli.datasets import GeneratedDataset
from llmcli.tasks import Task

WORDS = """apple river stone cloud green quiet lamp bird tree house paper music
window garden silver winter orange pencil yellow rocket""".split()
SIZES = {"train": 4000, "validation": 100, "test": 200}


class $class_name(Task):
    name = "$task"
    description = "write the input in capital letters (an example: make it yours)"
    head = "lm"  # generation; "classify" and "span" are the others (docs/plugins.md: what each reads)
    metrics = ("accuracy",)  # the output, exactly (exact_match would ignore case)
    default_dataset = "$dataset"
    fields = ("input", "output")  # every example has these
    prompt = "{input} =>"  # what the model reads (`--prompt` overrides it)
    target = " {output}"  # what it learns to write after the prompt
    default_time = "1m"  # how long `llmcli run $task` trains a first model


def split_of(text: str) -> str:
    """Each text belongs to one split, by its hash: test examples are never trained on."""
    bucket = zlib.crc32(text.encode("utf-8")) % 20
    return "validation" if bucket == 0 else "test" if bucket == 1 else "train"


def generate(split: str, count: int, seed: int) -> list:
    """`count` examples of `split`; the same arguments always give the same examples."""
    rng = random.Random(f"{seed}-{split}")
    examples = []
    while len(examples) < count:
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        if split_of(text) == split:
            examples.append({"input": text, "output": text.upper()})
    return examples


@hookimpl
def register_tasks(register):
    register($class_name())


@hookimpl
def register_datasets(register):
    register(GeneratedDataset("$dataset", "$task", generate, SIZES, "words and the same words in capitals"))
'''

TESTS = '''\
"""Run with `python -m pytest tests` after `pip install -e .[test]`."""

from $module import $class_name, generate


def test_the_same_arguments_give_the_same_examples():
    assert generate("train", 50, 0) == generate("train", 50, 0)


def test_test_examples_are_not_trained_on():
    train = {example["input"] for example in generate("train", 2000, 0)}
    assert not train & {example["input"] for example in generate("test", 200, 0)}


def test_the_prompt_and_the_reference():
    task = $class_name()
    example = {"input": "green tree", "output": "GREEN TREE"}
    assert task.render_prompt(example) == "green tree =>"
    assert task.references(example) == ["GREEN TREE"]
'''

README = '''\
# $distribution

An llmcli task plugin, made by `llmcli plugin new $task`.
It adds the task `$task`: for now it writes its input in capital letters, on a small
generated dataset (`$dataset`), so that everything works before you change anything.

## Install it

Into llmcli's own environment, editable, so your changes take effect at once:

```
llmcli install -e ./$distribution
```

(or `pip install -e ./$distribution` with the pip of the environment llmcli runs in).

## Try it

```
llmcli tasks                          # $task is listed, with its plugin and dataset
llmcli data show $dataset             # a few examples and the prompt the model sees
llmcli finetune $task --time 1m       # train a small model from scratch
llmcli eval $task -m $task            # accuracy on the test split
llmcli run $task                      # type words, read them in capitals
```

`llmcli run $task` with no model yet offers to train one first.

## Make it yours

Everything is in `$module/__init__.py`:

- the `$class_name` class: the task's name, description, head, metrics, fields, prompt
  and target formats;
- `generate`: the examples. To train on your own files instead, register a
  `FileDataset("my-data", "$task", "path/to/folder")` (train.jsonl, validation.jsonl,
  test.jsonl), or give `--data path/to/folder` to `llmcli finetune`;
- the hooks at the bottom, marked `@hookimpl`.

Tests: `pip install -e './$distribution[test]'`, then `python -m pytest tests` in this folder.

Remove the plugin with `llmcli uninstall $distribution`.
'''

# where each file goes (a Template over the names too) -> its contents
TEMPLATES = {
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    "$module/__init__.py": MODULE,
    "tests/test_$module.py": TESTS,
}
