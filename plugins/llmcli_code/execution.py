"""Running completions against their problems' tests in llmcli's sandbox, and the metrics
made of the results: pass@k (the unbiased estimator) and the share of samples that compile.

A Prediction holds its samples in details["samples"] (its text alone when there are none).
Each sample runs once: the outcomes are kept in details["outcomes"], where the metrics and
eval's per-problem report both read them.
"""

from __future__ import annotations

from llmcli.tasks import Prediction

KS = (1, 10, 100)  # pass@k is reported for these k that every problem has samples enough for
# HumanEval's harness allows 3 s a program; memory and processes as the sandbox's defaults
TIMEOUT_S = 3.0


def pass_at_k(n: int, c: int, k: int) -> float:
    """The chance that at least one of k samples drawn from n, of which c pass, passes:
    1 - C(n - c, k) / C(n, k), as a product of ratios (no huge binomials)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    fail = 1.0
    for i in range(n - c + 1, n + 1):
        fail *= 1.0 - k / i
    return 1.0 - fail


def limits():
    from llmcli.sandbox import Limits

    return Limits(timeout_s=TIMEOUT_S, cpu_s=int(TIMEOUT_S))


def samples_of(prediction: Prediction) -> list[str]:
    samples = prediction.details.get("samples")
    return list(samples) if samples is not None else [prediction.text]


def program(example: dict, completion: str) -> str:
    """The prompt, the completion, then the tests (which call check themselves), as one
    program: what HumanEval's harness runs, and the sandbox without a judge."""
    return f"{example['prompt']}{completion}\n\n{example['test']}\n"


def judged(example: dict, completion: str):
    """What the code task runs: the prompt and the completion as the program, and the tests
    for the sandbox's judge, which runs them in a process of its own with the prompt's
    helpers, calling the program's entry point."""
    from llmcli.sandbox import Tests

    return f"{example['prompt']}{completion}\n", Tests(example["test"], (example["entry_point"],), example["prompt"])


def compiles(example: dict, completion: str) -> bool:
    try:
        compile(example["prompt"] + completion, "<sample>", "exec")
    except (SyntaxError, ValueError):  # ValueError: a null byte in the source
        return False
    return True


def outcomes(predictions: list[Prediction], examples: list[dict]) -> list[list[dict]]:
    """Each sample's outcome ({"status", "error"}), for every prediction: run in the sandbox
    against its problem's tests the first time, all at once (as many at a time as there
    are CPUs), then read back."""
    from llmcli.sandbox import run_programs

    todo = [(prediction, example) for prediction, example in zip(predictions, examples)
            if "outcomes" not in prediction.details]
    runs = [judged(example, sample) for prediction, example in todo for sample in samples_of(prediction)]
    if runs:
        results = iter(run_programs([source for source, _ in runs], limits(), tests=[tests for _, tests in runs]))
        for prediction, _ in todo:
            prediction.details["outcomes"] = [
                # samples first: zip stops at their end without taking another outcome
                {"status": outcome.status, "error": outcome.error}
                for _, outcome in zip(samples_of(prediction), results)
            ]
    return [prediction.details["outcomes"] for prediction in predictions]


def pass_at_k_metric(predictions: list[Prediction], references, examples: list[dict]) -> dict:
    results = outcomes(predictions, examples)
    counts = [(len(runs), sum(run["status"] == "passed" for run in runs)) for runs in results]
    fewest = min((n for n, _ in counts), default=0)
    figures: dict = {}
    for k in KS:
        if k <= fewest:
            figures[f"pass@{k}"] = 100.0 * sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
    if counts:
        most = max(n for n, _ in counts)
        per_problem = f"{fewest}" if fewest == most else f"{fewest} to {most}"
        figures["pass@k_samples"] = (f"unbiased estimator over {per_problem} samples per problem, "
                                     f"run against the tests in llmcli's sandbox ({TIMEOUT_S:g} s each)")
    return figures


def compiles_metric(predictions: list[Prediction], references, examples: list[dict]) -> dict:
    checked = [compiles(example, sample) for prediction, example in zip(predictions, examples)
               for sample in samples_of(prediction)]
    return {"compiles": 100.0 * sum(checked) / max(1, len(checked))}
