"""The composed kinds of problem in the built-in dataset: aggregates over a sequence, branches
on a value, and chains of arithmetic or string steps. Each maker draws one Problem from a
random.Random: what it computes (its key, which decides its split), the function's name
and arguments, a description in plain English, and the body that solves it.

The parts multiply (operation x sequence x condition x transform x constants), so a test
problem is a combination no training problem has, made of parts training problems have.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from llmcli_code.parts import (CHAR_CONDITIONS, CHAR_TRANSFORMS, CONDITION_LABELS, DIVISORS, LETTERS,
                               NUMBER_CONDITIONS, NUMBER_TRANSFORMS, STEPS, TRANSFORM_LABELS, WORD_CONDITIONS,
                               WORD_TRANSFORMS, Condition, Transform, draw_constants)

INDENT = "    "
GENERIC_NAMES = ("solve", "compute", "process", "calc", "f", "func", "helper", "answer", "task", "result")


@dataclass
class Problem:
    key: tuple  # what it computes, names and wording aside
    name: str
    args: tuple[str, ...]
    kinds: tuple[str, ...]  # how each argument's test values are drawn (inputs.py)
    description: str
    body: list[str]  # lines, from the function's own indentation
    core: bool = False  # a basic problem: always in the training split


def argument_names(rng: random.Random, choices: tuple) -> tuple:
    """Mostly the first (usual) names, sometimes others: a model learns to copy them."""
    return choices[0] if rng.random() < 0.85 else rng.choice(choices)


def function_name(rng: random.Random, parts: list[str]) -> str:
    """Mostly the parts joined ("sum_squares_even"); sometimes a name that says nothing,
    so that the description, not the name, is what a model learns to read."""
    if rng.random() < 0.25:
        return rng.choice(GENERIC_NAMES)
    return "_".join(p for p in parts if p).replace("-", "minus_")


# -- aggregates: an operation over the elements of a sequence -----------------------------


@dataclass(frozen=True)
class Source:
    name: str
    element: str  # "number", "word" or "char"
    args: tuple[tuple[str, ...], ...]  # alternative names for its arguments
    kinds: tuple[str, ...]
    iterable: str  # what is looped over, given the arguments {0}, {1}
    var: str
    nouns: tuple[tuple[str, str], ...]  # (singular, plural)
    places: tuple[str, ...]


SOURCES = (
    Source("list", "number", (("nums",), ("numbers",), ("values",), ("xs",), ("lst",), ("data",)), ("ints",),
           "{0}", "x", (("number", "numbers"), ("value", "values"), ("element", "elements")),
           ("in {0}", "in the list {0}")),
    Source("range", "number", (("n",), ("limit",), ("top",), ("m",)), ("nat",), "range(1, {0} + 1)", "x",
           (("number", "numbers"), ("integer", "integers")), ("from 1 to {0}",)),
    Source("span", "number", (("lo", "hi"), ("start", "end"), ("a", "b"), ("low", "high")), ("bound", "bound"),
           "range({0}, {1} + 1)", "x", (("number", "numbers"), ("integer", "integers")), ("from {0} to {1}",)),
    Source("digits", "number", (("n",), ("num",), ("number",)), ("big",), "map(int, str({0}))", "x",
           (("digit", "digits"),), ("of {0}",)),
    Source("words", "word", (("words",), ("strings",), ("names",), ("items",), ("lst",)), ("words",), "{0}", "w",
           (("word", "words"), ("string", "strings")), ("in {0}", "in the list {0}")),
    Source("chars", "char", (("s",), ("text",), ("word",), ("line",)), ("text",), "{0}", "c",
           (("character", "characters"),), ("in {0}",)),
)
CONDITIONS = {"number": NUMBER_CONDITIONS, "word": WORD_CONDITIONS, "char": CHAR_CONDITIONS}
TRANSFORMS = {"number": NUMBER_TRANSFORMS, "word": WORD_TRANSFORMS, "char": CHAR_TRANSFORMS}


@dataclass(frozen=True)
class Operation:
    """An operation over the elements, one expression with a generator or comprehension in
    it: short enough for a small model to learn in minutes."""

    name: str
    words: tuple[str, ...]  # for function names
    phrases: tuple[str, ...]  # over {T} (the elements, transformed, with "the") or {I} (without)
    expression: str  # over {e} (an element, transformed), {v}, {src}, {test} and {cond} (" if {test}")
    condition: str = "optional"  # "required", "optional" or "or-transform" (one of the two)
    transform: bool = True
    numeric: bool = False  # the elements (transformed) must be numbers
    elements: tuple[str, ...] = ("number", "word", "char")


OPERATIONS = (
    Operation("sum", ("sum", "total"),
              ("Return the sum of {T}.", "Add up {T} and return the total.", "Return the total of {T}."),
              expression="sum({e} for {v} in {src}{cond})", numeric=True),
    Operation("count", ("count", "how_many"),
              ("Return the number of {I}.", "Count the {I}.", "Return how many {I} there are."),
              expression="len([{v} for {v} in {src}{cond}])", condition="required", transform=False),
    Operation("max", ("largest", "max"), ("Return the largest of {T}.", "Return the maximum of {T}."),
              expression="max({e} for {v} in {src}{cond})", numeric=True),
    Operation("min", ("smallest", "min"), ("Return the smallest of {T}.", "Return the minimum of {T}."),
              expression="min({e} for {v} in {src}{cond})", numeric=True),
    Operation("list", ("collect", "select", "list"),
              ("Return a list of {T}.", "Return {T}, as a list.",),
              expression="[{e} for {v} in {src}{cond}]", condition="or-transform"),
    Operation("join", ("join", "keep"),
              ("Return a string of {T}.", "Join {T} into one string and return it."),
              expression="''.join({e} for {v} in {src}{cond})", condition="or-transform", elements=("char",)),
    Operation("any", ("any", "has"),
              ("Return True if any {one} {place} {is_}, and False otherwise.",
               "Check whether at least one {one} {place} {is_}."),
              expression="any({test} for {v} in {src})", condition="required", transform=False),
    Operation("all", ("all",),
              ("Return True if every {one} {place} {is_}, and False otherwise.",
               "Check whether all {many} {place} {are}."),
              expression="all({test} for {v} in {src})", condition="required", transform=False),
)


def aggregate(rng: random.Random) -> Problem | None:
    """"Return the sum of the squares of the even numbers in nums." None: the parts drawn
    don't go together (the caller draws again)."""
    source = rng.choice(SOURCES)
    operation = rng.choice([op for op in OPERATIONS if source.element in op.elements])
    condition = cvalues = transform = None
    tvalues: dict = {}
    if operation.condition == "required" or rng.random() < 0.65:
        condition = rng.choice(CONDITIONS[source.element])
        cvalues = draw_constants(rng, condition.constants)
    # both a condition and a transform make the longest problems: less often
    if operation.transform and rng.random() < (0.25 if condition else 0.5):
        transform = rng.choice(TRANSFORMS[source.element])
        tvalues = draw_constants(rng, transform.constants)
    numeric = transform.numeric if transform else source.element == "number"
    if operation.numeric and not numeric:
        return None
    if operation.condition == "or-transform" and not (condition or transform):
        return None
    names = argument_names(rng, source.args)
    var = source.var
    e = transform.code.format(v=var, **tvalues) if transform else var
    test = condition.code.format(v=var, **cvalues) if condition else ""
    src = source.iterable.format(*names)
    body = ["return " + operation.expression.format(e=e, v=var, src=src, test=test, cond=f" if {test}" if test else "")]
    description = describe_aggregate(rng, operation, source, names, condition, cvalues, transform, tvalues)
    name = function_name(rng, [rng.choice(operation.words),
                               TRANSFORM_LABELS[transform.name].format(**tvalues) if transform else "",
                               CONDITION_LABELS[condition.name].format(**cvalues) if condition else ""])
    key = ("aggregate", operation.name, source.name, condition and condition.name, sorted((cvalues or {}).items()),
           transform and transform.name, sorted(tvalues.items()))
    return Problem(key, name, names, source.kinds, description, body)


def describe_aggregate(rng, operation: Operation, source: Source, names, condition: Condition | None, cvalues,
                       transform: Transform | None, tvalues) -> str:
    one, many = rng.choice(source.nouns)
    place = rng.choice(source.places).format(*names)
    if condition is None:
        items = f"{many} {place}"
    else:
        variant = rng.randrange(len(condition.plural))
        style = rng.random()
        if condition.noun and style < 0.7:
            items = f"{condition.noun} {place}"
        elif condition.adjective and style < 0.6:
            items = f"{condition.adjective} {many} {place}"
        else:
            items = f"{many} {place} that {condition.plural[variant]}"
        items = items.format(**cvalues)
    everything = f"the {items}"
    if transform:
        everything = rng.choice(transform.plural).format(X=everything, **tvalues)
    words = {"T": everything, "I": items, "one": one, "many": many, "place": place}
    if condition:
        variant = rng.randrange(len(condition.plural))
        words.update(is_=condition.singular[variant].format(**cvalues), are=condition.plural[variant].format(**cvalues))
    return rng.choice(operation.phrases).format(**words)


# -- branches: a value chosen by a condition on the argument ------------------------------

WORD_VALUES = ("yes", "no", "big", "small", "high", "low", "hot", "cold", "on", "off", "pass", "fail", "good",
               "bad", "left", "right", "up", "down", "red", "green", "even", "odd", "ok", "error")


def branch(rng: random.Random) -> Problem | None:
    """"Return 'big' if n is greater than 10, otherwise 'small'." and the like, with two or
    three outcomes, or True and False."""
    numeric = rng.random() < 0.65
    arg = argument_names(rng, ("n", "x", "num", "value", "number") if numeric else ("s", "word", "text", "name"))
    conditions = NUMBER_CONDITIONS if numeric else WORD_CONDITIONS
    shape = rng.choice(("bool", "bool", "two", "two", "two", "three"))
    chosen = rng.sample(conditions, 2 if shape == "three" else 1)
    drawn = [(c, draw_constants(rng, c.constants)) for c in chosen]
    tests = [c.code.format(v=arg, **values) for c, values in drawn]
    preds = [rng.choice(c.singular).format(**values) for c, values in drawn]
    condition_key = [(c.name, sorted(values.items())) for c, values in drawn]
    label = CONDITION_LABELS[chosen[0].name].format(**drawn[0][1])
    kinds = ("int",) if numeric else ("word",)
    if shape == "bool":
        description = rng.choice(("Return True if {a} {p}, otherwise False.", "Return whether {a} {p}.",
                                  "Check whether {a} {p}.")).format(a=arg, p=preds[0])
        name = function_name(rng, ["is", label])
        return Problem(("branch", numeric, shape, condition_key), name, (arg,), kinds, description,
                       [f"return {tests[0]}"])
    values = outcomes(rng, arg, numeric, 3 if shape == "three" else 2)
    if values is None:
        return None
    codes, phrases, value_key = zip(*values)
    body = []
    for test, code in zip(tests, codes):
        body += [f"if {test}:", f"{INDENT}return {code}"]
    body.append(f"return {codes[-1]}")
    if shape == "two":
        template = rng.choice(("Return {v0} if {a} {p0}, otherwise {v1}.",
                               "If {a} {p0}, return {v0}; otherwise return {v1}."))
    else:
        template = rng.choice(("Return {v0} if {a} {p0}, {v1} if it {p1}, and {v2} otherwise.",
                               "If {a} {p0}, return {v0}; if it {p1}, return {v1}; otherwise return {v2}."))
    description = template.format(a=arg, **{f"p{i}": p for i, p in enumerate(preds)},
                                  **{f"v{i}": v for i, v in enumerate(phrases)})
    name = function_name(rng, ["choose" if shape == "three" else "pick", "by", label])
    return Problem(("branch", numeric, shape, condition_key, value_key), name, (arg,), kinds, description, body)


def outcomes(rng: random.Random, arg: str, numeric: bool, count: int):
    """`count` distinct return values, all of one kind: (code, phrase, key) each."""
    kind = rng.choice(("word", "int", "expr"))
    if kind == "word":
        words = rng.sample(WORD_VALUES, count)
        return [(repr(w), repr(w), w) for w in words]
    if kind == "int":
        numbers = rng.sample(range(-5, 21), count)
        return [(str(n), str(n), n) for n in numbers]
    transforms = rng.sample(NUMBER_TRANSFORMS if numeric else WORD_TRANSFORMS, count)
    values = []
    for i, transform in enumerate(transforms):
        constants = draw_constants(rng, transform.constants)
        if i == count - 1 and rng.random() < 0.4:  # the last outcome: often the argument as it is
            values.append((arg, rng.choice(("{v} itself", "{v} unchanged")).format(v=arg), "same"))
        else:
            values.append((transform.code.format(v=arg, **constants),
                           rng.choice(transform.singular).format(v=arg, **constants),
                           (transform.name, sorted(constants.items()))))
    return values


# -- chains of steps: arithmetic on numbers, methods on strings ---------------------------

ATOM, POSTFIX, POWER, UNARY, PRODUCT, SUM = 9, 8, 5, 4, 2, 1


@dataclass(frozen=True)
class Step:
    name: str
    label: str  # for function names
    first: str  # "Add {k} to {x}": the first step names the argument
    later: str  # "add {k}"
    form: str  # "binary", "postfix", "prefix" or "call"
    code: str  # over {e} (the expression so far) and the constants
    precedence: int
    constants: dict


def apply(step: Step, expression: str, precedence: int, values: dict) -> tuple[str, int]:
    """The expression with one more step, parenthesized where Python needs it."""
    if step.form == "call":
        return step.code.format(e=expression, **values), ATOM
    if step.form == "postfix":
        operand = expression if precedence >= POSTFIX else f"({expression})"
        return operand + step.code.format(**values), POSTFIX
    if step.form == "prefix":  # the expression on the right: '!' + s, -n
        operand = expression if precedence > step.precedence else f"({expression})"
        return step.code.format(e=operand, **values), step.precedence
    operand = expression if precedence >= step.precedence else f"({expression})"
    if step.name == "square":  # ** binds tighter than unary minus: -n ** 2 is -(n ** 2)
        operand = expression if precedence > POWER and precedence != UNARY else f"({expression})"
    return step.code.format(e=operand, **values), step.precedence


ARITHMETIC_STEPS = (
    Step("add", "add_{k}", "Add {k} to {x}", "add {k}", "binary", "{e} + {k}", SUM, {"k": STEPS}),
    Step("sub", "sub_{k}", "Subtract {k} from {x}", "subtract {k}", "binary", "{e} - {k}", SUM, {"k": STEPS}),
    Step("mul", "times_{k}", "Multiply {x} by {k}", "multiply by {k}", "binary", "{e} * {k}", PRODUCT,
         {"k": DIVISORS}),
    Step("div", "div_{k}", "Divide {x} by {k}, rounding down", "divide by {k}, rounding down", "binary",
         "{e} // {k}", PRODUCT, {"k": DIVISORS}),
    Step("mod", "mod_{k}", "Take the remainder of {x} divided by {k}", "take the remainder after dividing by {k}",
         "binary", "{e} % {k}", PRODUCT, {"k": DIVISORS}),
    Step("square", "square", "Square {x}", "square the result", "binary", "{e} ** 2", POWER, {}),
    Step("negate", "negate", "Negate {x}", "negate the result", "prefix", "-{e}", UNARY, {}),
    Step("abs", "abs", "Take the absolute value of {x}", "take the absolute value", "call", "abs({e})", ATOM, {}),
)
# steps with the second argument, {m}
ARGUMENT_STEPS = (
    Step("addm", "add", "Add {m} to {x}", "add {m}", "binary", "{e} + {m}", SUM, {}),
    Step("subm", "sub", "Subtract {m} from {x}", "subtract {m}", "binary", "{e} - {m}", SUM, {}),
    Step("mulm", "mul", "Multiply {x} by {m}", "multiply by {m}", "binary", "{e} * {m}", PRODUCT, {}),
)
WORDS_TO_ADD = ("!", "?", "...", " world", "-", "ab", "xyz", " ")
STRING_STEPS = (
    Step("reverse", "reverse", "Reverse {x}", "reverse it", "postfix", "[::-1]", POSTFIX, {}),
    Step("upper", "upper", "Convert {x} to upper case", "convert it to upper case", "postfix", ".upper()", POSTFIX, {}),
    Step("lower", "lower", "Convert {x} to lower case", "convert it to lower case", "postfix", ".lower()", POSTFIX, {}),
    Step("strip", "strip", "Strip the spaces from both ends of {x}", "strip the spaces from both ends", "postfix",
         ".strip()", POSTFIX, {}),
    Step("nospace", "no_spaces", "Remove every space from {x}", "remove every space", "postfix",
         ".replace(' ', '')", POSTFIX, {}),
    Step("replace", "replace_{c}", "Replace each '{c}' in {x} with '{d}'", "replace each '{c}' with '{d}'", "postfix",
         ".replace('{c}', '{d}')", POSTFIX, {"c": LETTERS, "d": LETTERS + ("*", "-")}),
    Step("head", "first_{k}", "Keep the first {k} characters of {x}", "keep the first {k} characters", "postfix",
         "[:{k}]", POSTFIX, {"k": STEPS}),
    Step("tail", "last_{k}", "Keep the last {k} characters of {x}", "keep the last {k} characters", "postfix",
         "[-{k}:]", POSTFIX, {"k": STEPS}),
    Step("drop", "drop_{k}", "Drop the first {k} characters of {x}", "drop the first {k} characters", "postfix",
         "[{k}:]", POSTFIX, {"k": STEPS[:5]}),
    Step("repeat", "repeat_{k}", "Repeat {x} {k} times", "repeat the result {k} times", "binary", "{e} * {k}",
         PRODUCT, {"k": (2, 3)}),
    Step("append", "append", "Add {w!r} to the end of {x}", "add {w!r} to the end", "binary", "{e} + {w!r}", SUM,
         {"w": WORDS_TO_ADD}),
    Step("prepend", "prepend", "Put {w!r} in front of {x}", "put {w!r} in front", "prefix", "{w!r} + {e}", SUM,
         {"w": WORDS_TO_ADD}),
    Step("capitalize", "capitalize", "Capitalize {x}", "capitalize the result", "postfix", ".capitalize()",
         POSTFIX, {}),
    Step("title", "title", "Capitalize every word of {x}", "capitalize every word", "postfix", ".title()",
         POSTFIX, {}),
    Step("swapcase", "swap_case", "Swap the case of every letter in {x}", "swap the case of every letter",
         "postfix", ".swapcase()", POSTFIX, {}),
)
CASE_STEPS = {"upper", "lower", "capitalize", "title", "swapcase"}
ENDINGS = ("{steps}, and return the result.", "{steps}. Return the result.")


def chain(rng: random.Random, steps: list[Step], args: tuple[str, ...], kinds: tuple[str, ...], family: str,
          ) -> Problem:
    """A chain of steps on the first argument; {m} in a step is the second."""
    expression, precedence = args[0], ATOM
    phrases, labels, key = [], [], []
    for i, step in enumerate(steps):
        values = draw_constants(rng, step.constants)
        while values.get("c") is not None and values.get("c") == values.get("d"):
            values = draw_constants(rng, step.constants)
        words = {**values, "x": args[0], "m": args[-1]}
        code_values = {**values, "m": args[-1]}
        expression, precedence = apply(step, expression, precedence, code_values)
        phrases.append((step.first if i == 0 else step.later).format(**words))
        labels.append(step.label.format(**values))
        key.append((step.name, sorted(values.items())))
    description = rng.choice(ENDINGS).format(steps=", then ".join(phrases))
    name = function_name(rng, labels)
    return Problem((family, len(args), tuple(key)), name, args, kinds, description, [f"return {expression}"])


def arithmetic(rng: random.Random) -> Problem:
    """"Add 3 to n, then multiply by 2, and return the result." -> return (n + 3) * 2"""
    count = rng.choice((1, 2, 2))
    if rng.random() < 0.3:
        args = argument_names(rng, (("a", "b"), ("x", "y"), ("n", "m")))
        steps = rng.sample(ARITHMETIC_STEPS, count - 1) + [rng.choice(ARGUMENT_STEPS)]
        rng.shuffle(steps)
        return chain(rng, steps, args, ("int", "int"), "arithmetic")
    args = (argument_names(rng, ("n", "x", "num", "value")),)
    return chain(rng, rng.sample(ARITHMETIC_STEPS, count), args, ("int",), "arithmetic")


def text_steps(rng: random.Random) -> Problem:
    """"Reverse s, then convert it to upper case, and return the result." -> return s[::-1].upper()"""
    while True:  # one change of case at most: "lower, then upper" says nothing
        steps = rng.sample(STRING_STEPS, rng.choice((1, 2, 2)))
        if sum(step.name in CASE_STEPS for step in steps) <= 1:
            break
    args = (argument_names(rng, ("s", "text", "word", "name", "line")),)
    return chain(rng, steps, args, ("phrase",), "text")
