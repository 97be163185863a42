"""SQuAD's exact match and F1: answers compared after SQuAD's normalization (lower case,
no punctuation, no articles a/an/the, white space folded), each prediction scored
against its best gold answer, averaged over questions, in %."""

from __future__ import annotations

import re
import string
from collections import Counter

PUNCTUATION = set(string.punctuation)
ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    text = "".join(c for c in text.lower() if c not in PUNCTUATION)
    return " ".join(ARTICLES.sub(" ", text).split())


def f1(prediction: str, gold: str) -> float:
    """Word-overlap F1 after normalization; no words in common (or none at all) scores 0."""
    predicted, wanted = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(predicted) & Counter(wanted)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(wanted)
    return 2 * precision * recall / (precision + recall)


def best(score, predictions, references) -> float:
    scores = [max((score(p, g) for g in golds), default=0.0) for p, golds in zip(predictions, references)]
    return 100.0 * sum(scores) / max(1, len(scores))


def squad_em(predictions, references, examples=None) -> dict:
    return {"squad_em": best(lambda p, g: float(normalize_answer(p) == normalize_answer(g)), predictions, references)}


def squad_f1(predictions, references, examples=None) -> dict:
    return {"squad_f1": best(f1, predictions, references)}
