"""The span-extraction head: start and end scores for every context token, after the
question; answers map back to the exact characters of the context. A context longer than
the window is read in overlapping windows, and the best span of any window wins.

The core model is causal: a token sees only the words before it, so in "Ada founded the
press" the name can't know what Ada did. Models fine-tuned now (settings {"reader": true})
score spans with a SpanReader: one attention layer without the causal mask on top of the
model, through which every token sees the whole window. Older models score with a single
linear layer, as they were trained, and so do those fine-tuned from a masked-LM encoder
(settings {"reader": false}), whose every token already sees the whole window.

It reads two attributes of the task: `context_field`, the passage answers are taken from
(default "context"), and `answers_field`, the gold answers as [{"text": ..., "start":
character offset}, ...] (default "answers").
"""

from __future__ import annotations

from llmcli.heads import Head, hidden_states
from llmcli.predictions import Prediction

MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 30
NO_ANSWER = 0  # a window without the answer points at its first token (bos)
CONTEXT_FIELD = "context"  # where the passage is when the task sets no `context_field`
ANSWERS_FIELD = "answers"  # where the gold answers are when the task sets no `answers_field`


class SpanHead(Head):
    name = "span"
    description = "span extraction: the answer is a span of the context, found by start and end scores"
    zero_shot_head = "zero-shot-span"

    def context_of(self, task, example: dict) -> str:
        """The passage of an example: its `task.context_field` field."""
        return task.field(example, getattr(task, "context_field", CONTEXT_FIELD))

    def answers_of(self, task, example: dict) -> list[dict]:
        """The gold answers of an example, {"text", "start"} dicts (start: a character
        offset in the passage): its `task.answers_field` field."""
        return task.field(example, getattr(task, "answers_field", ANSWERS_FIELD))

    def references(self, task, example):
        return [answer["text"] for answer in self.answers_of(task, example)]

    def settings(self, *, task, examples):
        return {"reader": True}

    def encoder_settings(self, settings, *, task):
        return {**settings, "reader": False}  # the encoder reads both ways itself: scores straight from it

    def build(self, *, model_config, settings):
        import torch

        if settings.get("reader"):
            from llmcli.heads.span_reader import SpanReader

            return SpanReader(model_config)
        layer = torch.nn.Linear(model_config.n_embd, 2)
        torch.nn.init.normal_(layer.weight, std=0.02)
        torch.nn.init.zeros_(layer.bias)
        return layer

    def tokenizer_texts(self, *, task, example, prompt=None):
        return [task.render_prompt(example, prompt), self.context_of(task, example)]

    def windows(self, task, example, tokenizer, context, prompt, encoded: dict | None = None):
        """[(ids, first context position, offsets of the window's context tokens)].
        `encoded` keeps contexts' (ids, offsets): questions often share a context."""
        question = tokenizer.encode(task.render_prompt(example, prompt))[:MAX_QUESTION_TOKENS]
        head = [tokenizer.bos_id] + question + [tokenizer.sep_id]
        text = self.context_of(task, example)
        encoded = {} if encoded is None else encoded
        if text not in encoded:
            encoded[text] = tokenizer.encode_with_offsets(text)
        ids, offsets = encoded[text]
        width = max(8, context - len(head))
        step = max(1, width * 3 // 4)  # a quarter of each window overlaps the next
        out, start = [], 0
        while True:
            out.append((head + ids[start : start + width], len(head), offsets[start : start + width]))
            if start + width >= len(ids):
                return out
            start += step

    def encode(self, *, task, examples, tokenizer, context, settings, prompt=None):
        items, encoded = [], {}
        for example in examples:
            answers = self.answers_of(task, example)
            if not answers:
                continue
            text = self.context_of(task, example)
            first = answers[0]
            begin = first.get("start", -1)
            if text[begin : begin + len(first["text"])] != first["text"]:
                begin = text.find(first["text"])  # a wrong offset: use the first occurrence
            if begin < 0:
                continue  # the answer is not in the context: nothing to learn from
            end = begin + len(first["text"])
            for ids, offset, spans in self.windows(task, example, tokenizer, context, prompt, encoded):
                inside = [i for i, (a, b) in enumerate(spans) if a < end and b > begin]
                if inside and spans[0][0] <= begin and spans[-1][1] >= end:
                    target = (offset + inside[0], offset + inside[-1])
                else:
                    target = (NO_ANSWER, NO_ANSWER)
                items.append({"ids": ids, "start": target[0], "end": target[1]})
        return items

    def collate(self, items, pad_id):
        import torch

        from llmcli.training.example_batches import padded

        ids = padded([item["ids"] for item in items], pad_id)
        lengths = torch.tensor([len(item["ids"]) for item in items])
        starts = torch.tensor([item.get("start", 0) for item in items])
        ends = torch.tensor([item.get("end", 0) for item in items])
        return ids, lengths, starts, ends

    def scores(self, model, ids, lengths):
        """(start, end) logits (B, T) each, with padding ruled out."""
        import torch

        pad = torch.arange(ids.shape[1], device=ids.device)[None, :] >= lengths[:, None]
        hidden = hidden_states(model, ids, pad)
        from llmcli.heads.span_reader import SpanReader, reader_tables

        if isinstance(model.task_head, SpanReader):
            logits = model.task_head(hidden, *reader_tables(model, ids.shape[1]), pad).float()
        else:  # a linear layer: a model from before the SpanReader
            logits = model.task_head(hidden).float()
        logits = logits.masked_fill(pad[..., None], -1e4)
        return logits[..., 0], logits[..., 1]

    def distributions(self, model, batch):
        ids, lengths, _, _ = batch
        return [(scores, None) for scores in self.scores(model, ids, lengths)]  # start, end

    def loss_from(self, distributions, batch):
        import torch.nn.functional as F

        (start_logits, _), (end_logits, _) = distributions
        return (F.cross_entropy(start_logits, batch[2]) + F.cross_entropy(end_logits, batch[3])) / 2

    def loss(self, model, batch):
        return self.loss_from(self.distributions(model, batch), batch)

    def predict(self, bundle, examples, *, decoding=None):
        import torch

        model, tokenizer, task, prompt = bundle.model, bundle.tokenizer, bundle.task, bundle.prompt
        device = next(model.parameters()).device
        out, encoded = [], {}
        for example in examples:
            windows = self.windows(task, example, tokenizer, model.config.context, prompt, encoded)
            ids, lengths, _, _ = self.collate([{"ids": w[0]} for w in windows], tokenizer.pad_id)
            with torch.inference_mode():
                starts, ends = self.scores(model, ids.to(device), lengths.to(device))
            best = None
            for row, (_, offset, spans) in enumerate(windows):
                found = best_span(starts[row, offset : offset + len(spans)], ends[row, offset : offset + len(spans)])
                if found and (best is None or found[0] > best[0]):
                    best = (found[0], spans[found[1]][0], spans[found[2]][1])
            text = self.context_of(task, example)
            if best is None:
                out.append(Prediction("", {"start": -1, "score": float("-inf")}))
            else:  # a token carries the space before its word: the answer starts after it
                answer = text[best[1] : best[2]]
                start = best[1] + len(answer) - len(answer.lstrip())
                out.append(Prediction(answer.strip(), {"start": start, "score": best[0]}))
        return out


def best_span(starts, ends):
    """(score, first, last) of the best span with first <= last < first + MAX_ANSWER_TOKENS."""
    import torch

    n = starts.shape[0]
    if n == 0:
        return None
    total = starts[:, None] + ends[None, :]
    i = torch.arange(n)
    allowed = (i[None, :] >= i[:, None]) & (i[None, :] < i[:, None] + MAX_ANSWER_TOKENS)
    total = total.masked_fill(~allowed.to(total.device), float("-inf"))
    flat = int(total.argmax())
    return float(total.flatten()[flat]), flat // n, flat % n
