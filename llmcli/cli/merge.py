"""`llmcli merge MODEL`: a LoRA model's adapters folded into its base, a standalone model."""

from __future__ import annotations

import click


@click.command()
@click.argument("model_name", metavar="MODEL")
@click.option("--name", help="Name of the standalone model (default: MODEL-merged).")
@click.option("--force", is_flag=True, help="Replace an existing model of that name (MODEL itself included).")
def merge(model_name, name, force):
    """Fold a LoRA model's adapters into its base's weights and save the result as a
    standalone model, which no longer needs the base.

    \b
    The new model keeps MODEL's task, head, tokenizer and figures; it has no checkpoint.
    Then: llmcli eval TASK -m NEW, llmcli export NEW ...
    """
    from llmcli.cli.console import err_console
    from llmcli.paths import check_name, models_dir, resolve_model
    from llmcli.training.merging import check_target, merge_run

    source = resolve_model(model_name)
    target = models_dir() / check_name(name or f"{source.name}-merged")
    check_target(target, force, source)
    params = merge_run(source, target)
    err_console().print(f"merged {source.name} into {target.name}: a standalone model of {params:,} parameters "
                        f"in {target}", markup=False, highlight=False)
