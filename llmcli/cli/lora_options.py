"""`finetune`'s LoRA options (--lora RANK, --lora-alpha, --lora-dropout, --lora-targets,
--merge), declared once: `@lora_options` adds them and hands the command one `LoraFlags`."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import click

from llmcli.cli.options import positive
from llmcli.errors import UserError
from llmcli.model.lora_targets import DEFAULT_TARGETS, GROUPS, TARGETS

DEFAULT_ALPHA = 16.0  # litgpt's and torchtune's default with rank 8: a scale of 2
# no dropout by default, as torchtune: CPU budgets are short, and a short run under-fits
# rather than over-fits; dropout would also cost a pass over each adapted layer's input
DEFAULT_DROPOUT = 0.0


@dataclass
class LoraFlags:
    rank: int | None = None
    alpha: float = DEFAULT_ALPHA
    dropout: float = DEFAULT_DROPOUT
    targets: str = DEFAULT_TARGETS
    merge: bool = False

    def settings(self, base_dir, resume_dir=None):
        """The run's LoraInfo (targets checked against the base's shape), or None without
        --lora. Every mistake is one line, before anything is written."""
        if self.merge and self.rank is None and resume_dir is None:
            raise UserError("--merge folds LoRA adapters into their base: use it with --lora RANK "
                            "(a full fine-tune is a standalone model already)")
        if resume_dir is not None:  # a resumed run keeps the settings it has
            self.check_resumed(resume_dir)
            return None
        if self.rank is None:
            return None
        if base_dir is None:
            raise UserError("--lora trains adapters on a pretrained model: give --base NAME too "
                            "(or drop --lora to train a model from scratch)")
        if not 0.0 <= self.dropout < 1.0:
            raise UserError(f"--lora-dropout {self.dropout} is not a probability: give one in [0, 1)")
        if self.alpha <= 0:
            raise UserError(f"--lora-alpha {self.alpha} must be positive (the default is {DEFAULT_ALPHA:g})")
        from llmcli.model.lora_targets import resolve_targets, split_targets
        from llmcli.training.run_config import LoraInfo, load_config

        targets = resolve_targets(split_targets(self.targets), load_config(base_dir).model)
        return LoraInfo(rank=self.rank, alpha=self.alpha, dropout=self.dropout, targets=targets)


    def check_resumed(self, run_dir) -> None:
        """--lora given again with --resume must be the run's own: a run cannot change
        what it trains halfway."""
        from llmcli.training.run_config import has_config, load_config

        if self.rank is None or not has_config(run_dir):
            return
        config = load_config(run_dir)
        had = config.lora
        if had is None:
            raise UserError(f"{run_dir.name} is a full fine-tune: --resume continues it as one; drop --lora, "
                            "or start a LoRA run under another --name")
        from llmcli.model.lora_targets import resolve_targets, split_targets

        asked = (self.rank, self.alpha, self.dropout, list(resolve_targets(split_targets(self.targets), config.model)))
        if asked != (had.rank, had.alpha, had.dropout, list(had.targets)):
            raise UserError(f"{run_dir.name} trains LoRA rank {had.rank} (alpha {had.alpha:g}, dropout "
                            f"{had.dropout:g}, targets {','.join(had.targets)}): --resume continues with those; "
                            "drop the --lora flags, or start anew under another --name")


def lora_options(command):
    """Add the LoRA options to a command; it receives them as `lora`."""
    names = {"lora_rank": "rank", "lora_alpha": "alpha", "lora_dropout": "dropout", "lora_targets": "targets",
             "merge": "merge"}

    @functools.wraps(command)
    def with_lora(*args, **kwargs):
        lora = LoraFlags(**{field: kwargs.pop(option) for option, field in names.items()})
        return command(*args, lora=lora, **kwargs)

    every = ", ".join([*TARGETS, *GROUPS])
    options = [
        click.option("--lora", "lora_rank", type=int, callback=positive, metavar="RANK",
                     help="Train LoRA adapters of this rank (8 is usual) on the frozen --base, instead of all "
                          "its weights; the model saved is the adapters and the head, naming its base."),
        click.option("--lora-alpha", type=float, default=DEFAULT_ALPHA, show_default=True,
                     help="The adapters' scale is alpha / rank."),
        click.option("--lora-dropout", type=float, default=DEFAULT_DROPOUT, show_default=True,
                     help="Dropout on the adapters' input while training."),
        click.option("--lora-targets", default=DEFAULT_TARGETS, show_default=True,
                     help=f"The linears of every block to adapt, a comma list of: {every} "
                          "(default: the attention projections)."),
        click.option("--merge", is_flag=True,
                     help="With --lora: at the end, fold the adapters into the base and keep a standalone "
                          "model under --name (as `llmcli merge` does)."),
    ]
    for option in reversed(options):
        with_lora = option(with_lora)
    return with_lora
