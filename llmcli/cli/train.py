"""`llmcli train FILE`: a tokenizer and a language model from any UTF-8 text file."""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from pathlib import Path

import click

from llmcli.cli.options import Duration
from llmcli.errors import UserError

PRESET_CHOICES = ["auto", "nano", "micro", "mini", "small", "medium"]


def positive(ctx, param, value):
    if value is not None and value <= 0:
        raise click.BadParameter("must be greater than 0")
    return value


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--name", help="Name of the run (default: the file's name).")
@click.option("--preset", type=click.Choice(PRESET_CHOICES), default="auto", show_default=True,
              help="Model size; auto picks the best the budget allows.")
@click.option("--steps", type=int, callback=positive, help="Budget in optimizer steps.")
@click.option("--time", "seconds", type=Duration(), help="Budget for the whole command, e.g. 90s, 2m, 1h.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same seed repeats a run.")
@click.option("--resume", is_flag=True, help="Continue the run from its last checkpoint.")
@click.option("--force", is_flag=True, help="Replace an existing run of the same name.")
@click.option("--vocab-size", type=int, callback=positive, help="Tokenizer vocabulary (default: from the corpus size).")
@click.option("--tokenizer", "tokenizer_type", type=click.Choice(["bpe", "unigram"]), default="bpe",
              show_default=True, help="SentencePiece model type.")
@click.option("--precision", type=click.Choice(["auto", "bf16", "fp16", "fp32"]), default="auto", show_default=True,
              help="auto: bf16 autocast where the CPU or GPU supports it (fp16 on older GPUs).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or mps.")
@click.option("--batch-size", type=int, callback=positive, help="Sequences per micro-batch.")
@click.option("--grad-accum", type=int, default=1, callback=positive, show_default=True,
              help="Micro-batches per optimizer step.")
@click.option("--lr", type=float, callback=positive, help="Peak learning rate.")
@click.option("--context", type=int, callback=positive, help="Context length in tokens (default: the preset's).")
@click.option("--layers", "n_layer", type=int, callback=positive, help="Transformer blocks (default: the preset's).")
@click.option("--width", "n_embd", type=int, callback=positive, help="Model width (default: the preset's).")
@click.option("--heads", "n_head", type=int, callback=positive, help="Attention heads (default: the preset's).")
@click.option("--dropout", type=float, default=0.0, show_default=True, help="Dropout rate.")
@click.option("--val-fraction", type=float, default=0.1, show_default=True,
              help="Share of the file, at its end, kept for validation.")
@click.option("--sample/--no-sample", default=True, show_default=True, help="Write a short sample at the end.")
@click.option("--nproc", type=int, callback=positive,
              help="Train with N processes on this machine (data parallel, started with torchrun).")
@click.option("--compile", "compile_model", is_flag=True, help="torch.compile the training step (GPUs, mostly).")
def train(file, name, preset, steps, seconds, seed, resume, force, vocab_size, tokenizer_type,
          precision, device, batch_size, grad_accum, lr, context, n_layer, n_embd, n_head, dropout, val_fraction,
          sample, nproc, compile_model):
    """Train a tokenizer and a language model on FILE (any UTF-8 text).

    \b
    Give a budget: --steps N, or --time DURATION for the whole command.
    Validation uses the last 10% of the file and is reported as bits per byte.
    Ctrl-C saves a checkpoint; --resume continues exactly where it stopped.
    --batch-size is the global batch: --nproc N (or torchrun) splits it over N processes.
    """
    started = time.perf_counter()
    from llmcli.cli.launch import main_process, relaunch_if_asked

    relaunch_if_asked(nproc, batch_size)
    from llmcli.paths import check_name, models_dir, name_from_file

    if steps is not None and seconds is not None:
        raise UserError("give either --steps or --time, not both")
    if steps is None and seconds is None and not resume:
        raise UserError("give a budget: --steps N or --time DURATION (e.g. --time 2m)")
    if not 0 <= dropout < 1:
        raise UserError(f"--dropout must be in [0, 1), not {dropout}")
    name = check_name(name or name_from_file(file))
    run_dir = models_dir() / name
    if main_process():  # under torchrun, rank 0 alone prepares the folder
        prepare_run_dir(run_dir, resume, force)
    run(file, name, run_dir, started, resume, sample, dict(
        preset=preset, steps=steps, seconds=seconds, seed=seed, vocab_size=vocab_size,
        tokenizer_type=tokenizer_type, precision=precision, device=device, batch_size=batch_size,
        grad_accum=grad_accum, lr=lr, context=context, n_layer=n_layer, n_embd=n_embd, n_head=n_head,
        dropout=dropout, val_fraction=val_fraction, compile=compile_model,
    ))


def prepare_run_dir(run_dir: Path, resume: bool, force: bool) -> Path:
    """Check that a run may be started (or resumed) in run_dir, clearing it with --force."""
    name = run_dir.name
    if resume and not (run_dir / "config.json").is_file():
        raise UserError(f"there is no run named {name!r} to resume: train it first without --resume")
    if run_dir.exists() and not resume:
        # a folder without config.json is a start interrupted before training: nothing to keep
        if (run_dir / "config.json").is_file() and not force:
            raise UserError(
                f"a model named {name!r} already exists: --resume continues it, --force replaces it, "
                "--name picks another name"
            )
        shutil.rmtree(run_dir)
    return run_dir


def with_display(title: str, train_fn, resume_command: str, run_dir: Path):
    """Run train_fn(on_event) under a progress display; Ctrl-C prints how to resume.
    Under torchrun, the processes other than rank 0 show nothing and exit after training."""
    from llmcli.cli.launch import main_process
    from llmcli.cli.progress import TrainingDisplay
    from llmcli.training import distributed
    from llmcli.training.trainer import TrainingInterrupted

    try:
        if not main_process():
            train_fn(lambda event: None)
            sys.exit(0)  # leaving the process group on the way out (finally)
        with TrainingDisplay(title) as display:
            return train_fn(display)
    except TrainingInterrupted as exc:
        if main_process():
            click.echo(f"\nInterrupted at step {exc.step}; checkpoint saved in {run_dir}.\n"
                       f"Resume with: {resume_command}", err=True)
        sys.exit(130)
    finally:
        distributed.leave()


def run(file, name, run_dir, started, resume, sample, options):
    """Train with a progress display, then show a summary and a sample."""
    from llmcli.training.language_model import TrainRequest, train_language_model

    request = TrainRequest(corpus=Path(file), run_dir=run_dir, name=name, resume=resume,
                           started=started, **options)
    command = f"llmcli train {shlex.quote(str(file))} --name {shlex.quote(name)} --resume"
    outcome = with_display(f"training {name}", lambda display: train_language_model(request, on_event=display),
                           command, run_dir)
    show_summary(name, outcome)
    if sample:
        show_sample(outcome)


def show_summary(name, outcome, extra_rows: dict | None = None):
    from rich.table import Table

    from llmcli.cli.console import err_console

    s, extra_rows = outcome.summary, extra_rows or {}
    table = Table(title=f"{name}", show_header=False, title_justify="left")
    table.add_row("parameters", f"{outcome.model.num_params():,}")
    table.add_row("steps", f"{s['steps']:,}")
    table.add_row("tokens seen", f"{s['tokens']:,}")
    table.add_row("training time", f"{s['train_seconds']:.1f} s (command: {s['command_seconds']:.1f} s)")
    if "val_loss" in s:
        table.add_row("validation loss", f"{s['val_loss']:.4f}" + (" nats/token" if "val_bpb" in s else ""))
    if "val_bpb" in s:
        table.add_row("validation bits per byte", f"{s['val_bpb']:.4f}")
    for key, value in extra_rows.items():
        table.add_row(key, value)
    table.add_row("saved in", str(outcome.run_dir))
    err_console().print(table)


def show_sample(outcome):
    from llmcli.cli.console import err_console
    from llmcli.model.generate import GenerationConfig, stream_text

    config = GenerationConfig(max_new_tokens=120, temperature=0.8, top_k=50, seed=0)
    console = err_console()
    console.print("[bold]sample[/] (temperature 0.8):")
    prompt = "\n"
    text = "".join(stream_text(outcome.model, outcome.tokenizer, prompt, config))
    console.print(text.strip(), markup=False, highlight=False)
