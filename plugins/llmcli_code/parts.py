"""The pieces generated problems are made of: conditions on a value and transforms of it,
each as Python code and as the English that describes it.

Code and phrases are templates over {v} (the value: a loop variable or an argument) and
constants such as {k} or {c}, drawn when a problem is made. Phrase variants at the same
index say the same thing, in the singular ("n is even") and the plural ("numbers that
are even").
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SMALL = tuple(range(0, 16))
DIVISORS = tuple(range(2, 10))
STEPS = tuple(range(1, 10))
LETTERS = tuple("abcdegiklmnoprstuy")


@dataclass(frozen=True)
class Condition:
    name: str
    code: str  # "{v} % 2 == 0"
    singular: tuple[str, ...]  # "is even": after a name or "it"
    plural: tuple[str, ...]  # "are even": after "numbers that"
    adjective: str = ""  # "even": "the even numbers"
    noun: str = ""  # characters: "vowels": "the vowels in s"
    constants: dict = field(default_factory=dict)  # name -> the values it is drawn from


@dataclass(frozen=True)
class Transform:
    name: str
    code: str  # "{v} * {v}"
    plural: tuple[str, ...]  # over {X}, a plural phrase with its article: "the squares of {X}"
    singular: tuple[str, ...]  # over {v}, a name: "{v} squared"
    numeric: bool = True  # whether the result is a number (sums and maxima need one)
    constants: dict = field(default_factory=dict)


def draw_constants(rng: random.Random, constants: dict) -> dict:
    """A value for each constant; a range "lo" gives two, lo and hi, distinct and in order."""
    values = {name: rng.choice(choices) for name, choices in constants.items() if name != "lo"}
    if "lo" in constants:
        values["lo"], values["hi"] = sorted(rng.sample(constants["lo"], 2))
    return values


NUMBER_CONDITIONS = (
    Condition("even", "{v} % 2 == 0", ("is even",), ("are even",), adjective="even"),
    Condition("odd", "{v} % 2 == 1", ("is odd",), ("are odd",), adjective="odd"),
    Condition("positive", "{v} > 0", ("is positive", "is greater than zero"),
              ("are positive", "are greater than zero"), adjective="positive"),
    Condition("negative", "{v} < 0", ("is negative", "is below zero"), ("are negative", "are below zero"),
              adjective="negative"),
    Condition("nonzero", "{v} != 0", ("is not zero",), ("are not zero",), adjective="nonzero"),
    Condition("gt", "{v} > {k}", ("is greater than {k}", "is more than {k}", "is above {k}"),
              ("are greater than {k}", "are more than {k}", "are above {k}"), constants={"k": SMALL}),
    Condition("lt", "{v} < {k}", ("is less than {k}", "is smaller than {k}", "is below {k}"),
              ("are less than {k}", "are smaller than {k}", "are below {k}"), constants={"k": SMALL}),
    Condition("ge", "{v} >= {k}", ("is at least {k}", "is greater than or equal to {k}"),
              ("are at least {k}", "are greater than or equal to {k}"), constants={"k": SMALL}),
    Condition("le", "{v} <= {k}", ("is at most {k}", "is less than or equal to {k}"),
              ("are at most {k}", "are less than or equal to {k}"), constants={"k": SMALL}),
    Condition("eq", "{v} == {k}", ("is equal to {k}", "equals {k}"), ("are equal to {k}", "equal {k}"),
              constants={"k": SMALL}),
    Condition("ne", "{v} != {k}", ("is not equal to {k}", "is different from {k}"),
              ("are not equal to {k}", "are different from {k}"), constants={"k": SMALL}),
    Condition("div", "{v} % {k} == 0", ("is divisible by {k}", "is a multiple of {k}"),
              ("are divisible by {k}", "are multiples of {k}"), constants={"k": DIVISORS}),
    Condition("ndiv", "{v} % {k} != 0", ("is not divisible by {k}", "is not a multiple of {k}"),
              ("are not divisible by {k}", "are not multiples of {k}"), constants={"k": DIVISORS}),
    Condition("between", "{lo} <= {v} <= {hi}", ("is between {lo} and {hi}",), ("are between {lo} and {hi}",),
              constants={"lo": tuple(range(-5, 13))}),
)

WORD_CONDITIONS = (
    Condition("starts", "{v}.startswith('{c}')", ("starts with '{c}'", "begins with '{c}'"),
              ("start with '{c}'", "begin with '{c}'"), constants={"c": LETTERS}),
    Condition("ends", "{v}.endswith('{c}')", ("ends with '{c}'",), ("end with '{c}'",), constants={"c": LETTERS}),
    Condition("contains", "'{c}' in {v}", ("contains '{c}'", "has an '{c}' in it"),
              ("contain '{c}'", "have an '{c}' in them"), constants={"c": LETTERS}),
    Condition("longer", "len({v}) > {k}", ("is longer than {k} characters", "has more than {k} characters"),
              ("are longer than {k} characters", "have more than {k} characters"), constants={"k": STEPS[:6]}),
    Condition("shorter", "len({v}) < {k}", ("is shorter than {k} characters", "has fewer than {k} characters"),
              ("are shorter than {k} characters", "have fewer than {k} characters"), constants={"k": STEPS[1:7]}),
    Condition("length", "len({v}) == {k}", ("is exactly {k} characters long", "has exactly {k} characters"),
              ("are exactly {k} characters long", "have exactly {k} characters"), constants={"k": STEPS[:6]}),
    Condition("upper", "{v}.isupper()", ("is in upper case",), ("are in upper case",)),
    Condition("lower", "{v}.islower()", ("is in lower case",), ("are in lower case",)),
    Condition("palindrome", "{v} == {v}[::-1]", ("is a palindrome", "reads the same backwards"),
              ("are palindromes", "read the same backwards")),
    Condition("capital", "{v}[:1].isupper()", ("starts with a capital letter",), ("start with a capital letter",)),
)

CHAR_CONDITIONS = (
    Condition("vowel", "{v} in 'aeiouAEIOU'", ("is a vowel",), ("are vowels",), noun="vowels"),
    Condition("digit", "{v}.isdigit()", ("is a digit",), ("are digits",), noun="digits"),
    Condition("letter", "{v}.isalpha()", ("is a letter",), ("are letters",), noun="letters"),
    Condition("upper", "{v}.isupper()", ("is an upper-case letter",), ("are upper-case letters",),
              noun="upper-case letters"),
    Condition("lower", "{v}.islower()", ("is a lower-case letter",), ("are lower-case letters",),
              noun="lower-case letters"),
    Condition("space", "{v} == ' '", ("is a space",), ("are spaces",), noun="spaces"),
    Condition("nonspace", "{v} != ' '", ("is not a space",), ("are not spaces",), noun="characters other than spaces"),
    Condition("char", "{v} == '{c}'", ("is '{c}'",), ("are '{c}'",), noun="occurrences of '{c}'",
              constants={"c": LETTERS}),
)

NUMBER_TRANSFORMS = (
    Transform("square", "{v} * {v}", ("the squares of {X}", "{X}, squared"), ("{v} squared", "the square of {v}")),
    Transform("cube", "{v} ** 3", ("the cubes of {X}", "{X}, cubed"), ("{v} cubed", "the cube of {v}")),
    Transform("double", "{v} * 2", ("{X}, each doubled", "twice each of {X}"), ("twice {v}", "{v} doubled")),
    Transform("times", "{v} * {k}", ("{X}, each multiplied by {k}", "{X} times {k}"),
              ("{v} times {k}", "{v} multiplied by {k}"), constants={"k": DIVISORS}),
    Transform("plus", "{v} + {k}", ("{X}, each increased by {k}", "{X} plus {k}"),
              ("{v} plus {k}", "{v} increased by {k}"), constants={"k": STEPS}),
    Transform("minus", "{v} - {k}", ("{X}, each decreased by {k}", "{X} minus {k}"),
              ("{v} minus {k}", "{v} decreased by {k}"), constants={"k": STEPS}),
    Transform("abs", "abs({v})", ("the absolute values of {X}",), ("the absolute value of {v}",)),
    Transform("negate", "-{v}", ("the negatives of {X}", "{X}, negated"), ("the negative of {v}", "{v} negated")),
    Transform("half", "{v} // 2", ("the halves of {X}, rounded down", "{X}, each halved and rounded down"),
              ("half of {v}, rounded down", "{v} halved and rounded down")),
    Transform("mod", "{v} % {k}", ("the remainders of {X} divided by {k}",),
              ("the remainder of {v} divided by {k}",), constants={"k": DIVISORS}),
)

WORD_TRANSFORMS = (
    Transform("upper", "{v}.upper()", ("{X} in upper case", "{X}, upper-cased"), ("{v} in upper case",),
              numeric=False),
    Transform("lower", "{v}.lower()", ("{X} in lower case", "{X}, lower-cased"), ("{v} in lower case",),
              numeric=False),
    Transform("length", "len({v})", ("the lengths of {X}",), ("the length of {v}",)),
    Transform("reverse", "{v}[::-1]", ("{X}, each reversed", "{X}, spelled backwards"),
              ("{v} reversed", "{v} spelled backwards"), numeric=False),
    Transform("first", "{v}[:1]", ("the first characters of {X}",), ("the first character of {v}",), numeric=False),
    Transform("last", "{v}[-1:]", ("the last characters of {X}",), ("the last character of {v}",), numeric=False),
    Transform("capitalize", "{v}.capitalize()", ("{X}, capitalized",), ("{v} capitalized",), numeric=False),
    Transform("twice", "{v} * 2", ("{X}, each repeated twice",), ("{v} repeated twice",), numeric=False),
    Transform("exclaim", "{v} + '!'", ("{X}, each followed by '!'",), ("{v} followed by '!'",), numeric=False),
    Transform("prefix", "{v}[:{k}]", ("{X}, each cut to its first {k} characters",),
              ("the first {k} characters of {v}",), numeric=False, constants={"k": STEPS[:4]}),
)

CHAR_TRANSFORMS = (
    Transform("upper", "{v}.upper()", ("{X} in upper case",), ("{v} in upper case",), numeric=False),
    Transform("lower", "{v}.lower()", ("{X} in lower case",), ("{v} in lower case",), numeric=False),
    Transform("twice", "{v} * 2", ("{X}, each written twice",), ("{v} written twice",), numeric=False),
)

# Words for function names: what a condition or a transform adds to "sum", "count"...
CONDITION_LABELS = {
    "even": "even", "odd": "odd", "positive": "positive", "negative": "negative", "nonzero": "nonzero",
    "gt": "above_{k}", "lt": "below_{k}", "ge": "at_least_{k}", "le": "at_most_{k}", "eq": "equal_to_{k}",
    "ne": "not_{k}", "div": "divisible_by_{k}", "ndiv": "not_divisible_by_{k}", "between": "in_range",
    "starts": "starting_with_{c}", "ends": "ending_with_{c}", "contains": "with_{c}", "longer": "longer_than_{k}",
    "shorter": "shorter_than_{k}", "length": "of_length_{k}", "upper": "upper", "lower": "lower",
    "palindrome": "palindromes", "capital": "capitalized", "vowel": "vowels", "digit": "digits",
    "letter": "letters", "space": "spaces", "nonspace": "non_spaces", "char": "{c}s",
}
TRANSFORM_LABELS = {
    "square": "squares", "cube": "cubes", "double": "doubled", "times": "times_{k}", "plus": "plus_{k}",
    "minus": "minus_{k}", "abs": "abs", "negate": "negated", "half": "halves", "mod": "mod_{k}",
    "upper": "upper", "lower": "lower", "length": "lengths", "reverse": "reversed", "first": "initials",
    "last": "last_chars", "capitalize": "capitalized", "twice": "twice", "exclaim": "exclaimed",
    "prefix": "prefixes",
}
