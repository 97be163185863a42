"""The built-in dataset, code-functions: small Python functions with a description and unit
tests, generated the same way on every machine.

A problem's split is fixed by a hash of what it computes (its key: the operation, the
condition, the constants..., not the names or the wording), so no validation or test
problem computes what a training problem computes: the test measures whether a model
composes parts it has seen. The basic problems ("the largest of three numbers",
factorial) are always training problems. The expected results in the tests come from
running the solution itself, so every solution passes its own tests.
"""

from __future__ import annotations

import functools
import random

from llmcli.datasets import split_by_hash

from llmcli_code.basics import classic, combination
from llmcli_code.families import INDENT, Problem, aggregate, arithmetic, branch, text_steps
from llmcli_code.inputs import draw

SIZES = {"train": 20_000, "validation": 500, "test": 1_000}
SHARES = {"validation": 5, "test": 5}  # percent of the keys; the rest: train
TESTS = 5  # asserts per problem
# how often each maker is drawn; the basic ones (last two) only ever give training problems
MAKERS = ((aggregate, 46), (branch, 16), (arithmetic, 13), (text_steps, 13), (combination, 5), (classic, 7))


def split_of(problem: Problem) -> str:
    if problem.core:
        return "train"
    return split_by_hash(repr(problem.key), SHARES)


def prompt_of(problem: Problem) -> str:
    return f'def {problem.name}({", ".join(problem.args)}):\n{INDENT}"""{problem.description}"""\n'


def solution_of(problem: Problem) -> str:
    return "".join(f"{INDENT}{line}\n" for line in problem.body)


def function_of(problem: Problem):
    return compiled(problem.args, tuple(problem.body))


@functools.lru_cache(maxsize=4096)
def compiled(args: tuple[str, ...], body: tuple[str, ...]):
    """The solution as a function (cached: training problems repeat, under other names)."""
    namespace: dict = {}
    source = f"def solution({', '.join(args)}):\n" + "".join(f"{INDENT}{line}\n" for line in body)
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace["solution"]


def cases_for(problem: Problem, rng: random.Random) -> list[tuple[tuple, object]] | None:
    """Up to TESTS distinct inputs and the solution's results for them; None when they
    would not tell solutions apart (fewer than 3, or all with the same result)."""
    function = function_of(problem)
    seen, cases = set(), []
    for _ in range(8 * TESTS):
        args = tuple(draw(kind, rng) for kind in problem.kinds)
        if repr(args) in seen:
            continue
        seen.add(repr(args))
        try:
            expected = function(*[list(a) if isinstance(a, list) else a for a in args])
        except Exception:  # an input the problem is not meant for (the solution decides)
            continue
        cases.append((args, expected))
        if len(cases) == TESTS:
            break
    if len(cases) < 3 or len({repr(expected) for _, expected in cases}) < 2:
        return None
    return cases


def test_program(entry_point: str, cases) -> str:
    """HumanEval's layout: check(candidate) asserts, then check called on the function."""
    asserts = "".join(f"{INDENT}assert candidate({', '.join(map(repr, args))}) == {expected!r}\n"
                      for args, expected in cases)
    return f"def check(candidate):\n{asserts}\n\ncheck({entry_point})\n"


def example(problem: Problem, cases, task_id: str) -> dict:
    return {"task_id": task_id, "prompt": prompt_of(problem), "solution": solution_of(problem),
            "test": test_program(problem.name, cases), "entry_point": problem.name}


def generate(split: str, count: int, seed: int) -> list[dict]:
    """`count` problems of `split`, as examples."""
    return [example(problem, cases, f"code-functions/{split}/{i}")
            for i, (problem, cases) in enumerate(problems(split, count, seed))]


def problems(split: str, count: int, seed: int) -> list[tuple[Problem, list]]:
    """`count` problems of `split` and their test cases. Validation and test problems each
    compute something different; training problems may repeat a key with other names and
    wording."""
    rng = random.Random(f"code-{seed}-{split}")
    makers = [(make, weight) for make, weight in MAKERS if split == "train" or make not in (combination, classic)]
    functions, weights = zip(*makers)
    out: list[tuple[Problem, list]] = []
    keys: set[str] = set()
    for _ in range(500 * count):
        if len(out) == count:
            break
        problem = rng.choices(functions, weights)[0](rng)
        if problem is None or split_of(problem) != split:
            continue
        key = repr(problem.key)
        if split != "train" and key in keys:
            continue
        cases = cases_for(problem, rng)
        if cases is None:
            continue
        keys.add(key)
        out.append((problem, cases))
    return out
