"""Task options on the command line: `llmcli eval translate --src de --tgt en`.

A task declares TaskOptions; the commands that take a TASK argument (`finetune`, `eval`,
`run`, `data show`) are TaskCommands, which find the task named on the command line
before parsing and add its options, so `llmcli eval translate --help` lists them and a
misspelt one is an error naming the task's options.
"""

from __future__ import annotations

import click

from llmcli.errors import UserError

PREFIX = "task__"  # the callback's keyword arguments for task options: task__src


class TaskCommand(click.Command):
    """The command's first argument names the task; `command_name` picks the options
    that apply. The callback receives them as keyword arguments named PREFIX + attribute
    (`task_values` takes them out)."""

    def __init__(self, *args, command_name: str, options_of: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.command_name = command_name
        self.options_of = options_of or command_name  # distill takes finetune's task options
        self.base_params = list(self.params)

    def task_name_in(self, args: list[str]) -> str | None:
        return self.first_argument(args)

    def parse_args(self, ctx, args):
        self.params = list(self.base_params)
        task = task_named(self.task_name_in(args))
        if task is not None:
            own = {opt for p in self.base_params for opt in p.opts}
            for option in task.options:
                if self.options_of not in option.commands:
                    continue
                if option.flag in own:
                    raise UserError(f"task {task.name}'s option {option.flag} has the name of an option of "
                                    f"`{self.command_name}` itself: the task's plugin must rename it")
                self.params.append(as_click_option(option))
        return super().parse_args(ctx, args)

    def first_argument(self, args: list[str]) -> str | None:
        """The first word that is not an option or an option's value."""
        takes_value = {opt for p in self.base_params if isinstance(p, click.Option) and not p.is_flag
                       for opt in p.opts}
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif arg.startswith("-") and arg != "-":
                skip = arg in takes_value
            else:
                return arg
        return None

    def option_value(self, args: list[str], flag: str) -> str | None:
        for i, arg in enumerate(args):
            if arg == flag and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(flag + "="):
                return arg[len(flag) + 1 :]
        return None


class DatasetCommand(TaskCommand):
    """`data show NAME [--task TASK]`: the task is --task's, or the dataset's."""

    def task_name_in(self, args: list[str]) -> str | None:
        task = self.option_value(args, "--task")
        if task is not None:
            return task
        name = self.first_argument(args)
        from llmcli import registry

        datasets = registry.get().datasets
        return datasets.entries[name].item.task if name in datasets.entries else None


def task_named(name: str | None):
    """The registered task, or None (an unknown name is reported by the command itself)."""
    if not name:
        return None
    from llmcli import registry

    tasks = registry.get().tasks
    return tasks.entries[name].item if name in tasks.entries else None


def as_click_option(option) -> click.Option:
    return click.Option([option.flag, PREFIX + option.attribute], type=option.type, metavar=option.metavar,
                        help=option.help)


def task_values(params: dict) -> dict:
    """{attribute: value} of the task options given (None: not given)."""
    return {name[len(PREFIX):]: value for name, value in params.items() if name.startswith(PREFIX)}


def configured_task(name: str, params: dict):
    """The task named, with the task options in the command's keyword arguments set."""
    from llmcli.registry import get_task

    return get_task(name).configured(task_values(params))


def option_flags(registered, saved: dict) -> str:
    """A model's task options as the flags that would give them: "--src de --tgt en"."""
    try:
        model_task = registered.configured(saved)
    except UserError:
        return " ".join(f"{k}={v}" for k, v in saved.items())
    values = [(o.flag, getattr(model_task, o.attribute, None)) for o in registered.options if "finetune" in o.commands]
    return " ".join(f"{flag} {value}" for flag, value in values if value is not None)
