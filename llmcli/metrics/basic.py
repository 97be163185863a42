"""The shared metrics every task may use: exact match, accuracy, macro-F1, token F1."""

from __future__ import annotations

import re
from collections import Counter

from llmcli.metrics import Metric


def normalize_text(text: str) -> str:
    """Lower case, white space folded: what most exact-match scores compare."""
    return " ".join(text.lower().split())


def exact_match(predictions, references, examples=None) -> dict:
    hits = sum(
        any(normalize_text(p) == normalize_text(r) for r in refs) for p, refs in zip(predictions, references)
    )
    return {"exact_match": 100.0 * hits / max(1, len(predictions))}


def accuracy(predictions, references, examples=None) -> dict:
    hits = sum(p == refs[0] for p, refs in zip(predictions, references))
    return {"accuracy": 100.0 * hits / max(1, len(predictions))}


def macro_f1(predictions, references, examples=None) -> dict:
    """F1 per class (as the gold labels and predictions name them), averaged unweighted."""
    gold = [refs[0] for refs in references]
    scores = []
    for label in sorted(set(gold) | set(predictions)):
        tp = sum(p == label and g == label for p, g in zip(predictions, gold))
        fp = sum(p == label and g != label for p, g in zip(predictions, gold))
        fn = sum(p != label and g == label for p, g in zip(predictions, gold))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return {"macro_f1": 100.0 * sum(scores) / max(1, len(scores))}


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def token_f1(predictions, references, examples=None) -> dict:
    """Word-overlap F1 between prediction and reference, the best over references."""
    def f1(pred: str, ref: str) -> float:
        p, r = words(pred), words(ref)
        if not p or not r:
            return float(p == r)
        common = sum((Counter(p) & Counter(r)).values())
        if not common:
            return 0.0
        precision, recall = common / len(p), common / len(r)
        return 2 * precision * recall / (precision + recall)

    scores = [max(f1(p, r) for r in refs) for p, refs in zip(predictions, references)]
    return {"token_f1": 100.0 * sum(scores) / max(1, len(scores))}


BASIC_METRICS = [
    Metric("exact_match", exact_match, "share of outputs equal to a reference (case and spacing ignored), %"),
    Metric("accuracy", accuracy, "share of predicted labels equal to the gold label, %"),
    Metric("macro_f1", macro_f1, "F1 of each class, averaged over classes, %"),
    Metric("token_f1", token_f1, "word-overlap F1 with the best reference, %"),
]


def perplexity(nats_per_token: float) -> float:
    """exp of the mean cross-entropy per token: how many tokens the model is choosing
    between, on average. It depends on the tokenizer (a model with longer tokens has a
    higher one for the same text): compare models by bits per byte."""
    import math

    return math.exp(min(nats_per_token, 700.0))  # beyond that exp overflows; no model is that lost
