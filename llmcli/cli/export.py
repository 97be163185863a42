"""`llmcli export MODEL --format hf|gguf OUT`: a model for transformers or llama.cpp."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.argument("model_name", metavar="MODEL")
@click.option("--format", "fmt", type=click.Choice(["hf", "gguf"]), required=True,
              help="hf: a Hugging Face folder; gguf: one llama.cpp file.")
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--dtype", default="f32", show_default=True,
              help="Weights: f32, f16 or bf16; for gguf also q8_0 (norms stay f32).")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
def export_command(model_name, fmt, out, dtype, force):
    """Export MODEL (a name or a run directory) for other tools.

    \b
    llmcli export corpus --format hf corpus-hf        a folder for transformers:
        AutoModelForCausalLM.from_pretrained("corpus-hf"), AutoTokenizer too
    llmcli export corpus --format gguf corpus.gguf --dtype q8_0
        one file for llama.cpp (llama-cli -m corpus.gguf)
    \b
    The tokenizer goes with the model and gives llmcli's token ids. OUT is written
    beside its place and renamed there at the end: an interrupted export leaves
    nothing half-written. Every family exports to both formats: llmcli's own,
    Llama, Qwen2 and GPT-2 (GGUF: an imported model's byte-level BPE tokenizer). A
    masked-LM encoder is refused: both formats are read as causal models.
    """
    from llmcli.cli.console import err_console
    from llmcli.model.config import refuse_encoder
    from llmcli.model.loading import load_model
    from llmcli.paths import resolve_model
    from llmcli.pretrained.exporting import DTYPES, HF_DTYPES, check_dtype, check_output

    dtype = dtype.lower()
    check_dtype(dtype, tuple(HF_DTYPES) if fmt == "hf" else DTYPES, fmt)
    check_output(out, force, folder=fmt == "hf")  # before the model is loaded: a mistake costs nothing
    loaded = load_model(resolve_model(model_name))
    # both formats are read as causal language models: an encoder would silently become one
    refuse_encoder(loaded.model.config, loaded.path.name, f"be exported as a causal model ({fmt})",
                   "keep it as an llmcli model (fill, finetune sentiment/qa --base)")
    console = err_console()
    if loaded.config.task is not None:
        console.print(f"note: {loaded.config.name} is fine-tuned for {loaded.config.task.name}; its language model "
                      "is exported, without the task head's own layers", markup=False)
    if fmt == "hf":
        from llmcli.pretrained.export_hf import export_hf

        export_hf(loaded, out, dtype, force)
        hint = f'AutoModelForCausalLM.from_pretrained("{out}")'
    else:
        from llmcli.pretrained.export_gguf import export_gguf

        pre = export_gguf(loaded, out, dtype, force)
        if pre:
            console.print(f"tokenizer.ggml.pre: {pre} (it splits text as the model's tokenizer does)",
                          markup=False, soft_wrap=True)
        hint = f"llama-cli -m {out}"
    console.print(f"exported {loaded.path.name} ({fmt}, {dtype}) to {out}", markup=False)
    console.print(f"Next: {hint}", markup=False)
