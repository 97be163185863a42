"""Knowledge distillation: a teacher's softened distributions as a second target.

The student's loss mixes the head's ordinary loss with the KL divergence from the
teacher's distribution to the student's, both softened by a temperature T:

    loss = (1 - ratio) * head loss + ratio * T^2 * KL(teacher_T || student_T)

over what the head predicts (`Head.distributions`: the next token at each target
position for the lm head, the label for classify, the start and the end for span). T^2
keeps the soft term's gradients the size of the hard one's as T grows (Hinton et al.,
2015); torchtune's knowledge-distillation recipe mixes its two losses by the same ratio.
The teacher runs in eval mode without gradients, on the same batch; it is held here, not
by the student, so that nothing of it is trained, checkpointed or saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmcli.errors import UserError


@dataclass
class Teacher:
    path: Path
    model: object  # the Transformer, with the head's layers for a model fine-tuned for the task
    tokenizer: object
    config: object  # its RunConfig
    sha256: str


def load_teacher(path: Path, task, head) -> Teacher:
    """The teacher for TASK: a model fine-tuned for it, or, for a task whose model writes
    its answer, a plain language model (an instruct base)."""
    from llmcli.model.loading import base_checksum, load_model
    from llmcli.training.run_config import load_config

    info = load_config(path).task
    if info is not None and info.name != task.name:
        raise UserError(f"the teacher {path.name} was fine-tuned for task {info.name}, not {task.name}: "
                        f"give a --teacher fine-tuned for {task.name} (`llmcli models` lists them)")
    if info is None and not head.serves_plain_model:
        raise UserError(f"the teacher {path.name} is a language model, not fine-tuned for {task.name}: "
                        f"fine-tune one first (`llmcli finetune {task.name} --base {path.name}`)")
    from llmcli.heads import Head

    if type(head).distributions is Head.distributions:
        raise UserError(f"the {head.name} head has no distributions to distill (Head.distributions): "
                        "fine-tune the student with `llmcli finetune` instead")
    loaded = load_model(path, find_head=lambda name: head)
    return Teacher(path=path, model=loaded.model.eval(), tokenizer=loaded.tokenizer, config=loaded.config,
                   sha256=base_checksum(path, "--teacher"))


def check_same_tokenizer(teacher: Teacher, tokenizer, kind: str, student: str) -> None:
    """A student reads and writes the teacher's token ids: their tokenizers must be the
    same files (the same vocabulary, the same rules)."""
    if kind != teacher.config.tokenizer.type or tokenizer.to_bytes() != teacher.tokenizer.to_bytes():
        raise UserError(f"the student {student} has another tokenizer than the teacher {teacher.path.name}, so "
                        "their token ids differ: give --student a preset (a new model takes the teacher's "
                        "tokenizer) or a model with the teacher's tokenizer (fine-tuned from the same base)")


def kl_divergence(student_logits, teacher_logits, mask, temperature: float):
    """Mean over the rows of `mask` (None: all) of KL(teacher || student), both softened
    by `temperature`, in float32."""
    # one tokenizer, but an imported model's vocabulary may be padded past it: those rows are never tokens
    classes = min(student_logits.shape[-1], teacher_logits.shape[-1])
    student = (student_logits[..., :classes].float() / temperature).log_softmax(-1)
    teacher = (teacher_logits[..., :classes].float() / temperature).log_softmax(-1)
    rows = (teacher.exp() * (teacher - student)).sum(-1)
    if mask is None:
        return rows.mean()
    return rows[mask].sum() / mask.sum().clamp(min=1)


class DistillationLoss:
    """`loss(model, batch)` for the trainer, and the KL alone for validation. A plain
    object, not a torch Module, so that the teacher is no part of what trains or is saved."""

    def __init__(self, head, teacher_model, ratio: float, temperature: float):
        self.head, self.teacher = head, teacher_model
        self.ratio, self.temperature = ratio, temperature

    def teacher_distributions(self, batch):
        import torch

        device = batch[0].device
        if next(self.teacher.parameters()).device != device:
            self.teacher.to(device)  # the trainer moves the student; the teacher follows once
        with torch.no_grad():
            return self.head.distributions(self.teacher, batch)

    def soft_loss(self, student: list, batch):
        teacher = self.teacher_distributions(batch)
        terms = [kl_divergence(s, t, mask, self.temperature) for (s, mask), (t, _) in zip(student, teacher)]
        return sum(terms) / len(terms)

    def __call__(self, model, batch):
        student = self.head.distributions(model, batch)
        soft = self.soft_loss(student, batch) * self.temperature**2
        if self.ratio == 1:
            return soft
        return (1 - self.ratio) * self.head.loss_from(student, batch) + self.ratio * soft

    def kl(self, model, batch):
        """The KL to the teacher at the distillation temperature (validation's val_kl)."""
        return self.soft_loss(self.head.distributions(model, batch), batch)
