"""Invented names for the generated paragraphs: people, towns, rivers and ships that
exist nowhere, built from syllables. Each name belongs to one split, fixed by its hash,
so no name of a test paragraph ever occurs in training."""

from __future__ import annotations

import random

from llmcli.datasets import split_by_hash

ONSETS = ("b br c d dr f g gr h j k l m n p pr r s sh st t th tr v w z "
          "b d k l m n r s t v").split()
VOWELS = "a e i o u a e i o ai ea ou y".split()
CODAS = ("", "", "", "n", "r", "l", "s", "m", "nd", "rk", "st", "th", "ll", "v")
TOWN_ENDINGS = ("ford wick holm mere dale by stead port ton haven bury field moor "
                "bridge wood hill").split()
SURNAME_ENDINGS = ("", "", "", "son", "ane", "ick", "ard", "er", "ow", "in", "el")
SHARES = {"validation": 10, "test": 10}  # percent of all names; the rest are for training


def split_of(name: str) -> str:
    """The split a name belongs to, by a hash of the name."""
    return split_by_hash(name.lower(), SHARES)


def syllables(rng: random.Random, count: int) -> str:
    parts = []
    for i in range(count):
        coda = rng.choice(CODAS) if i == count - 1 or rng.random() < 0.3 else ""
        parts.append(rng.choice(ONSETS) + rng.choice(VOWELS) + coda)
    return "".join(parts)


class Namer:
    """Draws names of one split, never the same one twice in a paragraph."""

    def __init__(self, rng: random.Random, split: str):
        self.rng, self.split = rng, split
        self.used: set[str] = set()

    def fresh(self, make) -> str:
        while True:
            name = make(self.rng).capitalize()
            if len(name) >= 3 and split_of(name) == self.split and name not in self.used:
                self.used.add(name)
                return name

    def first_name(self) -> str:
        return self.fresh(lambda r: syllables(r, r.choice((1, 2, 2))))

    def surname(self) -> str:
        return self.fresh(lambda r: syllables(r, r.choice((1, 2))) + r.choice(SURNAME_ENDINGS))

    def town(self) -> str:
        return self.fresh(lambda r: syllables(r, r.choice((1, 1, 2))) + r.choice(TOWN_ENDINGS))

    def river(self) -> str:
        return self.fresh(lambda r: syllables(r, 2))

    def ship(self) -> str:
        return self.fresh(lambda r: syllables(r, 2) + r.choice(("a", "ia", "", "")))
