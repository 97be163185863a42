"""`llmcli import PATH`: a GGUF file or a Hugging Face folder as an llmcli model."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("import")
@click.argument("source", metavar="PATH", type=click.Path(path_type=Path))
@click.option("--name", help="Name of the model (default: from the file or folder name).")
@click.option("--force", is_flag=True, help="Replace an existing model of the same name.")
def import_command(source, name, force):
    """Import a pretrained model: a .gguf file, or a folder saved by transformers.

    \b
    Families: Llama (SmolLM2, TinyLlama, Llama 2/3 layout), Qwen2, GPT-2.
    GGUF quantizations are dequantized to float32; the model's own tokenizer
    comes with it. Then: llmcli generate -m NAME, llmcli finetune TASK --base NAME.
    """
    import_as(source, name, force)


def import_as(source: Path, name: str | None, force: bool) -> Path:
    """Import `source` as model `name`, replacing one of that name only with `force`."""
    from llmcli.cli.console import err_console
    from llmcli.errors import UserError
    from llmcli.paths import check_name, models_dir, name_from_file
    from llmcli.pretrained.importer import import_model

    name = check_name(name or name_from_file(source.name if source.is_dir() else source))
    run_dir = models_dir() / name
    console = err_console()
    console.print(f"importing {source} as {name}...", markup=False, highlight=False)
    if run_dir.exists() and not force:  # with --force, the old model goes once the new one is complete
        raise UserError(f"a model named {name!r} already exists: --force replaces it, --name picks another name")
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    from llmcli.cli.stage_progress import StageProgress

    with StageProgress() as progress:
        config = import_model(source, run_dir, on_progress=progress)
    shape = config.model
    console.print(f"{name}: {shape.family}, {shape.n_layer} layers x {shape.n_embd}, "
                  f"{config.params:,} parameters, vocabulary {config.tokenizer.vocab_size:,}; saved in {run_dir}",
                  markup=False, highlight=False)
    console.print(f"Next: llmcli generate -m {name} \"...\"   |   llmcli finetune TASK --base {name}", markup=False)
    return run_dir
