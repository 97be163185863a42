"""Code problems from files: HumanEval's JSONL, MBPP's JSONL and llmcli's own form (what
the built-in dataset holds), each maybe gzipped, all read into the one form the task uses:

    {"task_id", "prompt", "solution", "test", "entry_point"}

`prompt` is the code a model continues (imports, the def line, a docstring), `solution`
the rest of a correct function, and `test` a program that checks the function named
`entry_point` when it runs after them. Also the samples files of HumanEval's harness:
{"task_id", "completion"} per line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from llmcli.errors import UserError

FIELDS = ("task_id", "prompt", "solution", "test", "entry_point")
HUMANEVAL = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
FORMATS = ("HumanEval's fields (task_id, prompt, canonical_solution, test, entry_point), MBPP's (task_id, "
           "text, code, test_list) or llmcli's (task_id, prompt, solution, test, entry_point)")


def read_problems(path) -> list[dict]:
    from llmcli.datasets.formats import read_records

    return [normalize(record, where) for where, record in read_records(path)]


def normalize(record, where: str) -> dict:
    """One problem in the task's form, whichever of the three forms it came in."""
    if not isinstance(record, dict):
        raise UserError(f"{where}: expected an object with {FORMATS}")
    if "canonical_solution" in record:
        return from_humaneval(record, where)
    if "test_list" in record:
        return from_mbpp(record, where)
    if all(name in record for name in FIELDS):
        problem = {name: text(record, name, where) for name in FIELDS}
        return {**record, **problem}
    raise UserError(f"{where}: not a code problem: expected {FORMATS}")


def text(record: dict, name: str, where: str) -> str:
    if name not in record:
        raise UserError(f"{where}: missing field {name!r}")
    value = record[name]
    if name == "task_id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # MBPP numbers its problems; samples files name them as text
    if not isinstance(value, str):
        raise UserError(f"{where}: field {name!r} must be a string, not {type(value).__name__}")
    return value


def from_humaneval(record: dict, where: str) -> dict:
    task_id, prompt, solution, test, entry_point = (text(record, name, where) for name in HUMANEVAL)
    check_name(entry_point, where)
    return {"task_id": task_id, "prompt": prompt, "solution": solution,
            "test": f"{test}\n\ncheck({entry_point})\n", "entry_point": entry_point}


def from_mbpp(record: dict, where: str) -> dict:
    """MBPP's code is a whole program; the prompt is its start up to the tested function's
    def line, with the description and the first test as a docstring, and the solution
    the rest."""
    task_id = text(record, "task_id", where)
    description = text(record, "prompt" if "prompt" in record and "text" not in record else "text", where)
    code = text(record, "code", where).replace("\r\n", "\n")
    tests = record["test_list"]
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
        raise UserError(f"{where}: field 'test_list' must be a non-empty list of strings (asserts)")
    setup = record.get("test_setup_code") or ""
    try:
        module = ast.parse(code)
    except SyntaxError as exc:
        raise UserError(f"{where}: the code is not valid Python (line {exc.lineno}: {exc.msg})") from None
    function = tested_function(module, tests, where)
    lines = code.split("\n")
    first = function.body[0]
    start = (function.decorator_list[0] if function.decorator_list else function).lineno - 1
    if first.lineno == function.lineno:  # def f(x): return x
        line = lines[first.lineno - 1]
        header, rest = [line[: first.col_offset].rstrip()], ["    " + line[first.col_offset :]] + lines[first.lineno :]
        indent = "    "
    else:
        header, rest = lines[start : first.lineno - 1], lines[first.lineno - 1 :]
        indent = rest[0][: len(rest[0]) - len(rest[0].lstrip())]
    docstring = f'{indent}"""{description.strip()}\n{indent}For example: {tests[0].strip()}\n{indent}"""'
    prompt = "\n".join(lines[:start] + header + [docstring]) + "\n"
    test = (setup + "\n" if setup else "") + "\n".join(tests) + "\n"
    return {"task_id": task_id, "prompt": prompt, "solution": "\n".join(rest).rstrip() + "\n", "test": test,
            "entry_point": function.name}


def tested_function(module: ast.Module, tests: list[str], where: str) -> ast.FunctionDef:
    """The top-level function the first test calls (MBPP names no entry point)."""
    functions = {node.name: node for node in module.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    try:
        called = [node.func.id for node in ast.walk(ast.parse(tests[0]))
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    except SyntaxError:
        raise UserError(f"{where}: the first test is not valid Python: {tests[0]!r}") from None
    for name in called:
        if name in functions:
            return functions[name]
    raise UserError(f"{where}: the first test calls no function the code defines "
                    f"({', '.join(functions) or 'it defines none'})")


def check_name(name: str, where: str) -> None:
    if not name.isidentifier():
        raise UserError(f"{where}: entry_point {name!r} is not a Python name")


def read_samples(path) -> list[tuple[str, str, str]]:
    """(where, task_id, completion) for each line of a samples file, in HumanEval's form."""
    from llmcli.datasets.formats import jsonl_records, read_text

    path = Path(path)
    if not path.name.lower().removesuffix(".gz").endswith(".jsonl"):
        raise UserError(f"{path}: samples go in a JSONL file (one {{\"task_id\", \"completion\"}} per line), "
                        "maybe gzipped")
    samples = []
    for where, record in jsonl_records(path, read_text(path)):
        if not isinstance(record, dict):
            raise UserError(f"{where}: expected an object with task_id and completion")
        samples.append((where, text(record, "task_id", where), text(record, "completion", where)))
    if not samples:
        raise UserError(f"{path}: no samples in it")
    return samples
