"""Test inputs for generated problems, drawn by the kind of each argument."""

from __future__ import annotations

import random

# words of many lengths and first letters, palindromes, capitals and upper case among them
WORDS = ("apple", "banana", "cherry", "kiwi", "level", "noon", "radar", "Anna", "Bob", "sky", "tree", "ocean",
         "python", "code", "data", "moon", "sun", "star", "ABC", "HELLO", "xyz", "a", "an", "book", "cat", "dog",
         "egg", "ice", "idea", "owl", "umbrella", "zebra", "rock", "paper", "stone", "river", "Lima", "Oslo",
         "tomato", "grape", "melon", "mango", "lemon", "peach", "plum", "pear", "rotor", "kayak", "civic", "OK",
         "USA", "map", "cup", "bed", "garden", "window", "yellow", "purple", "silver", "eye", "nun", "tot")
CHARACTERS = "abcdeiostuxyzABCEIOXZ0123456789   "


def draw(kind: str, rng: random.Random):
    """One value for an argument of this kind."""
    if kind == "int":
        return rng.randint(-20, 30)
    if kind == "nat":
        return rng.randint(0, 12)
    if kind == "bound":
        return rng.randint(-5, 15)
    if kind == "big":
        return rng.randint(0, 10 ** rng.randint(1, 5) - 1)
    if kind == "small":
        return rng.randint(0, 15)
    if kind == "pos":
        return rng.randint(1, 60)
    if kind == "prime":
        return rng.randint(-3, 60)
    if kind == "year":
        return rng.choice((1900, 2000, 2100, 2400)) if rng.random() < 0.3 else rng.randint(1800, 2400)
    if kind == "ints":
        return [rng.randint(-10, 20) for _ in range(rng.randint(0, 8))]
    if kind == "words":
        return [rng.choice(WORDS) for _ in range(rng.randint(0, 6))]
    if kind == "word":
        return rng.choice(WORDS)
    if kind == "text":
        return "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(0, 12)))
    if kind == "phrase":
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            text = " " * rng.randint(1, 2) + text + " " * rng.randint(0, 2)
        return text
    raise ValueError(f"unknown argument kind {kind!r}")
