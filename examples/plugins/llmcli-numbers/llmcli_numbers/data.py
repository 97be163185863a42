"""The numbers-words dataset, generated: the same examples every time, no download.

Every number from 0 to 99 is in the training split: each has words of its own
("seventeen") that no other example could teach. Numbers from 100 up are given to one
split by a hash of the number, so validation and test numbers never occur in training
and the test measures how well the model composes words it has seen.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache

from llmcli_numbers.words import LARGEST, to_digits, to_words

SIZES = {"train": 20_000, "validation": 300, "test": 500}
SHARES = {"validation": 5, "test": 5}  # percent of the numbers from 100 up; the rest: train
# how often training examples have 1, 2, ... 5 digits (most numbers have 5)
TRAIN_DIGITS = {1: 0.04, 2: 0.08, 3: 0.18, 4: 0.30, 5: 0.40}
ALWAYS_TRAIN = 100  # numbers below this are all training examples


def split_of(n: int) -> str:
    """The split a number belongs to, fixed by its hash."""
    if n < ALWAYS_TRAIN:
        return "train"
    bucket = int.from_bytes(hashlib.blake2b(str(n).encode(), digest_size=4).digest(), "big") % 100
    if bucket < SHARES["validation"]:
        return "validation"
    if bucket < SHARES["validation"] + SHARES["test"]:
        return "test"
    return "train"


@lru_cache(maxsize=None)
def pools(split: str) -> dict[int, list[int]]:
    """The split's numbers, by how many digits they have."""
    out: dict[int, list[int]] = {}
    for n in range(LARGEST + 1):
        if split_of(n) == split:
            out.setdefault(len(str(n)), []).append(n)
    return out


def example(n: int) -> dict:
    return {"number": to_digits(n), "words": to_words(n)}


def generate(split: str, count: int, seed: int) -> list[dict]:
    """`count` examples of `split`. Training numbers are drawn with replacement, with the
    digit counts of TRAIN_DIGITS; validation and test numbers are distinct, taken in turn
    from 3-, 4- and 5-digit numbers."""
    rng = random.Random(f"numbers-{seed}-{split}")
    by_digits = pools(split)
    if split == "train":
        lengths = sorted(TRAIN_DIGITS)
        weights = [TRAIN_DIGITS[d] for d in lengths]
        return [example(rng.choice(by_digits[d])) for d in rng.choices(lengths, weights, k=count)]
    queues = []
    for digits in sorted(by_digits):
        numbers = list(by_digits[digits])
        rng.shuffle(numbers)
        queues.append(numbers)
    out: list[dict] = []
    while len(out) < count and any(queues):
        for queue in queues:
            if queue and len(out) < count:
                out.append(example(queue.pop()))
    return out
