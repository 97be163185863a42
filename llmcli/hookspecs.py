"""The plugin API: every hook llmcli calls, each a signature and a docstring.

Hooks receive a `register` callback (or the CLI group) instead of returning lists, so a
hook can gain arguments later without breaking plugins that do not ask for them. A plugin
implements a hook by decorating a function of the same name with `hookimpl`:

    from llmcli import hookimpl

    @hookimpl
    def register_tasks(register):
        register(MyTask())
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("llmcli")
hookimpl = HookimplMarker("llmcli")


@hookspec
def register_tasks(register):
    """Add tasks: call `register(task)` with an instance of a `llmcli.tasks.Task` subclass.

    A task names its head, metrics and default dataset; two plugins may not register the
    same task name."""


@hookspec
def register_datasets(register):
    """Add datasets: call `register(dataset)` with a `llmcli.datasets.Dataset`
    (`GeneratedDataset`, `FileDataset` or `DownloadDataset`); `dataset.task` names the
    task it serves, which may belong to another plugin."""


@hookspec
def register_metrics(register):
    """Add metrics: call `register(metric)` with a `llmcli.metrics.Metric`, whose
    `compute(predictions, references, examples)` returns a dict of named figures."""


@hookspec
def register_heads(register):
    """Add fine-tuning heads: call `register(head)` with an instance of a
    `llmcli.heads.Head` subclass; tasks choose a head by its name."""


@hookspec
def register_commands(cli):
    """Add commands to the `llmcli` command line: `cli` is its click group, so decorate
    functions with `@cli.command()`. Import heavy libraries inside the command, not at the
    top of the module: every `llmcli --help` loads this hook."""
