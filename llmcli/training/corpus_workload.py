"""`llmcli train FILE`'s workload: a language model on a text file.

text -> train/validation split -> tokenizer -> token ids -> random windows -> the model's
own next-token loss; validation in bits per byte on the file's tail.

With the objective "mlm" the same data trains a bidirectional encoder instead: the windows
are masked (training/masking.py) and the loss is on the masked tokens; validation is the
masked tokens' loss, accuracy and bits per byte (training/masked_evaluation.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from llmcli.errors import UserError
from llmcli.training import rundir
from llmcli.training.corpus import read_corpus, split_train_val
from llmcli.training.pipeline import Feed
from llmcli.training.run_config import CorpusData, RunConfig
from llmcli.training.scratch_plan import ScratchPlan, preset_label, train_tokenizer

TOKENIZER_SHARE = 0.15  # share of a time budget the tokenizer may take


@dataclass
class CorpusIds:
    train: list[int]
    val: list[int]
    context: int


@dataclass
class CorpusWorkload:
    corpus: Path
    val_fraction: float = 0.1
    vocab_size: int | None = None  # None: from the corpus size (and the tokenizer may shrink it)
    tokenizer_type: str = "bpe"
    dropout: float = 0.0
    shape: dict = field(default_factory=dict)  # the user's --context/--layers/--width/--heads
    objective: str | None = None  # "causal" or "mlm"; None: causal, or a resumed run's own

    def __post_init__(self):
        self.text = read_corpus(self.corpus)
        self.bytes = len(self.text.encode("utf-8"))
        self.digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def data_info(self) -> CorpusData:
        return CorpusData(path=str(Path(self.corpus).resolve()), bytes=self.bytes, sha256=self.digest,
                          val_fraction=self.val_fraction)

    def resume_from(self, previous: RunConfig) -> None:
        if getattr(previous.data, "sha256", None) != self.digest:
            raise UserError(
                f"{self.corpus} is not the file {previous.name} was trained on (its contents differ): "
                "resume with the original file, or train a new model"
            )
        self.val_fraction = previous.data.val_fraction
        own = "causal" if previous.model.causal else "mlm"
        if self.objective not in (None, own):
            raise UserError(f"{previous.name} was trained with --objective {own}: resume it with that objective "
                            "(or leave --objective out), or train a new model")
        self.objective = own

    @property
    def masked(self) -> bool:
        return self.objective == "mlm"

    def split(self) -> tuple[str, str]:
        return split_train_val(self.text, self.val_fraction)

    def plan_scratch(self, request, device, precision: str, emit) -> ScratchPlan:
        """The shape from the preset, or planned for the budget (auto); the user's shape
        flags override it, and its batch, lr and vocabulary then follow the new shape."""
        from llmcli.model.tokenizer import default_vocab_size
        from llmcli.training.autoconfig import plan_for, plan_run

        train_text, _ = self.split()
        text_bytes = len(train_text.encode("utf-8"))
        corpus_vocab = default_vocab_size(text_bytes)
        budget = request.remaining()
        plan = plan_run(request.preset, text_bytes // 4,  # a typical BPE token covers about 4 bytes
                        corpus_vocab, device, precision,
                        seconds=budget - tokenizer_seconds(text_bytes, budget) if budget is not None else None,
                        steps=request.steps)
        shape = {**plan.shape, **{k: v for k, v in self.shape.items() if v}}
        plan = plan_for(shape, corpus_vocab, plan.reason, plan.estimated_tokens, plan.max_passes)
        if plan.max_passes:
            plan.reason += f"; it stops after {plan.max_passes:g} passes over the training text if the time allows more"
        emit({"event": "phase", "phase": "plan", "detail": plan.reason})
        tokenizer = train_tokenizer(train_text, request.run_dir / rundir.TOKENIZER,
                                    self.vocab_size or plan.vocab_size, emit, model_type=self.tokenizer_type,
                                    max_seconds=budget * TOKENIZER_SHARE if budget else None,
                                    adjustable=self.vocab_size is None)
        return ScratchPlan(tokenizer=tokenizer, tokenizer_type=self.tokenizer_type,
                           shape={**plan.shape, "dropout": self.dropout, "causal": not self.masked},
                           lr=plan.lr, batch_size=plan.batch_size, max_passes=plan.max_passes,
                           preset=preset_label(request.preset, plan.shape))

    def distilled_from(self) -> None:
        return None  # no teacher (training/distill_workload.py has one)

    def task_info(self, request):
        return None

    def attach(self, model, config: RunConfig) -> None:
        """A language model has no head of its own."""

    def encode(self, tokenizer, context: int, emit) -> CorpusIds:
        """Token ids of both parts; validation starts from the last training token, so
        that its first token has something to be predicted from and every byte is scored."""
        train_text, val_text = self.split()
        emit({"event": "phase", "phase": "encode", "detail": f"{len(train_text) + len(val_text):,} characters"})
        train_ids = tokenizer.encode_file_text(train_text)
        if len(train_ids) < context + 1:
            raise UserError(
                f"{self.corpus} is too small: {len(train_ids)} training tokens, fewer than the "
                f"context of {context}: use a larger file, or --context {max(8, len(train_ids) // 4)}"
            )
        return CorpusIds(train_ids, train_ids[-1:] + tokenizer.encode_file_text(val_text), context)

    def batch_hint(self, encoded, model_config) -> None:
        return None  # the plan chose the batch

    def feed(self, encoded: CorpusIds, tokenizer, settings, group) -> Feed:
        from llmcli.training.batches import RandomWindows, as_token_tensor
        from llmcli.training.evaluation import LanguageModelEvaluator

        if self.masked:
            return self.masked_feed(encoded, tokenizer, settings, group)
        vocab, context = tokenizer.vocab_size, encoded.context
        batches = RandomWindows(as_token_tensor(encoded.train, vocab), context, settings.batch_size, settings.seed,
                                group.rank, group.world)
        evaluator = None
        if len(encoded.val) > 1 and group.main:
            val_bytes = len(self.split()[1].encode("utf-8"))
            evaluator = LanguageModelEvaluator(as_token_tensor(encoded.val, vocab), val_bytes, context)
        return Feed(batches, evaluator, final_eval_tokens=len(encoded.val) if evaluator else 0,
                    extra={"train_tokens_per_epoch": len(encoded.train)})

    def masked_feed(self, encoded: CorpusIds, tokenizer, settings, group) -> Feed:
        """Masked windows; the masked tokens' figures on the validation text, from a fixed mask."""
        from llmcli.model.tokenizer import MASK
        from llmcli.training.batches import MaskedWindows, as_token_tensor
        from llmcli.training.masked_evaluation import MaskedLMEvaluator

        mask_id = getattr(tokenizer, "mask_id", None)
        if mask_id is None:
            raise UserError(f"the tokenizer has no {MASK} token (it was trained before llmcli had one): "
                            "train a new model with --objective mlm")
        random_ids = (ordinary_start(tokenizer), tokenizer.vocab_size)
        vocab, context = tokenizer.vocab_size, encoded.context
        batches = MaskedWindows(as_token_tensor(encoded.train, vocab), context, settings.batch_size, settings.seed,
                                mask_id, random_ids, group.rank, group.world)
        evaluator = None
        if len(encoded.val) > 2 and group.main:  # the val ids' first token is the last training one
            evaluator = MaskedLMEvaluator(as_token_tensor(encoded.val[1:], vocab), context, mask_id, random_ids,
                                          tokenizer.token_bytes)
        return Feed(batches, evaluator, final_eval_tokens=len(encoded.val) if evaluator else 0,
                    weight=lambda batch: int(batch[2].sum()),  # the chosen tokens: the loss's terms
                    extra={"train_tokens_per_epoch": len(encoded.train), "objective": "mlm"})


def ordinary_start(tokenizer) -> int:
    """The first id after the special ones (pad, unk, bos, eos, <sep>, spares, [MASK]):
    masked language modelling's random replacements are drawn from there on."""
    specials = [tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.sep_id,
                *getattr(tokenizer, "extra_ids", []), tokenizer.mask_id]
    return max(specials) + 1


def tokenizer_seconds(text_bytes: int, budget: float) -> float:
    """About how long training the tokenizer takes (BPE learns ~2 MB/s here), capped by
    its share of the budget."""
    return min(TOKENIZER_SHARE * budget, 1.0 + text_bytes / 2e6)
