"""`llmcli demo`: train on the bundled fables for about two minutes, then write some."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import click

from llmcli.errors import UserError

DEMO_CORPUS = Path(__file__).resolve().parents[2] / "examples" / "corpus" / "fables.txt"


@click.command()
@click.option("--time", "seconds", default="100s", show_default=True, help="Training budget, whole command.")
@click.option("--prompt", default="Once upon a time", show_default=True, help="Where the story starts.")
@click.option("--seed", type=int, default=0, show_default=True)
def demo(seconds, prompt, seed):
    """Train a small model on fables the project wrote, then let it tell one.

    The model is saved as `demo` (replacing an earlier demo) for `llmcli generate -m demo`.
    """
    started = time.perf_counter()
    from llmcli.cli.options import parse_duration
    from llmcli.cli.training_options import TrainingFlags
    from llmcli.cli.training_run import train_corpus
    from llmcli.paths import models_dir
    from llmcli.training.corpus_workload import CorpusWorkload

    if not DEMO_CORPUS.is_file():
        raise UserError(
            f"the demo corpus is not at {DEMO_CORPUS}: run the demo from a clone of the llmcli repository"
        )
    try:
        budget = parse_duration(seconds)
    except ValueError as exc:
        raise UserError(f"--time: {exc}") from None
    run_dir = models_dir() / "demo"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    train_corpus(CorpusWorkload(DEMO_CORPUS), "demo", TrainingFlags(seconds=budget, seed=seed), started)
    from llmcli.model.generate import GenerationConfig, stream_text
    from llmcli.model.loading import load_model
    from llmcli.model.quantize import prepare_for_generation

    loaded = load_model(run_dir)
    prepare_for_generation(loaded.model)
    click.echo(f"\n{prompt}", nl=False)
    config = GenerationConfig(max_new_tokens=200, temperature=0.7, top_k=40, seed=seed, stop=("\n\n",))
    for piece in stream_text(loaded.model, loaded.tokenizer, prompt, config):
        click.echo(piece, nl=False)
    click.echo(f"\n\nTry it yourself: llmcli generate -m demo \"{prompt}\"", err=True)
