"""Fine-tuning a model for a task: from a pretrained run (`--base`), or from scratch.

examples -> the task's prompts and targets -> the head's training items (token ids, loss
mask or labels) -> batches -> core model + head -> trainer -> run directory
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Callable

from llmcli import __version__
from llmcli.errors import UserError
from llmcli.training import distributed, rundir
from llmcli.training.language_model import remaining, round_to

MAX_CONTEXT = 512  # a from-scratch model's window is the examples' length, up to this
# Task examples are short and the loss counts only targets: a vocabulary below this makes
# sequences long for little saved (translate pairs: 39 tokens at 512, 23 at 1024).
MIN_TASK_VOCAB = 1024
BASE_LR_SCALE = 0.5  # a pretrained model is fine-tuned with smaller steps than it learnt with
MAX_BATCH = 64


@dataclass
class FinetuneRequest:
    task: object  # llmcli.tasks.Task
    task_plugin: str
    head: object  # llmcli.heads.Head
    dataset: str  # its name, or the path the user gave
    train: list[dict]
    validation: list[dict]
    run_dir: Path
    name: str
    base: Path | None = None
    prompt: str | None = None  # the user's prompt format, or the task's
    steps: int | None = None
    seconds: float | None = None
    seed: int = 0
    preset: str = "auto"
    precision: str = "auto"
    device: str = "auto"
    batch_size: int | None = None
    lr: float | None = None
    resume: bool = False
    compile: bool = False
    options: dict = field(default_factory=dict)  # the task options given: kept with the model
    started: float = field(default_factory=time.perf_counter)


def examples_digest(examples: list[dict]) -> str:
    data = json.dumps(examples, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def corpus_texts(request: FinetuneRequest) -> list[str]:
    """What a from-scratch tokenizer learns from: every text the model will read or write."""
    texts = []
    for example in request.train:
        texts.extend(request.head.tokenizer_texts(task=request.task, example=example, prompt=request.prompt))
    return [t for t in texts if t.strip()]


def scratch_tokenizer(request: FinetuneRequest, texts: list[str], vocab_size: int, emit):
    from llmcli.model.tokenizer import Tokenizer, TokenizerError

    text = "\n".join(t.replace("\n", " ") for t in texts)
    emit({"event": "phase", "phase": "tokenizer", "detail": f"bpe, {vocab_size} tokens"})
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "texts.txt"
        sample.write_text(text, encoding="utf-8")
        try:
            return Tokenizer.train(sample, request.run_dir / rundir.TOKENIZER, vocab_size=vocab_size,
                                   adjustable=True)
        except TokenizerError as exc:
            raise UserError(f"the {request.dataset} examples cannot train a tokenizer: {exc}") from None


def context_for(lengths: list[int]) -> int:
    """A window that holds nearly every example (the longest 1% are cut), in steps of 32."""
    ordered = sorted(lengths)
    needed = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return max(32, min(MAX_CONTEXT, -(-needed // 32) * 32))


def scratch_model(request: FinetuneRequest, head_settings: dict, device, precision, emit):
    """A tokenizer, a model shape and the batch settings for training from nothing."""
    from llmcli.model.tokenizer import default_vocab_size
    from llmcli.model.transformer import PRESETS
    from llmcli.training.autoconfig import plan_auto, plan_preset

    texts = corpus_texts(request)
    text_bytes = sum(len(t.encode("utf-8")) + 1 for t in texts)
    corpus_vocab = default_vocab_size(text_bytes)
    if request.preset == "auto":
        plan = plan_auto(corpus_tokens=text_bytes // 3, corpus_default_vocab=corpus_vocab, device=device,
                         precision=precision, seconds=remaining(request), steps=request.steps)
    elif request.preset in PRESETS:
        plan = plan_preset(request.preset, corpus_vocab)
    else:
        raise UserError(f"unknown preset {request.preset!r}: choose auto or one of {', '.join(PRESETS)}")
    emit({"event": "phase", "phase": "plan", "detail": plan.reason})
    vocab_size = max(plan.vocab_size, min(corpus_vocab, MIN_TASK_VOCAB))
    tokenizer = scratch_tokenizer(request, texts, vocab_size, emit)
    items = request.head.encode(task=request.task, examples=request.train[:2000], tokenizer=tokenizer,
                                context=MAX_CONTEXT, settings=head_settings, prompt=request.prompt)
    shape = dict(plan.shape, context=context_for([len(item["ids"]) for item in items]))
    return tokenizer, shape, plan


def batch_size_for(items: list[dict], batch_tokens: int) -> int:
    """About batch_tokens tokens a batch, but at most MAX_BATCH examples: short examples
    learn more from more, smaller steps than from a few huge batches in a time budget."""
    mean = sum(len(item["ids"]) for item in items) / max(1, len(items))
    return max(4, min(MAX_BATCH, int(batch_tokens / max(1.0, mean))))


def finetune(request: FinetuneRequest, on_event: Callable[[dict], None] | None = None):
    import torch

    from llmcli.model.loading import attach_head, build_model, load_model
    from llmcli.model.transformer import ModelConfig
    from llmcli.model.tokenizer import Tokenizer
    from llmcli.training.autoconfig import BATCH_TOKENS, lr_for
    from llmcli.training.devices import pick_device, pick_precision
    from llmcli.training.example_batches import ExampleBatches, ExampleLossEvaluator
    from llmcli.training.language_model import TrainOutcome, train_and_save
    from llmcli.training.trainer import TrainSettings

    group = distributed.join(request.device)
    emit = (on_event or (lambda event: None)) if group.main else (lambda event: None)
    task, head, run = request.task, request.head, request.run_dir
    device = distributed.device_for(group, pick_device(request.device))
    torch.manual_seed(request.seed)
    digest = examples_digest(request.train)
    previous = rundir.read_json(run / rundir.CONFIG) if request.resume else None

    if previous is not None:
        if previous["data"].get("sha256") != digest:
            raise UserError(f"the training examples differ from those {run.name} was trained on: "
                            "resume with the same --data, or fine-tune a new model")
        tokenizer = Tokenizer.load(run / rundir.TOKENIZER)
        model = build_model(previous)
        settings_for_head = previous["task"]["settings"]
        attach_head(model, head, settings_for_head)
        config = previous
        settings = TrainSettings(**previous["train"])
        prompt = previous["task"].get("prompt")
    elif group.main:  # rank 0 plans, trains the tokenizer, loads the base; the others receive the plan
        run.mkdir(parents=True, exist_ok=True)
        precision = pick_precision(request.precision, device)
        settings_for_head = head.settings(task=task, examples=request.train)
        prompt = request.prompt
        if request.base is not None:
            loaded = load_model(request.base)
            model, tokenizer = loaded.model, loaded.tokenizer
            tokenizer.save(run / rundir.TOKENIZER)
            lr = lr_for(model.config.n_embd) * BASE_LR_SCALE
            preset = f"finetuned:{loaded.config.get('name', request.base.name)}"
        else:
            tokenizer, shape, plan = scratch_model(request, settings_for_head, device, precision, emit)
            try:
                model = build_model({"model": ModelConfig(vocab_size=tokenizer.vocab_size, **shape).to_dict()})
            except ValueError as exc:
                raise UserError(str(exc)) from None
            lr = plan.lr
            preset = request.preset if request.preset != "auto" else f"auto:{shape['n_layer']}x{shape['n_embd']}"
        attach_head(model, head, settings_for_head)
        settings = TrainSettings(lr=request.lr or lr, precision=precision, seed=request.seed, compile=request.compile)
        config = {
            "name": request.name,
            "preset": preset,
            "model": model.config.to_dict(),
            "train": {},
            "task": {
                "name": task.name,
                "plugin": request.task_plugin,
                "head": head.name,
                "settings": settings_for_head,
                "prompt": prompt,
                "base": str(request.base.resolve()) if request.base else None,
                "options": request.options,
            },
            "data": {
                "dataset": request.dataset,
                "train_examples": len(request.train),
                "validation_examples": len(request.validation),
                "sha256": digest,
            },
            "tokenizer": {"file": rundir.TOKENIZER, "type": "bpe", "vocab_size": tokenizer.vocab_size},
            "params": model.num_params(),
            "llmcli_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

    if previous is None and group.active:
        # the others build the same model: DistributedDataParallel then copies rank 0's weights
        shared = distributed.share_from_main(
            {"config": config, "tokenizer": tokenizer.to_bytes(), "settings": settings.to_dict()}
            if group.main else None, group)
        if not group.main:
            config, tokenizer = shared["config"], Tokenizer.from_bytes(shared["tokenizer"])
            settings = TrainSettings(**shared["settings"])
            settings_for_head, prompt = config["task"]["settings"], config["task"]["prompt"]
            model = build_model(config)
            attach_head(model, head, settings_for_head)
    context = model.config.context
    emit({"event": "phase", "phase": "encode", "detail": f"{len(request.train):,} training examples"})
    train_items = head.encode(task=task, examples=request.train, tokenizer=tokenizer, context=context,
                              settings=settings_for_head, prompt=prompt)
    val_items = head.encode(task=task, examples=request.validation, tokenizer=tokenizer, context=context,
                            settings=settings_for_head, prompt=prompt)
    if not train_items:
        raise UserError(f"none of the {len(request.train)} training examples can be used by the {head.name} head")
    if previous is None:
        settings.batch_size = request.batch_size or round_to(batch_size_for(train_items, BATCH_TOKENS), group.world)
    distributed.per_process_batch(settings.batch_size, group)
    collate = partial(head.collate, pad_id=tokenizer.pad_id)
    batches = ExampleBatches(train_items, collate, settings.batch_size, settings.seed, group.rank, group.world)
    evaluator = None
    if val_items and group.main:
        evaluator = ExampleLossEvaluator(val_items, collate, head.loss, settings.batch_size)
    summary = train_and_save(request, model, batches, settings, config, device, evaluator, emit,
                             resumed=previous is not None, loss=head.loss,
                             final_eval_tokens=sum(len(i["ids"]) for i in val_items))
    return TrainOutcome(run_dir=run, summary=summary, model=model, tokenizer=tokenizer)
