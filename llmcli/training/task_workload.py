"""`llmcli finetune TASK`'s workload: a task's examples through its head.

examples -> the task's prompts and targets -> the head's training items (token ids, loss
mask or labels) -> padded batches -> core model + head -> the head's loss; validation is
the mean loss on the validation examples.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import partial

from llmcli.errors import UserError
from llmcli.training import rundir
from llmcli.training.pipeline import Feed
from llmcli.training.run_config import ExampleData, RunConfig, TaskInfo
from llmcli.training.scratch_plan import ScratchPlan, preset_label, train_tokenizer

MAX_CONTEXT = 512  # a from-scratch model's window is the examples' length, up to this
# Task examples are short and the loss counts only targets: a vocabulary below this makes
# sequences long for little saved (translate pairs: 39 tokens at 512, 23 at 1024).
MIN_TASK_VOCAB = 1024
MAX_BATCH = 64
CONTEXT_SAMPLE = 2000  # examples encoded to choose a from-scratch model's window
ACTIVATION_BUDGET = 4 * 2**30  # bytes of a batch's activations kept for the backward pass


@dataclass
class TaskWorkload:
    task: object  # llmcli.tasks.Task, configured with the user's options
    task_plugin: str
    head: object  # llmcli.heads.Head
    dataset: str  # its name, or the path the user gave
    train: list[dict]
    validation: list[dict]
    prompt: str | None = None  # the user's prompt format (None: the task's)
    options: dict = field(default_factory=dict)  # the task options given: kept with the model
    chat: bool | None = None  # --chat / --no-chat; None: where the task suits an instruct base and the base has a template

    def __post_init__(self):
        data = json.dumps(self.train, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        self.digest = hashlib.sha256(data).hexdigest()
        self.head_settings: dict | None = None  # learnt from the data when first needed

    def data_info(self) -> ExampleData:
        return ExampleData(dataset=self.dataset, train_examples=len(self.train),
                           validation_examples=len(self.validation), sha256=self.digest)

    def resume_from(self, previous: RunConfig) -> None:
        if getattr(previous.data, "sha256", None) != self.digest:
            raise UserError(f"the training examples differ from those {previous.name} was trained on: "
                            "resume with the same --data, or fine-tune a new model")
        self.head_settings, self.prompt = previous.task.settings, previous.task.prompt

    def check_base(self, base) -> bool:
        """Whether the base is a masked-LM encoder; refused where the head needs the next
        token (the lm head: the core model writes the output)."""
        from llmcli.model.config import refuse_encoder
        from llmcli.training.run_config import load_config

        model = load_config(base).model
        if self.head.generates:
            refuse_encoder(model, base.name, f"be fine-tuned to write {self.task.name}'s outputs (the "
                           f"{self.head.name} head)", "fine-tune a causal model (`llmcli train FILE`) for it, or "
                           "fine-tune this one for a classify or span task (sentiment, qa)")
        return not model.causal

    def settings_for_head(self, base=None) -> dict:
        """What the head learns from the data, and "chat" when the prompts are framed by the
        base's chat template (decided when first asked, with the base, if there is one); a
        masked-LM encoder's base adjusts them (Head.encoder_settings)."""
        if self.head_settings is None:
            from llmcli.training.chat_choice import chat_setting

            settings = self.head.settings(task=self.task, examples=self.train)
            if base is not None and self.check_base(base):
                settings = self.head.encoder_settings(settings, task=self.task)
            if chat_setting(self.chat, self.task, self.head, base):
                settings = {**settings, "chat": True}
                # an instruct model's turn is an instruction: the task's, unless the user gave a prompt
                self.prompt = self.prompt or self.task.zero_shot_prompt
            self.head_settings = settings
        return self.head_settings

    def distilled_from(self) -> None:
        return None  # no teacher (training/distill_workload.py has one)

    def task_info(self, request) -> TaskInfo:
        settings = self.settings_for_head(request.base)
        return TaskInfo(name=self.task.name, plugin=self.task_plugin, head=self.head.name,
                        settings=settings, prompt=self.prompt, options=self.options)

    def attach(self, model, config: RunConfig) -> None:
        from llmcli.model.loading import attach_head

        attach_head(model, self.head, config.task.settings)

    def plan_scratch(self, request, device, precision: str, emit) -> ScratchPlan:
        """A tokenizer on every text the model reads or writes, a shape for the budget,
        and a window as long as nearly all examples."""
        from llmcli.model.tokenizer import default_vocab_size
        from llmcli.training.autoconfig import plan_run

        texts = self.tokenizer_texts()
        text_bytes = sum(len(t.encode("utf-8")) + 1 for t in texts)
        corpus_vocab = default_vocab_size(text_bytes)
        plan = plan_run(request.preset, text_bytes // 3, corpus_vocab, device, precision,
                        seconds=request.remaining(), steps=request.steps)
        emit({"event": "phase", "phase": "plan", "detail": plan.reason})
        vocab_size = max(plan.vocab_size, min(corpus_vocab, MIN_TASK_VOCAB))
        tokenizer = train_tokenizer("\n".join(t.replace("\n", " ") for t in texts),
                                    request.run_dir / rundir.TOKENIZER, vocab_size, emit,
                                    what=f"the {self.dataset} examples")
        items = self.items(self.train[:CONTEXT_SAMPLE], tokenizer, MAX_CONTEXT)
        shape = dict(plan.shape, context=context_for([len(item["ids"]) for item in items]))
        return ScratchPlan(tokenizer=tokenizer, tokenizer_type="bpe", shape=shape, lr=plan.lr, batch_size=None,
                           preset=preset_label(request.preset, shape))

    def tokenizer_texts(self) -> list[str]:
        texts = []
        for example in self.train:
            texts.extend(self.head.tokenizer_texts(task=self.task, example=example, prompt=self.prompt))
        return [t for t in texts if t.strip()]

    def items(self, examples: list[dict], tokenizer, context: int) -> list[dict]:
        return self.head.encode(task=self.task, examples=examples, tokenizer=tokenizer, context=context,
                                settings=self.settings_for_head(), prompt=self.prompt)

    def encode(self, tokenizer, context: int, emit) -> tuple[list[dict], list[dict]]:
        emit({"event": "phase", "phase": "encode", "detail": f"{len(self.train):,} training examples"})
        train_items = self.items(self.train, tokenizer, context)
        if not train_items:
            raise UserError(f"none of the {len(self.train)} training examples can be used by the {self.head.name} head")
        return train_items, self.items(self.validation, tokenizer, context)

    def batch_hint(self, encoded, model_config) -> int:
        """About BATCH_TOKENS tokens a batch, but at most MAX_BATCH examples: short examples
        learn more from more, smaller steps than from a few huge batches in a time budget.
        And no more than a batch of the longest examples (the 99th percentile: a batch is
        padded to its longest) whose activations fit in ACTIVATION_BUDGET: a 135M base's
        30 layers keep about 1.2 MB a token for the backward pass, and DialogSum's
        dialogues at ~4,000 tokens a batch took a full fine-tune of SmolLM2 past 24 GB (killed
        by the kernel); with the cap it gets batches of 5."""
        from llmcli.training.autoconfig import BATCH_TOKENS

        lengths = sorted(len(item["ids"]) for item in encoded[0])
        mean = sum(lengths) / max(1, len(lengths))
        hint = max(4, min(MAX_BATCH, int(BATCH_TOKENS / max(1.0, mean))))
        longest = lengths[min(len(lengths) - 1, int(len(lengths) * 0.99))] if lengths else 1
        fits = int(ACTIVATION_BUDGET / (activation_bytes_per_token(model_config) * max(1, longest)))
        return max(1, min(hint, fits))

    def feed(self, encoded, tokenizer, settings, group) -> Feed:
        from llmcli.training.example_batches import ExampleBatches, ExampleLossEvaluator

        train_items, val_items = encoded
        collate = partial(self.head.collate, pad_id=tokenizer.pad_id)
        batches = ExampleBatches(train_items, collate, settings.batch_size, settings.seed, group.rank, group.world)
        evaluator = None
        if val_items and group.main:
            evaluator = ExampleLossEvaluator(val_items, collate, self.head.loss, settings.batch_size)
        return Feed(batches, evaluator, final_eval_tokens=sum(len(i["ids"]) for i in val_items), loss=self.head.loss,
                    weight=self.head.loss_weight)


def activation_bytes_per_token(config) -> float:
    """About what one token of a batch keeps for the backward pass, in bytes: some 18
    vectors of the width and 4 of the MLP's per layer, in bf16 and float32 mixed (measured
    on SmolLM2: 1.15 MB a token; this gives 1.24)."""
    return 2.5 * config.n_layer * (18 * config.n_embd + 4 * config.ffn_hidden)


def context_for(lengths: list[int]) -> int:
    """A window that holds nearly every example (the longest 1% are cut), in steps of 32."""
    ordered = sorted(lengths)
    needed = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return max(32, min(MAX_CONTEXT, -(-needed // 32) * 32))
