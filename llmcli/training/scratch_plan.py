"""What a run from scratch needs before its first step: a tokenizer trained on the
workload's text, a model shape, and the learning rate and batch that go with it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from llmcli.errors import UserError


@dataclass
class ScratchPlan:
    tokenizer: object  # Tokenizer, already saved in the run directory
    tokenizer_type: str  # "bpe" or "unigram"
    shape: dict  # ModelConfig fields but the vocabulary
    lr: float
    batch_size: int | None  # None: the workload's batch_hint decides
    preset: str  # as the run directory records it: "small", "auto:2x128"
    vocab_size: int | None = None  # the model's rows (None: the tokenizer's; a teacher's may be padded)
    max_passes: float | None = None  # a time budget's stop after that many passes (auto's plans)


def preset_label(preset: str, shape: dict) -> str:
    return preset if preset != "auto" else f"auto:{shape['n_layer']}x{shape['n_embd']}"


def train_tokenizer(text: str, output: Path, vocab_size: int, emit, *, model_type: str = "bpe",
                    max_seconds: float | None = None, adjustable: bool = True, what: str = ""):
    """A SentencePiece tokenizer of `vocab_size` trained on `text`, saved at `output`; when
    `adjustable`, the size may shrink to what the text supports. `what` names the text in
    an error ("the sst2 examples")."""
    from llmcli.model.tokenizer import Tokenizer, TokenizerError

    emit({"event": "phase", "phase": "tokenizer", "detail": f"{model_type}, {vocab_size} tokens"})
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "train.txt"
        sample.write_text(text, encoding="utf-8")
        try:
            return Tokenizer.train(sample, output, vocab_size=vocab_size, model_type=model_type,
                                   max_seconds=max_seconds, adjustable=adjustable)
        except TokenizerError as exc:
            raise UserError(f"{what} cannot train a tokenizer: {exc}" if what else str(exc)) from None
