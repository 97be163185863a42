"""`llmcli distill TASK`'s workload: a task's examples, as finetune's, learnt from a teacher.

It is a TaskWorkload whose loss also matches the teacher (training/distillation.py),
so the pipeline, the trainer, checkpoints and resume are finetune's. The student reads
the teacher's prompts: it takes the teacher's head settings (a classifier's labels in
the teacher's order), its prompt format and, from scratch, its tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from llmcli.training.distillation import DistillationLoss, Teacher
from llmcli.training.run_config import DistillInfo, RunConfig
from llmcli.training.scratch_plan import ScratchPlan
from llmcli.training.task_workload import CONTEXT_SAMPLE, TaskWorkload, context_for


@dataclass
class DistillWorkload(TaskWorkload):
    teacher: Teacher | None = None
    ratio: float = 0.5
    temperature: float = 2.0
    student_shape: dict | None = None  # a student from scratch: its shape but the window (None: --base)
    student_label: str = ""  # the preset or shape it was asked as ("nano", "2x128")
    teacher_outputs: bool = False  # the lm head's targets: the teacher's greedy outputs

    def __post_init__(self):
        super().__post_init__()
        info = self.teacher.config.task
        if info is not None:  # a teacher fine-tuned for the task: read its prompts as it does
            self.head_settings, self.prompt = dict(info.settings), info.prompt

    def distilled_from(self) -> DistillInfo:
        return DistillInfo(teacher=str(self.teacher.path.resolve()), name=self.teacher.path.name,
                           sha256=self.teacher.sha256, ratio=self.ratio, temperature=self.temperature,
                           teacher_outputs=self.teacher_outputs)

    def resume_from(self, previous: RunConfig) -> None:
        super().resume_from(previous)
        recorded = previous.distilled_from  # the teacher itself was checked by path and checksum
        self.ratio, self.temperature = recorded.ratio, recorded.temperature
        self.teacher_outputs = recorded.teacher_outputs

    def plan_scratch(self, request, device, precision: str, emit) -> ScratchPlan:
        """The student's shape, the teacher's tokenizer (copied into the run directory) and
        its vocabulary, and a window as long as nearly all examples, within the teacher's."""
        from llmcli.model.tokenizer_files import save_tokenizer
        from llmcli.training.autoconfig import lr_for

        teacher, kind = self.teacher, self.teacher.config.tokenizer.type
        save_tokenizer(teacher.tokenizer, request.run_dir, kind)
        window = teacher.model.config.context
        items = self.items(self.train[:CONTEXT_SAMPLE], teacher.tokenizer, window)
        shape = dict(self.student_shape, context=min(window, context_for([len(item["ids"]) for item in items])))
        emit({"event": "phase", "phase": "plan",
              "detail": f"student {self.student_label}, with {teacher.path.name}'s tokenizer"})
        return ScratchPlan(tokenizer=teacher.tokenizer, tokenizer_type=kind, shape=shape, lr=lr_for(shape["n_embd"]),
                           batch_size=None, preset=f"distilled:{self.student_label}",
                           vocab_size=teacher.model.config.vocab_size)

    def encode(self, tokenizer, context: int, emit):
        # the teacher reads the same batches: no longer than its own window
        context = min(context, self.teacher.model.config.context)
        train_items, val_items = super().encode(tokenizer, context, emit)
        if self.teacher_outputs:  # in the command's time budget, before the first step
            emit({"event": "phase", "phase": "teacher",
                  "detail": f"{self.teacher.path.name} writes the targets of {len(train_items):,} examples"})
            train_items = self.head.relabel(train_items, self.teacher.model, tokenizer, self.settings_for_head())
        return train_items, val_items

    def feed(self, encoded, tokenizer, settings, group):
        from llmcli.training.example_batches import ExampleLossEvaluator

        feed = super().feed(encoded, tokenizer, settings, group)
        if self.ratio == 0:  # the same student without a teacher: the teacher never runs, as a baseline
            return feed
        distill = DistillationLoss(self.head, self.teacher.model, self.ratio, self.temperature)
        feed.loss = distill
        if feed.evaluator is not None:
            collate = partial(self.head.collate, pad_id=tokenizer.pad_id)
            kl = ExampleLossEvaluator(encoded[1], collate, distill.kl, settings.batch_size)
            feed.evaluator = WithKL(feed.evaluator, kl)
            # the final validation runs the student twice and the teacher once a token: about
            # what a training step costs (whose rate the trainer times), not a third of it
            feed.final_eval_tokens *= 3
        return feed


class WithKL:
    """Validation: the head's own loss (as finetune reports it) and the KL to the teacher."""

    def __init__(self, loss, kl):
        self.loss, self.kl = loss, kl

    def __call__(self, model, final: bool) -> dict:
        return {**self.loss(model, final), "val_kl": self.kl(model, final)["val_loss"]}
