"""The options every training command takes (budget, size, device and precision), declared
once: `@training_options(...)` adds them and hands the command one `TrainingFlags`."""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import click

from llmcli.cli.options import Duration, positive
from llmcli.errors import UserError
from llmcli.model.config import PRESETS

PRESET_CHOICES = ["auto", *PRESETS]


@dataclass
class TrainingFlags:
    steps: int | None = None
    seconds: float | None = None
    seed: int = 0
    resume: bool = False
    force: bool = False
    preset: str = "auto"
    batch_size: int | None = None
    lr: float | None = None
    precision: str = "auto"
    device: str = "auto"
    nproc: int | None = None
    compile: bool = False
    checkpoint_activations: bool = False
    as_json: bool = False  # the summary as JSON on stdout at the end

    def check(self) -> None:
        """A budget is given once; under --nproc N, the command restarts under torchrun."""
        if self.steps is not None and self.seconds is not None:
            raise UserError("give either --steps or --time, not both")
        if self.steps is None and self.seconds is None and not self.resume:
            raise UserError("give a budget: --steps N or --time DURATION (e.g. --time 2m)")
        from llmcli.cli.relaunch import relaunch_if_asked

        relaunch_if_asked(self.nproc, self.batch_size)

    def request(self, run_dir, name: str, started: float, **more):
        """The pipeline's RunRequest for these flags (`more`: the command's own fields)."""
        from llmcli.training.pipeline import RunRequest

        shared = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("force", "nproc", "as_json")}
        return RunRequest(run_dir=run_dir, name=name, started=started, **shared, **more)


def option_list(preset_help: str, batch_help: str) -> list:
    return [
        click.option("--steps", type=int, callback=positive, help="Budget in optimizer steps."),
        click.option("--time", "seconds", type=Duration(), help="Budget for the whole command, e.g. 90s, 2m, 1h."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same seed repeats a run."),
        click.option("--resume", is_flag=True, help="Continue the run from its last checkpoint."),
        click.option("--force", is_flag=True, help="Replace an existing model of the same name."),
        click.option("--preset", type=click.Choice(PRESET_CHOICES), default="auto", show_default=True,
                     help=preset_help),
        click.option("--batch-size", type=int, callback=positive, help=batch_help),
        click.option("--lr", type=float, callback=positive, help="Peak learning rate."),
        click.option("--precision", type=click.Choice(["auto", "bf16", "fp16", "fp32"]), default="auto",
                     show_default=True,
                     help="auto: bf16 autocast where the CPU or GPU supports it (fp16 on older GPUs)."),
        click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or mps."),
        click.option("--nproc", type=int, callback=positive,
                     help="Train with N processes on this machine (data parallel, started with torchrun)."),
        click.option("--compile", "compile", is_flag=True, help="torch.compile the training step: the first steps compile (a minute or more on a CPU, again for each new batch shape). On a CPU the eager step already has llmcli's fused kernels, so it gains little there (SmolLM2: 2.59 s a step against 2.66); on a GPU, later steps run faster. For long runs."),
        click.option("--checkpoint-activations", is_flag=True,
                     help="Keep only each block's input for the backward pass and recompute the rest: less "
                          "memory for long contexts, about a third more compute."),
        click.option("--json", "as_json", is_flag=True,
                     help='At the end, print {"name", "path", "steps", "val_loss", ...} (the summary) as JSON.'),
    ]


def training_options(*, preset_help: str, batch_help: str, without: tuple[str, ...] = ()):
    """Add the shared training options to a command; it receives them as `flags`. The
    fields named in `without` are not options of this command (they keep their defaults)."""
    names = [f.name for f in fields(TrainingFlags) if f.name not in without]

    def decorate(command):
        @functools.wraps(command)
        def with_flags(*args, **kwargs):
            flags = TrainingFlags(**{name: kwargs.pop(name) for name in names})
            return command(*args, flags=flags, **kwargs)

        for option in reversed(option_list(preset_help, batch_help)):
            if option_field(option) not in without:
                with_flags = option(with_flags)
        return with_flags

    return decorate


def option_field(option) -> str:
    """The TrainingFlags field a click.option decorator sets."""
    probe = option(lambda **kwargs: None)
    return probe.__click_params__[-1].name
