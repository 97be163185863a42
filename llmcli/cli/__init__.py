"""The `llmcli` command: a click group whose subcommands are imported only when run,
so that `llmcli --help` never pays for torch."""

from __future__ import annotations

import importlib
import os
import sys

import click

from llmcli import __version__

# name -> "module:function"; each module imports its heavy libraries inside the command
COMMANDS = {
    "train": "llmcli.cli.train:train",
    "generate": "llmcli.cli.generate:generate",
    "models": "llmcli.cli.models:models",
    "info": "llmcli.cli.info:info",
    "demo": "llmcli.cli.demo:demo",
}


def debug_from_env() -> bool:
    return os.environ.get("LLMCLI_DEBUG", "") not in ("", "0")


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted([*COMMANDS, *super().list_commands(ctx)])

    def get_command(self, ctx, name):
        if name in COMMANDS:
            module, attr = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        from llmcli.cli.errors import run_guarded

        debug = ctx.params.get("debug") or debug_from_env()
        return run_guarded(lambda: super(LazyGroup, self).invoke(ctx), debug=debug)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="llmcli")
@click.option("--debug", is_flag=True, help="Show full tracebacks (also: LLMCLI_DEBUG=1).")
@click.pass_context
def main(ctx, debug):
    """A command-line playground for text tasks with small language models.

    \b
    Start here:
      llmcli demo                      train on a bundled corpus, then write text
      llmcli train corpus.txt --time 2m
      llmcli generate -m corpus "Once upon a time"
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug or debug_from_env()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
