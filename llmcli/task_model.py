"""The bundle a task and its head predict with: everything a loaded, fine-tuned model is
for one task. A light module (no torch): tasks and heads receive it, never build it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TaskModel:
    """A loaded model ready for a task: the core model (with its head's layers), its
    tokenizer, the task and head objects, the head's settings and the prompt format.
    `dataclasses.replace(bundle, ...)` gives a variant (another prompt, say)."""

    name: str  # the model's name (its run directory's)
    path: object  # the run directory
    model: object  # llmcli.model.transformer.Transformer, with `task_head` when the head has layers
    tokenizer: object  # llmcli.model.tokenizer.Tokenizer
    task: object  # llmcli.tasks.Task
    head: object  # llmcli.heads.Head
    settings: dict  # what the head learnt from the training data (a classifier's labels)
    prompt: str | None  # the prompt format it was fine-tuned with (None: the task's), or the zero-shot instruction
    zero_shot: bool = False  # a model never fine-tuned for the task, prompted by an instruction
