"""Zero-shot classification: the label whose word the model finds likeliest as the answer
to the task's instruction. Each label's words (the task's `label_words`: label -> a word,
or several spellings) are scored by the summed log-probabilities of their tokens after the
prompt (after the assistant's turn begins, for a model with a chat template); a label with
several spellings gets the sum of their probabilities. No free generation, so the answer is
always one of the labels, with a probability for each."""

from __future__ import annotations

import math

from llmcli.errors import UserError
from llmcli.heads.chat_prompts import instruction_ids
from llmcli.heads.classification import ClassificationHead
from llmcli.predictions import Prediction

ROWS_PER_BATCH = 16  # prompt + spelling rows scored in one forward pass


def label_words(task) -> dict[str, tuple[str, ...]]:
    """{label: its spellings} from the task's `label_words`, or each label as its own word."""
    given = getattr(task, "label_words", None) or {label: label for label in getattr(task, "labels", ())}
    if len(given) < 2:
        raise UserError(f"task {task.name} names no label words (`label_words`) for zero-shot use: "
                        f"fine-tune a model for it with `llmcli finetune {task.name}`")
    return {str(label): (words,) if isinstance(words, str) else tuple(words) for label, words in given.items()}


class LabelLikelihood(ClassificationHead):
    name = "zero-shot-classify"
    description = "zero-shot classification: the likeliest label word after the instruction"
    zero_shot_head = "zero-shot-classify"

    def zero_shot_settings(self, *, task, tokenizer):
        return {**super().zero_shot_settings(task=task, tokenizer=tokenizer), "labels": list(label_words(task))}

    def predict(self, bundle, examples, *, decoding=None):
        words = label_words(bundle.task)
        scores = self.scores(bundle, examples, words)
        out = []
        for row in scores:
            top = max(row.values())
            weights = {label: math.exp(s - top) for label, s in row.items()}
            total = sum(weights.values())
            best = max(row, key=row.__getitem__)
            out.append(Prediction(best, {"probabilities": {k: w / total for k, w in weights.items()},
                                         "log_probs": row}))
        return out

    def scores(self, bundle, examples: list[dict], words: dict) -> list[dict[str, float]]:
        """Each example's {label: log-probability of the label's words after its prompt}."""
        tokenizer, chat = bundle.tokenizer, bundle.settings.get("chat", False)
        spellings = [(label, spelling) for label, options in words.items() for spelling in options]
        # after a plain prompt a word follows a space; in a chat it begins the answer
        spelled = [tokenizer.encode(s if chat else " " + s) for _, s in spellings]
        longest = max(len(ids) for ids in spelled)
        room = bundle.model.config.context - longest
        rows = []
        for example in examples:
            prompt = instruction_ids(tokenizer, bundle.task.render_prompt(example, bundle.prompt), room, chat)
            rows.extend((prompt, ids) for ids in spelled)
        logps = sequence_log_probs(bundle.model, rows, tokenizer.pad_id)
        out = []
        for i in range(len(examples)):
            mine = logps[i * len(spellings) : (i + 1) * len(spellings)]
            row: dict[str, float] = {}
            for (label, _), lp in zip(spellings, mine):
                row[label] = lp if label not in row else log_add(row[label], lp)
            out.append(row)
        return out


def log_add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)), without overflow: the probability of either spelling."""
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def sequence_log_probs(model, rows: list[tuple[list[int], list[int]]], pad_id: int) -> list[float]:
    """For each (prompt, continuation): the summed log-probability of the continuation's
    tokens after the prompt. A one-token continuation needs only the prompt's last logits,
    so rows of one prompt share a forward pass; rows are padded on the right, which a
    causal model never sees."""
    import torch

    device = next(model.parameters()).device
    passes: dict[tuple, list[int]] = {}  # the ids a forward pass reads -> the rows it scores
    for i, (prompt, cont) in enumerate(rows):
        key = tuple(prompt) if len(cont) == 1 else tuple(prompt + cont[:-1])
        passes.setdefault(key, []).append(i)
    out = [0.0] * len(rows)
    keys = list(passes)
    with torch.inference_mode():
        for start in range(0, len(keys), ROWS_PER_BATCH):
            chunk = keys[start : start + ROWS_PER_BATCH]
            ids = torch.full((len(chunk), max(map(len, chunk))), pad_id, dtype=torch.long)
            for r, seq in enumerate(chunk):
                ids[r, : len(seq)] = torch.tensor(seq)
            hidden = model.hidden_states(ids.to(device))
            for r, seq in enumerate(chunk):
                for i in passes[seq]:
                    prompt, cont = rows[i]
                    at = torch.arange(len(prompt) - 1, len(prompt) + len(cont) - 1, device=device)
                    logp = model.logits(hidden[r, at]).float().log_softmax(-1)
                    out[i] = logp[torch.arange(len(cont)), torch.tensor(cont, device=device)].sum().item()
    return out
