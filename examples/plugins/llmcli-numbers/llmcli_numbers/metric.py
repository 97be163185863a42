"""word_error_rate: how many words must be changed, added or removed to turn each
prediction into its reference, per hundred reference words (lower is better)."""

from __future__ import annotations


def edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two lists of words."""
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1]


def word_error_rate(predictions, references, examples=None) -> dict:
    """Edits summed over the examples, divided by the reference words, in %. Words are
    split at white space and compared in lower case; with several references, the
    closest counts."""
    edits = words = 0
    for prediction, refs in zip(predictions, references):
        predicted = prediction.lower().split()
        best = min((edit_distance(predicted, ref.lower().split()), len(ref.split())) for ref in refs)
        edits += best[0]
        words += best[1]
    return {"word_error_rate": 100.0 * edits / max(1, words)}
