"""Numbers in English words, the way a cheque is written in the US: no "and", hyphens
between tens and ones ("four hundred seven", "twelve thousand thirty-one")."""

from __future__ import annotations

LARGEST = 99_999

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen").split()
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def below_hundred(n: int) -> str:
    if n < 20:
        return ONES[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [f"{ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        parts.append(below_hundred(rest))
    return " ".join(parts)


def to_words(n: int) -> str:
    """0 -> "zero", 12031 -> "twelve thousand thirty-one"; 0 <= n <= LARGEST."""
    if not 0 <= n <= LARGEST:
        raise ValueError(f"{n} is outside 0..{LARGEST:,}")
    if n == 0:
        return "zero"
    thousands, rest = divmod(n, 1000)
    parts = [f"{below_thousand(thousands)} thousand"] if thousands else []
    if rest:
        parts.append(below_thousand(rest))
    return " ".join(parts)


def to_digits(n: int) -> str:
    """How the task writes a number: with a comma between thousands, "12,031"."""
    return f"{n:,}"
