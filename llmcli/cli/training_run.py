"""What the training commands (train, finetune, demo, run's default model) do around the
pipeline: prepare the run's folder, show progress, say how to resume after Ctrl-C, and
show the summary."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import click

from llmcli.errors import UserError


def prepare_run_dir(run_dir: Path, resume: bool, force: bool) -> Path:
    """Check that a run may be started (or resumed) in run_dir, clearing it with --force.
    Under torchrun, rank 0 alone prepares the folder."""
    from llmcli.cli.relaunch import main_process
    from llmcli.training.run_config import has_config

    if not main_process():
        return run_dir
    name = run_dir.name
    if resume and not has_config(run_dir):
        raise UserError(f"there is no run named {name!r} to resume: train it first without --resume")
    if run_dir.exists() and not resume:
        # a folder without config.json is a start interrupted before training: nothing to keep
        if has_config(run_dir) and not force:
            raise UserError(
                f"a model named {name!r} already exists: --resume continues it, --force replaces it, "
                "--name picks another name"
            )
        shutil.rmtree(run_dir)
    return run_dir


def run_with_display(title: str, request, workload, resume_command: str):
    """The pipeline under a progress display; Ctrl-C prints how to resume. Under
    torchrun, the processes other than rank 0 show nothing and exit after training."""
    from llmcli.cli.progress import TrainingDisplay
    from llmcli.cli.relaunch import main_process
    from llmcli.training import distributed
    from llmcli.training.pipeline import run
    from llmcli.training.trainer import TrainingInterrupted

    try:
        if not main_process():
            run(request, workload)
            sys.exit(0)  # leaving the process group on the way out (finally)
        with TrainingDisplay(title) as display:
            return run(request, workload, on_event=display)
    except TrainingInterrupted as exc:
        if main_process():
            click.echo(f"\nInterrupted at step {exc.step}; checkpoint saved in {request.run_dir}.\n"
                       f"Resume with: {resume_command}", err=True)
        sys.exit(130)
    finally:
        distributed.leave()


def train_corpus(workload, name: str | None, flags, started: float, **more):
    """Train a language model on the workload's corpus with a progress display and a
    summary (train and demo); returns the pipeline's TrainOutcome."""
    from llmcli.paths import check_name, models_dir, name_from_file

    name = check_name(name or name_from_file(workload.corpus))
    run_dir = prepare_run_dir(models_dir() / name, flags.resume, flags.force)
    request = flags.request(run_dir, name, started, **more)
    command = f"llmcli train {shlex.quote(str(workload.corpus))} --name {shlex.quote(name)} --resume"
    outcome = run_with_display(f"training {name}", request, workload, command)
    show_summary(name, outcome, as_json=flags.as_json)
    return outcome


def show_summary(name: str, outcome, extra_rows: dict | None = None, as_json: bool = False) -> None:
    """The summary table on stderr; with `as_json`, the summary as JSON on stdout too."""
    from rich.table import Table

    from llmcli.cli.console import err_console

    s, figures = outcome.summary, outcome.summary.figures
    table = Table(title=f"{name}", show_header=False, title_justify="left")
    table.add_row("parameters", f"{outcome.model.num_params():,}")
    table.add_row("steps", f"{s.steps:,}")
    table.add_row("tokens seen", f"{s.tokens:,}")
    table.add_row("training time", f"{s.train_seconds:.1f} s in all (this command: "
                                   f"{s.command_seconds:.1f} s)")
    if "val_loss" in figures:
        unit = " nats/token" if "val_bpb" in figures else " nats/masked token" if "val_masked_bpb" in figures else ""
        table.add_row("validation loss", f"{figures['val_loss']:.4f}{unit}")
    if "val_bpb" in figures:
        table.add_row("validation bits per byte", f"{figures['val_bpb']:.4f}")
    if "val_masked_bpb" in figures:
        from llmcli.training.run_config import MASKED_NOTE

        table.add_row("masked-token accuracy", f"{100 * figures['val_masked_accuracy']:.2f}%")
        table.add_row("masked-token bits per byte", f"{figures['val_masked_bpb']:.4f} ({MASKED_NOTE})")
    if s.val_perplexity is not None:
        from llmcli.training.run_config import PERPLEXITY_NOTE

        table.add_row("validation perplexity", f"{s.val_perplexity:.2f} per token ({PERPLEXITY_NOTE})")
    for key, value in (extra_rows or {}).items():
        table.add_row(key, value)
    table.add_row("saved in", str(outcome.run_dir))
    err_console().print(table)
    warning = overfitting(outcome)
    if warning:
        err_console().print(f"[yellow]warning[/]: {warning}", highlight=False)
    if as_json:
        import json

        click.echo(json.dumps({"name": name, "path": str(outcome.run_dir), **s.to_dict()}, indent=2))


EPOCHS_WARNED = 50  # times through the training data beyond which a run is said to over-fit
RISE_WARNED = 1.1  # final validation loss over the best one seen


def overfitting(outcome) -> str | None:
    """What says the model learnt its training data by heart: the data seen very many
    times, or validation loss up from its best. The final weights are kept all the same."""
    from llmcli.files import read_jsonl
    from llmcli.training import rundir

    s, figures = outcome.summary, outcome.summary.figures
    said = []
    per_epoch = figures.get("train_tokens_per_epoch")
    if per_epoch and s.tokens / per_epoch > EPOCHS_WARNED:
        said.append(f"the training text was seen about {s.tokens / per_epoch:,.0f} times")
    metrics = outcome.run_dir / rundir.METRICS
    # the quick validations during training, compared with each other (the same windows each time)
    evals = [m for m in read_jsonl(metrics) if m.get("event") == "eval" and not m.get("final")
             and "val_loss" in m] if metrics.is_file() else []
    best = min(evals, key=lambda m: m["val_loss"], default=None)
    if best is not None and evals[-1]["val_loss"] > best["val_loss"] * RISE_WARNED:
        last = evals[-1]
        said.append(f"validation loss rose from {best['val_loss']:.3f} at step {best['step']:,} to "
                    f"{last['val_loss']:.3f} at step {last['step']:,}")
    if not said:
        return None
    shorter = f"a shorter budget (about {best['step']:,} steps)" if best is not None else "a shorter budget"
    return (" and ".join(said) + f": the model is learning its training data by heart; {shorter} or more "
            "data would do better")
