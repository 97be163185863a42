"""`llmcli train FILE`: a tokenizer and a language model from any UTF-8 text file."""

from __future__ import annotations

import time
from pathlib import Path

import click

from llmcli.cli.options import positive
from llmcli.cli.training_options import training_options
from llmcli.errors import UserError


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--name", help="Name of the run (default: the file's name).")
@training_options(preset_help="Model size; auto picks the best the budget allows (with --time it stops "
                              "after 12 passes over the text if that comes first).",
                  batch_help="Sequences per micro-batch.")
@click.option("--vocab-size", type=int, callback=positive, help="Tokenizer vocabulary (default: from the corpus size).")
@click.option("--tokenizer", "tokenizer_type", type=click.Choice(["bpe", "unigram"]), default="bpe",
              show_default=True, help="SentencePiece model type.")
@click.option("--grad-accum", type=int, default=1, callback=positive, show_default=True,
              help="Micro-batches per optimizer step.")
@click.option("--context", type=int, callback=positive, help="Context length in tokens (default: the preset's).")
@click.option("--layers", "n_layer", type=int, callback=positive, help="Transformer blocks (default: the preset's).")
@click.option("--width", "n_embd", type=int, callback=positive, help="Model width (default: the preset's).")
@click.option("--heads", "n_head", type=int, callback=positive, help="Attention heads (default: the preset's).")
@click.option("--dropout", type=float, default=0.0, show_default=True, help="Dropout rate.")
@click.option("--val-fraction", type=float, default=0.1, show_default=True,
              help="Share of the file, at its end, kept for validation.")
@click.option("--objective", type=click.Choice(["causal", "mlm"]),
              help="causal (the default): a language model that predicts the next token and generates; mlm: a "
                   "bidirectional encoder that fills in masked tokens (15% of them), for `llmcli fill` and for "
                   "fine-tuning classifiers and span readers. A resumed run keeps its own.")
@click.option("--sample/--no-sample", default=True, show_default=True,
              help="Write a short sample at the end (a causal model).")
def train(file, name, flags, vocab_size, tokenizer_type, grad_accum, context, n_layer, n_embd, n_head, dropout,
          val_fraction, objective, sample):
    """Train a tokenizer and a language model on FILE (any UTF-8 text).

    \b
    Give a budget: --steps N, or --time DURATION for the whole command.
    Validation uses the last 10% of the file and is reported as bits per byte (with
    --objective mlm: the masked tokens' loss, accuracy and bits per byte, which are not
    comparable with a causal model's).
    Ctrl-C saves a checkpoint; --resume continues exactly where it stopped.
    --batch-size is the global batch: --nproc N (or torchrun) splits it over N processes.
    """
    started = time.perf_counter()
    flags.check()
    from llmcli.cli.training_run import train_corpus
    from llmcli.training.corpus_workload import CorpusWorkload

    if not 0 <= dropout < 1:
        raise UserError(f"--dropout must be in [0, 1), not {dropout}")
    workload = CorpusWorkload(Path(file), val_fraction=val_fraction, vocab_size=vocab_size,
                              tokenizer_type=tokenizer_type, dropout=dropout,
                              shape=dict(context=context, n_layer=n_layer, n_embd=n_embd, n_head=n_head),
                              objective=objective)
    outcome = train_corpus(workload, name, flags, started, grad_accum=grad_accum)
    if not outcome.model.config.causal:
        from llmcli.cli.console import err_console

        err_console().print(f"an encoder writes no text: try `llmcli fill -m {outcome.run_dir.name} "
                            "\"the cat sat on the [MASK]\"`", highlight=False, markup=False)
    elif sample:
        show_sample(outcome)


def show_sample(outcome) -> None:
    from llmcli.cli.console import err_console
    from llmcli.model.generate import GenerationConfig, stream_text

    config = GenerationConfig(max_new_tokens=120, temperature=0.8, top_k=50, seed=0)
    console = err_console()
    console.print("[bold]sample[/] (temperature 0.8):")
    prompt = "\n"
    text = "".join(stream_text(outcome.model, outcome.tokenizer, prompt, config))
    console.print(text.strip(), markup=False, highlight=False)
