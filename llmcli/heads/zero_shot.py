"""Generation by a model never fine-tuned for the task: the task's `zero_shot_prompt` (an
instruction, framed by the model's chat template where it has one) is answered by the lm
head's decoding, and the task reads the answer (`Task.zero_shot_answer`). The heads that
generate (lm) and extract spans (span) serve their tasks this way; `Head.zero_shot_head`
names the head that does it."""

from __future__ import annotations

from llmcli.heads.language_model import LanguageModelHead
from llmcli.predictions import Prediction

SPAN_ANSWER_TOKENS = 32  # an extracted answer is a phrase


class GeneratedAnswer(LanguageModelHead):
    name = "zero-shot"
    description = "zero-shot: the task's instruction answered by generation"
    zero_shot_head = "zero-shot"

    def generation_config(self, task, decoding):
        return super().generation_config(task, {**task.zero_shot_decoding, **(decoding or {})})

    def predict(self, bundle, examples, *, decoding=None):
        predictions = super().predict(bundle, examples, decoding=decoding)
        return [Prediction(bundle.task.zero_shot_answer(example, p.text), p.details)
                for example, p in zip(examples, predictions)]


class GeneratedSpan(GeneratedAnswer):
    """A span task's answer written by the model, then found in the passage (its offset,
    and the passage's own spelling of it, where it is there)."""

    name = "zero-shot-span"
    zero_shot_head = "zero-shot-span"
    streams = False  # `run` shows the answer in its passage (the task's show_output)

    def generation_config(self, task, decoding):
        return super().generation_config(task, {"max_new_tokens": SPAN_ANSWER_TOKENS, **(decoding or {})})

    def predict(self, bundle, examples, *, decoding=None):
        out = []
        for example, p in zip(examples, super().predict(bundle, examples, decoding=decoding)):
            context = str(example.get(getattr(bundle.task, "context_field", "context"), ""))
            start = context.lower().find(p.text.lower()) if p.text else -1
            text = context[start : start + len(p.text)] if start >= 0 else p.text
            out.append(Prediction(text, {**p.details, "start": start}))
        return out
