"""The built-in code task: its generated problems (repeatable, splits apart, every solution
passing its own tests in the sandbox), the HumanEval and MBPP readers and their errors, the
pass@k estimator, `eval --samples` end to end, the description `run` turns into a prompt,
and a tiny fine-tune and eval."""

from __future__ import annotations

import gzip
import json
import math
import os
import random
import sys
from pathlib import Path

import pytest
from cli_helpers import ok, one_line_error, run, tiny_finetune_args

from llmcli.errors import UserError
from llmcli.sandbox import run_programs
from llmcli.tasks import Prediction
from llmcli_code import register_datasets, register_metrics, register_tasks
from llmcli_code.basics import combination
from llmcli_code.describe import prompt_for
from llmcli_code.execution import outcomes, pass_at_k, pass_at_k_metric, program
from llmcli_code.generator import SIZES, generate, problems, split_of
from llmcli_code.loaders import read_problems
from llmcli_code.task import CodeTask, indented

SHARED_DATA = Path(os.environ.get("LLMCLI_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
HUMANEVAL = SHARED_DATA / "codegen" / "HumanEval.jsonl.gz"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox's limits are Linux's")


# -- the generated dataset ----------------------------------------------------------------

@pytest.fixture(scope="module")
def train_problems():
    return problems("train", 4000, 0)


def test_problems_are_repeatable_and_seeded():
    assert generate("test", 40, 0) == generate("test", 40, 0)
    assert generate("test", 40, 0) != generate("test", 40, 1)
    assert generate("validation", 10, 0)[0]["task_id"] == "code-functions/validation/0"


def test_held_out_problems_compute_what_no_training_problem_computes(train_problems):
    trained = {repr(problem.key) for problem, _ in train_problems}
    for split in ("validation", "test"):
        held_out = [repr(problem.key) for problem, _ in problems(split, 150, 0)]
        assert len(set(held_out)) == len(held_out) == 150  # each a different computation
        assert not trained & set(held_out)
    # and a training problem's key always lands in training
    assert all(split_of(problem) == "train" for problem, _ in train_problems[:500])


def test_the_parts_combine_in_many_ways(train_problems):
    keys = {repr(problem.key) for problem, _ in train_problems}
    assert len(keys) > 0.4 * len(train_problems)  # the basics repeat; the composed problems rarely
    operations = {problem.key[1] for problem, _ in train_problems if problem.key[0] == "aggregate"}
    assert operations == {"sum", "count", "max", "min", "list", "join", "any", "all"}


def test_the_largest_of_three_numbers_is_a_training_problem():
    drawn = [combination(random.Random(i)) for i in range(400)]
    largest = [p for p in drawn if p.description == "Return the largest of three numbers."]
    assert largest and all(split_of(p) == "train" and p.body == [f"return max({', '.join(p.args)})"] for p in largest)


@linux_only
def test_every_solution_passes_its_own_tests_and_a_wrong_one_fails():
    sample = generate("train", 40, 3)[::2] + generate("test", 16, 0)
    right = run_programs([program(e, e["solution"]) for e in sample])
    assert [o.status for o in right] == ["passed"] * len(sample), [(e["prompt"], o.error) for e, o in zip(sample, right)
                                                                   if not o.passed]
    wrong = run_programs([program(e, "    return None\n") for e in sample[:10]])
    assert not any(o.passed for o in wrong)


# -- reading problem files ----------------------------------------------------------------

HUMANEVAL_LIKE = [
    {"task_id": "Toy/0", "prompt": 'def add(a, b):\n    """Return a plus b."""\n',
     "canonical_solution": "    return a + b\n",
     "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
     "entry_point": "add"},
    {"task_id": "Toy/1", "prompt": 'def shout(s):\n    """Return s in capitals."""\n',
     "canonical_solution": "    return s.upper()\n",
     "test": "def check(candidate):\n    assert candidate('hi') == 'HI'\n", "entry_point": "shout"},
]


def write_jsonl(path: Path, records, gzipped=False) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in records)
    path.write_bytes(gzip.compress(text.encode()) if gzipped else text.encode())
    return path


def test_humaneval_problems_gzipped(tmp_path):
    problems_read = read_problems(write_jsonl(tmp_path / "he.jsonl.gz", HUMANEVAL_LIKE, gzipped=True))
    assert [p["task_id"] for p in problems_read] == ["Toy/0", "Toy/1"]
    add = problems_read[0]
    assert add["solution"] == "    return a + b\n" and add["entry_point"] == "add"
    assert add["test"].rstrip().endswith("check(add)")


@pytest.mark.skipif(not HUMANEVAL.is_file(), reason="needs ../shared/data")
def test_the_real_humaneval_reads_whole():
    read = read_problems(HUMANEVAL)
    assert len(read) == 164 and read[0]["task_id"] == "HumanEval/0"
    assert all(compile(p["prompt"] + p["solution"] + p["test"], p["task_id"], "exec") for p in read)


MBPP_LIKE = [
    {"task_id": 11, "text": "Write a function to remove the first and last occurrence of a character.",
     "code": "def remove_Occ(s,ch): \r\n    s = s.replace(ch,'',1) \r\n    s = s[::-1].replace(ch,'',1)[::-1] \r\n"
             "    return s ",
     "test_list": ["assert remove_Occ(\"hello\",\"l\") == \"heo\"", "assert remove_Occ(\"abcda\",\"a\") == \"bcd\""],
     "test_setup_code": "", "challenge_test_list": []},
    {"task_id": 12, "text": "Write a function to double a number.",
     "code": "import math\ndef helper(x): return x\ndef double(n): return helper(n) * 2",
     "test_list": ["assert double(4) == 8"]},
]


@linux_only
def test_mbpp_problems_become_prompts_and_bodies(tmp_path):
    read = read_problems(write_jsonl(tmp_path / "mbpp.jsonl", MBPP_LIKE))
    first, second = read
    assert first["task_id"] == "11" and first["entry_point"] == "remove_Occ"
    assert first["prompt"].startswith("def remove_Occ(s,ch):") and "remove the first and last" in first["prompt"]
    assert second["entry_point"] == "double"  # the function the test calls, not the first one defined
    assert second["prompt"].startswith("import math\ndef helper(x): return x\ndef double(n):")
    assert second["solution"] == "    return helper(n) * 2\n"
    # the parts put back together pass their tests
    assert all(o.passed for o in run_programs([program(p, p["solution"]) for p in read]))


@pytest.mark.parametrize("lines, fragments", [
    (['{"task_id": "a"', ], [":1: not valid JSON"]),
    ([json.dumps(HUMANEVAL_LIKE[0]), json.dumps({k: v for k, v in HUMANEVAL_LIKE[1].items() if k != "test"})],
     [":2: missing field 'test'"]),
    ([json.dumps({**HUMANEVAL_LIKE[0], "prompt": 3})], [":1: field 'prompt' must be a string"]),
    ([json.dumps({"question": "x"})], [":1: not a code problem", "HumanEval"]),
    ([json.dumps({**MBPP_LIKE[1], "code": "def double(n) return n"})], [":1: the code is not valid Python"]),
    ([json.dumps({**MBPP_LIKE[1], "test_list": ["assert triple(1) == 3"]})], [":1: the first test calls no function"]),
    ([json.dumps({**MBPP_LIKE[1], "test_list": []})], [":1: field 'test_list' must be a non-empty list"]),
])
def test_bad_problem_files_name_the_line(tmp_path, lines, fragments):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError) as error:
        read_problems(path)
    assert str(path) in str(error.value)
    for fragment in fragments:
        assert fragment in str(error.value)


# -- pass@k ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n, c, k, expected", [
    (2, 1, 1, 0.5), (10, 0, 1, 0.0), (10, 10, 10, 1.0), (5, 2, 2, 0.7), (10, 3, 1, 0.3), (1, 1, 1, 1.0),
    (10, 1, 10, 1.0), (4, 1, 2, 0.5),
])
def test_pass_at_k_known_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_is_stable_for_large_n():
    for n, c, k in [(200, 3, 100), (1000, 17, 10), (500, 1, 1)]:
        assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k))
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


@linux_only
def test_outcomes_run_once_and_pass_at_k_averages_problems():
    examples = read_like_humaneval()
    predictions = [Prediction("", {"samples": ["    return a + b\n", "    return a - b\n"]}),
                   Prediction("", {"samples": ["    return s.upper()\n", "    return s\n"]})]
    figures = pass_at_k_metric(predictions, None, examples)
    assert figures["pass@1"] == pytest.approx(50.0) and "pass@10" not in figures
    predictions[0].details["outcomes"][1]["status"] = "passed"  # read back, not run again
    assert outcomes(predictions, examples)[0][1]["status"] == "passed"


def read_like_humaneval():
    from llmcli_code.loaders import normalize

    return [normalize(record, f"toy:{i}") for i, record in enumerate(HUMANEVAL_LIKE, 1)]


# -- eval --samples: completions someone else made ------------------------------------------

@pytest.fixture
def toy_files(tmp_path):
    problems_path = write_jsonl(tmp_path / "problems.jsonl.gz", HUMANEVAL_LIKE, gzipped=True)
    samples = [{"task_id": "Toy/0", "completion": "    return a + b\n"},
               {"task_id": "Toy/0", "completion": "    return a * b\n"},
               {"task_id": "Toy/1", "completion": "    return s.lower()\n"},
               {"task_id": "Toy/1", "completion": "    return s.upper(\n"}]
    return problems_path, write_jsonl(tmp_path / "samples.jsonl", samples)


@linux_only
def test_eval_scores_a_samples_file_without_a_model(toy_files):
    problems_path, samples_path = toy_files
    report = json.loads(ok(run("eval", "code", "--data", problems_path, "--samples", samples_path, "--json")).output)
    assert report["model"] is None and report["examples"] == 2
    assert report["metrics"]["pass@1"] == pytest.approx(25.0)  # 1 of 2, and 0 of 2
    assert report["metrics"]["compiles"] == pytest.approx(75.0)
    first, second = report["results"]
    assert first["task_id"] == "Toy/0" and first["passed"] == 1
    assert [s["status"] for s in first["samples"]] == ["passed", "failed"]
    assert first["samples"][1]["error"].startswith("AssertionError")
    assert "SyntaxError" in second["samples"][1]["error"]
    shown = ok(run("eval", "code", "--data", problems_path, "--samples", samples_path)).output
    assert "pass@1" in shown and "AssertionError" in shown  # the table of outcomes under the metrics


@linux_only
def test_eval_reports_tampering_and_the_protections_in_force(toy_files, tmp_path):
    problems_path, _ = toy_files
    samples = write_jsonl(tmp_path / "forged.jsonl", [
        {"task_id": "Toy/0", "completion": "    return a + b\n"},
        {"task_id": "Toy/0", "completion": "    return None\nimport gc\ngc.get_objects()\n"},
        {"task_id": "Toy/1", "completion": "    return open('/proc/self/cmdline').read()\n"}])
    report = json.loads(ok(run("eval", "code", "--data", problems_path, "--samples", samples, "--json")).output)
    statuses = [[s["status"] for s in r["samples"]] for r in report["results"]]
    assert statuses == [["passed", "tampering"], ["tampering"]]
    assert "garbage collector" in report["results"][0]["samples"][1]["error"]
    assert report["sandbox"]["judge apart from the program"] is True
    shown = ok(run("eval", "code", "--data", problems_path, "--samples", samples)).output
    assert "tampering" in shown and "sandbox: judge apart from the program" in shown


def test_samples_that_do_not_match_the_problems(toy_files, tmp_path):
    problems_path, _ = toy_files
    unknown = write_jsonl(tmp_path / "unknown.jsonl", [{"task_id": "Toy/0", "completion": "x"},
                                                       {"task_id": "Toy/9", "completion": "x"}])
    one_line_error(run("eval", "code", "--data", problems_path, "--samples", unknown), "unknown.jsonl:2",
                   "'Toy/9'", alone=True)
    partial = write_jsonl(tmp_path / "partial.jsonl", [{"task_id": "Toy/0", "completion": "x"}])
    one_line_error(run("eval", "code", "--data", problems_path, "--samples", partial), "no samples for 1 of the 2",
                   "Toy/1", alone=True)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"task_id": "Toy/0"}\n')
    one_line_error(run("eval", "code", "--data", problems_path, "--samples", broken), "broken.jsonl:1",
                   "'completion'", alone=True)
    one_line_error(run("eval", "code", "--data", problems_path, "--n-samples", "0", "--samples", partial),
                   "--n-samples must be 1 or more", alone=True)


# -- run: a description becomes a prompt -----------------------------------------------------

@pytest.mark.parametrize("typed, prompt", [
    ("return the largest of three numbers",
     'def largest_of_three_numbers(a, b, c):\n    """Return the largest of three numbers."""\n'),
    ("Write a function that returns the sum of the even numbers in nums",
     'def sum_of_even_numbers(nums):\n    """Return the sum of the even numbers in nums."""\n'),
    ("count the vowels in a string", 'def count_vowels_in_string(s):\n    """Count the vowels in a string."""\n'),
    ("Return a, b and c multiplied", 'def b_and_c_multiplied(a, b, c):\n    """Return a, b and c multiplied."""\n'),
    ("def add(a, b)", "def add(a, b):\n"),
])
def test_descriptions_become_def_lines_and_docstrings(typed, prompt):
    assert prompt_for(typed)[0] == prompt
    compile(prompt + "    pass\n", "<prompt>", "exec")


def test_typed_input_and_output():
    task = CodeTask()
    example = task.read_input("return the largest of three numbers")
    assert example["entry_point"] == "largest_of_three_numbers"
    with pytest.raises(UserError):
        task.read_input("   ")
    with pytest.raises(UserError):
        task.read_input("def (x)")
    assert indented(example["prompt"], "return max(a, b, c)") == "    return max(a, b, c)"
    assert indented(example["prompt"], "    return 1") == "    return 1"


def test_the_hooks_register_what_the_task_names():
    found = {}
    for hook in (register_tasks, register_datasets, register_metrics):
        hook(lambda item: found.setdefault(item.name, item))
    task = found["code"]
    assert task.default_dataset in found and all(m in found for m in task.metrics)
    assert found["code-functions"].declared_sizes() == SIZES
    assert all(found[m].takes_predictions for m in task.metrics)


# -- a tiny fine-tune, then eval and run -------------------------------------------------------

@linux_only
def test_tiny_finetune_eval_and_run(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "train.jsonl", generate("train", 200, 0))
    write_jsonl(data / "test.jsonl", generate("test", 4, 0))
    ok(run("finetune", "code", "--data", data, *tiny_finetune_args(precision=None, device=None), "--name", "tiny-code"))
    report = json.loads(ok(run("eval", "code", "-m", "tiny-code", "--data", data, "--json")).output)
    assert set(report["metrics"]) == {"pass@1", "compiles"} and len(report["results"]) == 4
    assert all(len(r["samples"]) == 1 for r in report["results"])
    sampled = json.loads(ok(run("eval", "code", "-m", "tiny-code", "--data", data, "--limit", "2", "--n-samples", "2",
                                "--json")).output)
    assert set(sampled["metrics"]) == {"pass@1", "compiles"}
    assert [len(r["samples"]) for r in sampled["results"]] == [2, 2]
    shown = ok(run("run", "code", "-m", "tiny-code", "--max-new-tokens", "8",
                   "return the largest of three numbers")).output
    assert shown.startswith('def largest_of_three_numbers(a, b, c):\n    """Return the largest of three numbers."""\n')


def test_samples_are_drawn_together_and_repeat_with_a_seed(trained_model):
    from llmcli.registry import get_task
    from llmcli.scoring import load_task_model

    task = get_task("code")
    tm = load_task_model("tiny", task)
    example = task.read_input("return the larger of a and b")
    drawn = tm.head.samples(tm, example, 4, decoding={"temperature": 1.0, "seed": 3, "max_new_tokens": 12})
    assert len(drawn) == 4 and len(set(drawn)) > 1
    assert tm.head.samples(tm, example, 4, decoding={"temperature": 1.0, "seed": 3, "max_new_tokens": 12}) == drawn
    # sampling among the one likeliest token is greedy decoding, batched or not
    greedy = "".join(tm.head.stream(tm, example, decoding={"temperature": 0, "max_new_tokens": 12}))
    assert tm.head.samples(tm, example, 2, decoding={"temperature": 1.0, "top_k": 1, "seed": 0,
                                                     "max_new_tokens": 12}) == [greedy, greedy]
    # what the batched sampler lacks is written one at a time
    penalised = tm.head.samples(tm, example, 2, decoding={"temperature": 1.0, "seed": 3, "max_new_tokens": 12,
                                                          "repetition_penalty": 1.3})
    assert len(penalised) == 2
