"""The story metrics: how well the model predicts held-out stories (bits per byte), and how
varied and how repetitive the stories it writes are (distinct n-grams, repeated 4-grams).

bits_per_byte reads what the story task's `predict` stores in each prediction's details:
`target_bits`, the model's summed -log2 p of the reference continuation's tokens (its end
token included), `target_bytes`, that text's length in UTF-8 bytes, and `target_tokens`,
its number of tokens (for the perplexity beside). Unlike loss per token, bits per byte
compares models with different tokenizers.
"""

from __future__ import annotations

import math
import re

from llmcli.errors import UserError

WORD = re.compile(r"\w+(?:'\w+)?")
REPEAT_N = 4


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def bits_per_byte(predictions, references, examples=None) -> dict:
    """Total bits over total bytes of the reference continuations; and the per-token
    perplexity beside, which depends on the tokenizer (bits per byte does not)."""
    bits = nbytes = tokens = 0.0
    for prediction in predictions:
        details = getattr(prediction, "details", None) or {}
        if "target_bits" not in details:
            raise UserError("bits_per_byte needs each reference's loss under the model, which the story "
                            "task's predictions carry: use it with a task that computes target_bits")
        bits += details["target_bits"]
        nbytes += details["target_bytes"]
        tokens += details.get("target_tokens", 0)
    figures = {"bits_per_byte": bits / max(1.0, nbytes)}
    if tokens:
        from llmcli.metrics.basic import perplexity

        figures["perplexity"] = perplexity(bits * math.log(2) / tokens)
    return figures


def distinct_shares(texts: list[str]) -> tuple[float, float]:
    """(distinct-1, distinct-2): unique word unigrams and bigrams over all of them, in %."""
    shares = []
    for n in (1, 2):
        grams = [g for text in texts for g in ngrams(words(text), n)]
        shares.append(100.0 * len(set(grams)) / max(1, len(grams)))
    return shares[0], shares[1]


def distinct(predictions, references, examples=None) -> dict:
    """Distinct-1 and distinct-2 of the generated stories, with the references' as a note."""
    d1, d2 = distinct_shares(list(predictions))
    r1, r2 = distinct_shares([refs[0] for refs in references])
    return {"distinct_1": d1, "distinct_2": d2,
            "distinct_of_references": f"distinct_1 {r1:.2f}, distinct_2 {r2:.2f}"}


def repeated_share(texts: list[str], n: int = REPEAT_N) -> float:
    """Of all word n-grams, the % that occurred earlier in the same text."""
    repeated = total = 0
    for text in texts:
        seen = set()
        for gram in ngrams(words(text), n):
            repeated += gram in seen
            total += 1
            seen.add(gram)
    return 100.0 * repeated / max(1, total)


def repetition_rate(predictions, references, examples=None) -> dict:
    return {"repetition_rate": repeated_share(list(predictions)),
            "repetition_of_references": f"{repeated_share([refs[0] for refs in references]):.2f}"}
