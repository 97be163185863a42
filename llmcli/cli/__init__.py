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
    "fill": "llmcli.cli.fill:fill",
    "models": "llmcli.cli.models:models",
    "info": "llmcli.cli.info:info",
    "rm": "llmcli.cli.manage:rm",
    "mv": "llmcli.cli.manage:mv",
    "demo": "llmcli.cli.demo:demo",
    "tasks": "llmcli.cli.tasks:tasks",
    "plugins": "llmcli.cli.plugins:plugins",
    "install": "llmcli.cli.plugins:install",
    "uninstall": "llmcli.cli.plugins:uninstall",
    "plugin": "llmcli.cli.plugin_new:plugin",
    "data": "llmcli.cli.data:data",
    "finetune": "llmcli.cli.finetune:finetune",
    "eval": "llmcli.cli.eval:eval_command",
    "run": "llmcli.cli.run:run",
    "import": "llmcli.cli.import_model:import_command",
    "pull": "llmcli.cli.pull:pull",
    "chat": "llmcli.cli.chat:chat",
    "export": "llmcli.cli.export:export_command",
    "attention": "llmcli.cli.attention:attention",
    "merge": "llmcli.cli.merge:merge",
    "distill": "llmcli.cli.distill:distill",
}


def debug_from_env() -> bool:
    return os.environ.get("LLMCLI_DEBUG", "") not in ("", "0")


class LazyGroup(click.Group):
    """Built-in commands are imported when run; plugins' commands (the register_commands
    hook) are looked up only for a name that is not built in, or to list them all."""

    plugin_group: click.Group | None = None

    def plugin_commands(self) -> dict[str, click.Command]:
        if self.plugin_group is None:
            from llmcli.plugins import get_plugins

            plugins = get_plugins()
            self.plugin_group = click.Group()
            plugins.call("register_commands", cli=self.plugin_group)
            for name in list(self.plugin_group.commands):
                if name in COMMANDS:  # a plugin may not replace a built-in command
                    del self.plugin_group.commands[name]
                    plugins.warn(f"a plugin's command {name!r} has the name of a built-in command and was skipped")
        return self.plugin_group.commands

    def list_commands(self, ctx):
        return sorted({*COMMANDS, *self.plugin_commands()})

    def get_command(self, ctx, name):
        if name in COMMANDS:
            module, attr = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return self.plugin_commands().get(name)

    def resolve_command(self, ctx, args):
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            from llmcli.registry import did_you_mean

            hint = did_you_mean(name, self.list_commands(ctx))
            if hint:
                ctx.fail(f"No such command {name!r}: {hint.strip()}")
        return super().resolve_command(ctx, args)

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
    \b
    Tasks (from plugins):
      llmcli tasks                     what is installed
      llmcli run TASK                  use a model for the task (trains one first if needed)
      llmcli finetune TASK --time 2m   then: llmcli eval TASK -m TASK
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug or debug_from_env()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
