"""`llmcli rm NAME...` and `llmcli mv OLD NEW`: remove and rename models in the data
directory (never a folder elsewhere). No torch: they read and write JSON only."""

from __future__ import annotations

import shutil
import sys

import click

from llmcli.errors import UserError


def stored_model(name: str):
    """The run directory of a model named in the data directory."""
    from llmcli.paths import NAME_PATTERN, is_run_dir, models_dir

    path = models_dir() / name
    if not NAME_PATTERN.match(name) or not is_run_dir(path):
        raise UserError(f"no model named {name!r} in {models_dir()}: `llmcli models` lists them "
                        "(rm and mv act only on models there, by name)")
    return path


@click.command("rm")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("-y", "--yes", is_flag=True, help="Remove without asking (needed when input is not a terminal).")
def rm(names, yes):
    """Remove models from the data directory, for good: their weights, checkpoint and files."""
    paths = [stored_model(name) for name in names]  # every name is checked before anything goes
    listed = ", ".join(names)
    needed = lora_models_on(paths)
    note = (f" (the LoRA models {', '.join(needed)} need it as their base: merge them first with "
            "`llmcli merge`, or they will not load)") if needed else ""
    if not yes:
        if not sys.stdin.isatty():
            raise UserError(f"llmcli rm deletes {listed} for good{note}: add --yes to confirm")
        if not click.confirm(f"Remove {listed} for good{note}?", default=False, err=True):
            raise UserError("nothing removed")
    elif needed:
        click.echo(f"note: {note.strip(' ()')}", err=True)
    for path in paths:
        shutil.rmtree(path)
        click.echo(f"removed {path}", err=True)


def lora_models_on(bases) -> list[str]:
    """The LoRA models (outside `bases`) whose base is one of `bases`."""
    wanted = {str(path.resolve()) for path in bases}
    return [run.name for run, other in stored_configs()
            if other.lora and other.origin.base in wanted and str(run.resolve()) not in wanted]


def stored_configs():
    """(run directory, RunConfig) of every readable model in the data directory."""
    from llmcli.paths import models_dir
    from llmcli.training.run_config import load_config

    for run in sorted(models_dir().iterdir()):
        if not run.is_dir():
            continue
        try:
            yield run, load_config(run)
        except UserError:
            continue  # not a model, or one `llmcli models` reports as unreadable


@click.command("mv")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
def mv(old, new):
    """Rename a model. Models fine-tuned (or distilled) from it are updated to name their
    base's (or teacher's) new place."""
    from llmcli.paths import check_name, models_dir
    from llmcli.training.run_config import load_config, save_config

    source = stored_model(old)
    target = models_dir() / check_name(new)
    if target.exists():
        raise UserError(f"a model named {new!r} already exists: `llmcli rm {new}` first, or pick another name")
    config = load_config(source)
    source.rename(target)
    config.name = new
    save_config(target, config)
    for run, other in stored_configs():
        taught = other.distilled_from
        if taught is not None and taught.teacher in (str(source), str(source.resolve())):
            taught.teacher, taught.name = str(target.resolve()), new
            save_config(run, other)
        if other.origin.base == str(source):
            other.origin.base = str(target)
            save_config(run, other)
    click.echo(f"renamed {old} to {new} ({target})", err=True)
