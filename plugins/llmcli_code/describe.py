"""What `llmcli run code "return the largest of three numbers"` turns a description into: the
prompt the model was trained on, a def line and a docstring,

    def largest_of_three_numbers(a, b, c):
        \"\"\"Return the largest of three numbers.\"\"\"

the function's name made of the description's words, its arguments the names the
description mentions, or guessed from what it talks about. A def line typed in full is
taken as it is.
"""

from __future__ import annotations

import keyword
import re

from llmcli.errors import UserError

# leading words that say "write a function", not what it does
PREAMBLE = re.compile(r"^(please\s+)?((write|create|make|implement|define)\s+)?(an?\s+)?((python\s+)?"
                      r"function\s+)?((that|which|to)\s+)?", re.IGNORECASE)
VERBS = {"return", "returns", "compute", "computes", "calculate", "calculates", "find", "finds", "get", "gets",
         "give", "gives", "determine", "determines"}
SKIP = {"the", "a", "an", "all", "given", "its", "their"}
COUNTS = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
LETTERS = ("a", "b", "c", "d")
# names the training descriptions give arguments: a description that mentions one means it
# (not the ones that are also common nouns: "words", "values", "data")
NAMES = ("nums", "xs", "lst", "arr", "s", "text", "n", "m", "x", "y", "z", "lo", "hi", "limit", "year", "base", "exp",
         "celsius", "num")
# what a description talks about, and the argument that goes with it (the first that matches)
TOPICS = ((("list", "lists", "numbers", "elements", "values", "integers"), ("nums",)),
          (("words", "strings", "names"), ("words",)),
          (("string", "text", "sentence", "word", "characters", "letters", "vowels", "consonants", "digits"), ("s",)),
          (("year",), ("year",)), (("celsius",), ("celsius",)))


def prompt_for(description: str) -> tuple[str, str]:
    """(prompt, function name) for what the user typed."""
    text = " ".join(description.split())
    if not text:
        raise UserError("describe the function, e.g. \"return the largest of three numbers\", or type its def line")
    if text.startswith("def "):
        return def_line(description.strip())
    text = PREAMBLE.sub("", text) or text
    first, _, rest = text.partition(" ")
    if first.lower() in VERBS and first.lower().endswith("s"):  # "returns the sum": the docstrings say "Return"
        text = f"{first[:-1]} {rest}".strip()
    name = function_name(text)
    docstring = text[0].upper() + text[1:]
    if docstring[-1] not in ".?!":
        docstring += "."
    docstring = docstring.replace('"""', "'''")
    return f'def {name}({", ".join(arguments(text))}):\n    """{docstring}"""\n', name


def def_line(text: str) -> tuple[str, str]:
    match = re.match(r"def\s+([A-Za-z_]\w*)\s*\(", text)
    if not match:
        raise UserError(f"{text.splitlines()[0]!r} is not a def line: type one like `def add(a, b):`, "
                        "or describe the function")
    if not text.rstrip().endswith((":", '"""', "'''")):
        text = text.rstrip() + ":"
    return text.rstrip() + "\n", match.group(1)


def function_name(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    while words and (words[0] in VERBS or words[0] in SKIP):
        words.pop(0)
    kept = [w for w in words if w not in SKIP][:4]
    while kept and kept[-1] in ("of", "in", "and", "or", "to", "from", "with", "if"):
        kept.pop()
    name = "_".join(kept)[:40].strip("_") or "solution"
    if name[0].isdigit():
        name = "f_" + name
    return name + "_" if keyword.iskeyword(name) else name


def arguments(text: str) -> list[str]:
    """The argument names a description mentions, or a guess from its words."""
    words = re.findall(r"[A-Za-z_]\w*", text)
    mentioned = [w for w in dict.fromkeys(words) if w in NAMES]
    singles = [w for w in dict.fromkeys(words) if w in LETTERS[1:]]
    if singles:  # "a, b and c": "a" is a name, not an article, when "b" is there too
        mentioned = [w for w in dict.fromkeys(words) if w in LETTERS] + mentioned
    if mentioned:
        return mentioned
    lower = [w.lower() for w in re.findall(r"\w+", text)]
    for i, word in enumerate(lower[:-1]):
        if word in COUNTS and lower[i + 1] in ("numbers", "integers", "values", "strings", "words"):
            return list(LETTERS[: COUNTS[word]])
    for topic, names in TOPICS:
        if any(w in topic for w in lower):
            return list(names)
    return ["n"]
