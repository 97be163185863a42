"""`llmcli train`: from a text file to a run directory holding a trained language model.

text -> train/validation split -> tokenizer -> token ids -> model -> trainer -> run directory
"""

from __future__ import annotations

import hashlib
import math
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from llmcli import __version__
from llmcli.errors import UserError
from llmcli.files import atomic_write_json
from llmcli.training import distributed, rundir
from llmcli.training.corpus import read_corpus, split_train_val

# Share of a time budget the tokenizer may take, and seconds kept back for saving.
TOKENIZER_SHARE = 0.15
SAVE_RESERVE_S = 2.0


@dataclass
class TrainRequest:
    corpus: Path
    run_dir: Path
    name: str
    preset: str = "auto"
    steps: int | None = None
    seconds: float | None = None  # the whole command's budget
    seed: int = 0
    vocab_size: int | None = None
    tokenizer_type: str = "bpe"
    precision: str = "auto"
    device: str = "auto"
    batch_size: int | None = None
    grad_accum: int = 1
    lr: float | None = None
    context: int | None = None
    n_layer: int | None = None
    n_embd: int | None = None
    n_head: int | None = None
    dropout: float = 0.0
    compile: bool = False
    val_fraction: float = 0.1
    resume: bool = False
    started: float = field(default_factory=time.perf_counter)


@dataclass
class TrainOutcome:
    run_dir: Path
    summary: dict
    model: object
    tokenizer: object


def remaining(request: TrainRequest) -> float | None:
    if request.seconds is None:
        return None
    return request.seconds - (time.perf_counter() - request.started)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def train_tokenizer(request: TrainRequest, train_text: str, vocab_size: int, emit):
    """A tokenizer of `vocab_size`; unless the user chose the size, it may shrink to fit."""
    from llmcli.model.tokenizer import Tokenizer, TokenizerError

    budget = remaining(request)
    emit({"event": "phase", "phase": "tokenizer", "detail": f"{request.tokenizer_type}, {vocab_size} tokens"})
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "train.txt"
        sample.write_text(train_text, encoding="utf-8")
        try:
            return Tokenizer.train(
                sample,
                request.run_dir / rundir.TOKENIZER,
                vocab_size=vocab_size,
                model_type=request.tokenizer_type,
                max_seconds=budget * TOKENIZER_SHARE if budget else None,
                adjustable=request.vocab_size is None,
            )
        except TokenizerError as exc:
            raise UserError(str(exc)) from None


def encode_split(tokenizer, train_text: str, val_text: str, emit):
    """Token ids of both parts; validation starts from the last training token, so that
    its first token has something to be predicted from and every byte of it is scored."""
    emit({"event": "phase", "phase": "encode", "detail": f"{len(train_text) + len(val_text):,} characters"})
    train_ids = tokenizer.encode_file_text(train_text)
    return train_ids, train_ids[-1:] + tokenizer.encode_file_text(val_text)


def tokenizer_seconds(text_bytes: int, budget: float) -> float:
    """About how long training the tokenizer takes (BPE learns ~2 MB/s here), capped by
    its share of the budget."""
    return min(TOKENIZER_SHARE * budget, 1.0 + text_bytes / 2e6)


def plan_model(request: TrainRequest, train_text: str, device, precision, emit):
    """The model shape, vocabulary, batch and learning rate: from the preset, or planned
    from the budget (auto); flags given by the user override either."""
    from llmcli.model.tokenizer import default_vocab_size
    from llmcli.model.transformer import PRESETS
    from llmcli.training.autoconfig import plan_auto, plan_for, plan_preset

    text_bytes = len(train_text.encode("utf-8"))
    corpus_vocab = default_vocab_size(text_bytes)
    if request.preset == "auto":
        budget = remaining(request)
        plan = plan_auto(
            corpus_tokens=text_bytes // 4,  # a typical BPE token covers about 4 bytes
            corpus_default_vocab=corpus_vocab,
            device=device,
            precision=precision,
            seconds=budget - tokenizer_seconds(text_bytes, budget) if budget is not None else None,
            steps=request.steps if budget is None else None,
        )
    elif request.preset in PRESETS:
        plan = plan_preset(request.preset, corpus_vocab)
    else:
        raise UserError(f"unknown preset {request.preset!r}: choose auto or one of {', '.join(PRESETS)}")
    # shape flags change the shape; its batch, lr and vocabulary then follow the new shape
    shape = dict(plan.shape)
    for key in ("context", "n_layer", "n_embd", "n_head"):
        if getattr(request, key):
            shape[key] = getattr(request, key)
    plan = plan_for(shape, corpus_vocab, plan.reason, plan.estimated_tokens)
    plan.vocab_size = request.vocab_size or plan.vocab_size
    plan.batch_size = request.batch_size or plan.batch_size
    plan.lr = request.lr or plan.lr
    emit({"event": "phase", "phase": "plan", "detail": plan.reason})
    return plan


def train_language_model(request: TrainRequest, on_event: Callable[[dict], None] | None = None) -> TrainOutcome:
    import torch

    from llmcli.model.loading import build_model
    from llmcli.model.transformer import ModelConfig
    from llmcli.model.tokenizer import Tokenizer
    from llmcli.training.batches import RandomWindows, as_token_tensor
    from llmcli.training.devices import pick_device, pick_precision
    from llmcli.training.evaluation import LanguageModelEvaluator
    from llmcli.training.trainer import TrainSettings

    group = distributed.join(request.device)
    emit = (on_event or (lambda event: None)) if group.main else (lambda event: None)
    text = read_corpus(request.corpus)
    text_bytes = text.encode("utf-8")
    digest = file_digest(text_bytes)
    device = distributed.device_for(group, pick_device(request.device))
    torch.manual_seed(request.seed)
    run = request.run_dir
    previous = rundir.read_json(run / rundir.CONFIG) if request.resume else None
    val_fraction = previous["data"]["val_fraction"] if previous else request.val_fraction
    train_text, val_text = split_train_val(text, val_fraction)

    if previous is not None:
        if previous.get("data", {}).get("sha256") != digest:
            raise UserError(
                f"{request.corpus} is not the file {run.name} was trained on (its contents differ): "
                "resume with the original file, or train a new model"
            )
        tokenizer = Tokenizer.load(run / rundir.TOKENIZER)
        config = previous
        settings = TrainSettings(**previous["train"])
    elif group.main:  # rank 0 plans the run and trains the tokenizer; the others receive them
        run.mkdir(parents=True, exist_ok=True)
        precision = pick_precision(request.precision, device)
        plan = plan_model(request, train_text, device, precision, emit)
        tokenizer = train_tokenizer(request, train_text, plan.vocab_size, emit)
        try:
            model_config = ModelConfig(vocab_size=tokenizer.vocab_size, dropout=request.dropout, **plan.shape)
        except ValueError as exc:
            raise UserError(f"{exc}: change --width or --heads") from None
        settings = TrainSettings(
            batch_size=request.batch_size or round_to(plan.batch_size, group.world),
            grad_accum=request.grad_accum,
            lr=plan.lr,
            precision=precision,
            seed=request.seed,
            compile=request.compile,
        )
        shape = f"{plan.shape['n_layer']}x{plan.shape['n_embd']}"
        preset = request.preset if request.preset != "auto" else f"auto:{shape}"
        config = {
            "name": request.name,
            "preset": preset,
            "model": model_config.to_dict(),
            "train": settings.to_dict(),
            "data": {
                "path": str(Path(request.corpus).resolve()),
                "bytes": len(text_bytes),
                "sha256": digest,
                "val_fraction": val_fraction,
            },
            "tokenizer": {"file": rundir.TOKENIZER, "type": request.tokenizer_type, "vocab_size": tokenizer.vocab_size},
            "params": None,
            "llmcli_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    if previous is None and group.active:
        shared = distributed.share_from_main({"config": config, "tokenizer": tokenizer.to_bytes()} if group.main else None,
                                             group)
        config, tokenizer = shared["config"], Tokenizer.from_bytes(shared["tokenizer"])
        settings = TrainSettings(**config["train"])
    distributed.per_process_batch(settings.batch_size, group)  # a clear error if it does not split
    model = build_model(config)
    config["params"] = model.num_params()
    train_ids, val_ids = encode_split(tokenizer, train_text, val_text, emit)

    context = model.config.context
    if len(train_ids) < context + 1:
        raise UserError(
            f"{request.corpus} is too small: {len(train_ids)} training tokens, fewer than the "
            f"context of {context}: use a larger file, or --context {max(8, len(train_ids) // 4)}"
        )
    vocab = tokenizer.vocab_size
    batches = RandomWindows(as_token_tensor(train_ids, vocab), context, settings.batch_size, settings.seed,
                            group.rank, group.world)
    evaluator = None
    if len(val_ids) > 1 and group.main:
        evaluator = LanguageModelEvaluator(
            as_token_tensor(val_ids, vocab), len(val_text.encode("utf-8")), context
        )

    final_tokens = len(val_ids) if evaluator else 0
    summary = train_and_save(request, model, batches, settings, config, device, evaluator, emit,
                             resumed=previous is not None, final_eval_tokens=final_tokens,
                             extra={"train_tokens_per_epoch": len(train_ids)})
    return TrainOutcome(run_dir=run, summary=summary, model=model, tokenizer=tokenizer)


def round_to(value: int, multiple: int) -> int:
    """value rounded up to a multiple (a batch that splits evenly over the processes)."""
    return -(-value // multiple) * multiple


def train_and_save(request, model, batches, settings, config: dict, device, evaluator, emit, resumed: bool,
                   final_eval_tokens: int = 0, loss=None, extra: dict | None = None) -> dict:
    """Train within the request's budget, then save the weights, the checkpoint and the
    summary (which it returns) in the run directory; config.json is written first.

    `request` gives the budget (steps, seconds, started) and the run directory."""
    from llmcli.training.trainer import Trainer, TrainingInterrupted

    run = request.run_dir
    # the budget: steps, or what is left of the command's time (the trainer keeps back
    # enough of it for the final evaluation of the validation tokens)
    if request.steps is not None:
        settings.max_steps, settings.max_seconds = request.steps, None
    elif request.seconds is not None:
        settings.max_steps = None
        settings.max_seconds = max(1.0, remaining(request) - SAVE_RESERVE_S)
    elif not resumed:
        raise UserError("give a budget: --steps N or --time DURATION")

    group = distributed.current()
    trainer = Trainer(model, batches, settings, run, device, evaluate=evaluator, on_event=emit, loss=loss)
    trainer.final_eval_tokens = final_eval_tokens
    if resumed:  # every process reads the checkpoint: the run directory must be on each machine
        trainer.restore_checkpoint()
        if request.seconds is not None:
            settings.max_seconds = trainer.state.elapsed + max(1.0, remaining(request) - SAVE_RESERVE_S)
    config["train"] = settings.to_dict()
    if group.main:
        atomic_write_json(run / rundir.CONFIG, config)
        (run / rundir.SUMMARY).unlink(missing_ok=True)  # not finished until this run is
    where = f"{device}" if not group.active else f"{group.world} processes ({device.type})"
    emit({"event": "phase", "phase": "train", "detail": f"{model.num_params():,} parameters on {where}"})
    try:
        state = trainer.run()
    except TrainingInterrupted:
        if group.main:
            rundir.save_weights(run / rundir.WEIGHTS, model.state_dict())  # usable as it stands
        distributed.barrier(group)
        raise
    final = trainer.run_evaluation(final=True) if evaluator else {}
    if group.main:
        rundir.save_weights(run / rundir.WEIGHTS, model.state_dict())
    trainer.save_checkpoint()
    summary = {
        "steps": state.step,
        "tokens": state.tokens,
        "train_seconds": round(state.elapsed, 2),
        "command_seconds": round(time.perf_counter() - request.started, 2),
        **(extra or {}),
        **{k: v for k, v in final.items() if k != "final"},
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if "val_loss" in summary and not math.isfinite(summary["val_loss"]):
        raise UserError("validation loss is not finite: lower --lr and train again")
    if group.main:
        atomic_write_json(run / rundir.SUMMARY, summary)
    distributed.barrier(group)  # the files are written before any process leaves
    return summary
