"""The code task on HumanEval: every canonical solution, read by the task's loader and put
together as the task runs completions, must pass (164 of 164) and a wrong one must fail;
the sandbox's programs per second; then the default model (`finetune code --time 2m30s`,
or -m MODEL) scored on its own test split (pass@1, greedy) and on HumanEval (pass@1 and
pass@10 from 10 samples per problem), whatever they are.

    python benchmarks/code_humaneval.py [-m MODEL] [--time 2m30s] [--n-samples 10] [--limit N]
    python benchmarks/code_humaneval.py --base smollm2-135m-instruct --time 10m --limit 40 --test-limit 200

With `--base smollm2-135m-instruct` the base is pulled first (outside the budget), scored
zero-shot, then fine-tuned on the task's built-in problems for the budget and scored again.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from common import PRETRAINED, SHARED_DATA, pull_pretrained, report


def canonical_rows(path) -> list[tuple[str, str]]:
    from llmcli.sandbox import run_programs
    from llmcli_code.execution import judged, limits
    from llmcli_code.loaders import read_problems

    problems = read_problems(path)
    workers = os.cpu_count() or 1
    started = time.perf_counter()
    runs = [judged(p, p["solution"]) for p in problems] + [judged(problems[0], "    return None\n")]
    outcomes = run_programs([source for source, _ in runs], limits(), workers, tests=[tests for _, tests in runs])
    seconds = time.perf_counter() - started
    outcomes, wrong = outcomes[:-1], outcomes[-1]
    failures = [(p["task_id"], o) for p, o in zip(problems, outcomes) if not o.passed]
    rows = [("canonical solutions passing", f"{len(problems) - len(failures)} of {len(problems)}"),
            (f"a wrong solution ({problems[0]['task_id']} returning None)", f"{wrong.status}: {wrong.error}"),
            ("programs per second", f"{len(runs) / seconds:.1f} ({workers} at a time, {seconds:.1f} s in all)")]
    return rows + [(task_id, f"{o.status}: {o.error}") for task_id, o in failures]


def llmcli(env, *args) -> str:
    result = subprocess.run([sys.executable, "-m", "llmcli", *map(str, args)], env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"llmcli {' '.join(map(str, args))} failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def model_rows(path, model: str | None, budget: str, n_samples: int, base: str | None = None,
               home: str | None = None, limit: int | None = None,
               test_limit: int | None = None) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "LLMCLI_HOME": home or scratch} if model is None else dict(os.environ)
        rows = []
        if model is None:
            started = time.perf_counter()
            llmcli(env, "finetune", "code", "--time", budget, "--name", "code", *(["--base", base] if base else []))
            rows.append(("model", f"finetune code --time {budget}{' --base ' + base if base else ''}: "
                                  f"{time.perf_counter() - started:.0f} s"))
            model = "code"
        own = json.loads(llmcli(env, "eval", "code", "-m", model, "--json",
                                *(["--limit", test_limit] if test_limit else [])))
        rows.append(("code-functions test, pass@1 (greedy)",
                     f"{own['metrics']['pass@1']:.1f}% of {own['examples']} "
                     f"(compiles: {own['metrics']['compiles']:.1f}%, {own['seconds']:.0f} s)"))
        scope = ["--limit", limit] if limit else []
        human = json.loads(llmcli(env, "eval", "code", "-m", model, "--data", path, "--n-samples", n_samples, "--json",
                                  *scope))
        figures = ", ".join(f"{k} {v:.2f}%" for k, v in human["metrics"].items())
        rows.append((f"HumanEval ({human['examples']} problems), {n_samples} samples per problem",
                     f"{figures} ({human['seconds']:.0f} s)"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", help="a model fine-tuned for code (default: train one)")
    parser.add_argument("--time", default="2m30s", help="the training budget of the default model")
    parser.add_argument("--n-samples", type=int, default=10, help="samples per HumanEval problem")
    parser.add_argument("--base", choices=(PRETRAINED,), help="zero-shot, then fine-tuned from this base (pulled first)")
    parser.add_argument("--limit", type=int, help="score only the first N HumanEval problems")
    parser.add_argument("--test-limit", type=int, help="score only the first N problems of the task's own test split")
    args = parser.parse_args()
    path = SHARED_DATA / "codegen" / "HumanEval.jsonl.gz"
    if not path.is_file():
        print(f"\n== Code task on HumanEval: skipped, {path} is missing (it needs ../shared/data)")
        return
    report("Code task on HumanEval: canonical solutions in the sandbox", canonical_rows(path))
    if not args.base:
        report("Code task: the default model", model_rows(path, args.model, args.time, args.n_samples,
                                                          limit=args.limit, test_limit=args.test_limit))
        return
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LLMCLI_HOME": home}
        pull_pretrained(env)
        os.environ["LLMCLI_HOME"] = home  # model_rows' -m route reads the models of this home
        scopes = {"limit": args.limit, "test_limit": args.test_limit}
        report(f"Code task: {args.base} zero-shot", model_rows(path, args.base, args.time, args.n_samples, **scopes))
        report(f"Code task: fine-tuned from {args.base}",
               model_rows(path, None, args.time, args.n_samples, base=args.base, home=home, **scopes))


if __name__ == "__main__":
    main()
