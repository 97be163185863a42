"""The grammar-en-de dataset: English-German sentence pairs from the grammar, the same on
every machine, no download.

Every sentence belongs to one split, fixed by a hash of its words (in either style, so
"the dog sleeps" and "The dog sleeps." go together): validation and test sentences never
occur in training, and the test measures translating sentences the model has not seen.
The grammar makes far more sentences than any split holds, so drawing sentences and
keeping those of the split fills it quickly.
"""

from __future__ import annotations

import random

from llmcli.datasets import split_by_hash

from llmcli_translate.grammar import sentence

SIZES = {"train": 20_000, "validation": 500, "test": 1_000}
SHARES = {"validation": 5, "test": 5}  # percent of all sentences; the rest: train
# noun phrases among the training pairs: they teach words and endings quickly; the
# validation and test splits are whole sentences
TRAIN_PHRASES = 0.2


def key(english: str) -> str:
    """The sentence without its style: lower case, no full stop."""
    return english.lower().rstrip(".")


def split_of(english: str) -> str:
    return split_by_hash(key(english), SHARES)


def generate(split: str, count: int, seed: int) -> list[dict]:
    """`count` sentence pairs of `split`, {"en": ..., "de": ...}. Validation and test
    sentences are distinct; training ones may repeat, as often as the grammar repeats them."""
    rng = random.Random(f"grammar-en-de-{seed}-{split}")
    out: list[dict] = []
    seen: set[str] = set()
    while len(out) < count:
        pair = sentence(rng, TRAIN_PHRASES if split == "train" else 0.0)
        if split_of(pair["en"]) != split:
            continue
        if split != "train":
            if key(pair["en"]) in seen:
                continue
            seen.add(key(pair["en"]))
        out.append(pair)
    return out
