"""HumanEval's canonical solutions through the sandbox: all 164 must pass, a deliberately
wrong solution must fail, and the sandbox's programs per second (2 at a time on 2 cores).
Each runs as the code task runs it: the program apart from its tests, which the judge runs."""

from __future__ import annotations

import gzip
import json
import os
import time

from common import SHARED_DATA, report
from llmcli.sandbox import Limits, Tests, run_programs


def judged(problem: dict, body: str) -> tuple[str, Tests]:
    """The program (prompt and body) and the tests, which the sandbox's judge runs apart."""
    tests = Tests(f"{problem['test']}\n\ncheck({problem['entry_point']})\n", (problem["entry_point"],), problem["prompt"])
    return f"{problem['prompt']}{body}\n", tests


def run(problems: list[dict], bodies: list[str], limits: Limits, workers: int | None = None):
    runs = [judged(problem, body) for problem, body in zip(problems, bodies)]
    return run_programs([source for source, _ in runs], limits, workers, tests=[tests for _, tests in runs])


def main():
    path = SHARED_DATA / "codegen" / "HumanEval.jsonl.gz"
    if not path.is_file():
        print(f"\n== Sandbox on HumanEval: skipped, {path} is missing (it needs ../shared/data)")
        return
    problems = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines() if line]
    limits = Limits(timeout_s=10.0, cpu_s=10)
    workers = os.cpu_count() or 1
    started = time.perf_counter()
    outcomes = run(problems, [p["canonical_solution"] for p in problems], limits, workers)
    seconds = time.perf_counter() - started
    failures = [(p["task_id"], o.status, o.error) for p, o in zip(problems, outcomes) if not o.passed]
    # a solution that runs but answers wrongly: the first problem's function returning None
    wrong = run(problems[:1], ["    return None\n"], limits)[0]
    rows = [
        ("canonical solutions passing", f"{len(problems) - len(failures)} of {len(problems)}"),
        ("a wrong solution (HumanEval/0 returning None)", f"{wrong.status}: {wrong.error}"),
        ("programs per second", f"{len(problems) / seconds:.1f} ({workers} at a time, {seconds:.1f} s in all)"),
    ]
    rows += [(task, f"{status}: {error}") for task, status, error in failures]
    report("Sandbox on HumanEval", rows)


if __name__ == "__main__":
    main()
