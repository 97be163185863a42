"""The code task: a function's def line and docstring in, its body out, scored by running
unit tests in llmcli's sandbox (pass@k)."""

from __future__ import annotations

import zlib
from types import MappingProxyType

from llmcli.errors import UserError
from llmcli.tasks import Prediction, Task, TaskOption

# where a body ends when a model writes on: HumanEval's stop sequences
STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert ")


class CodeTask(Task):
    name = "code"
    description = "write a Python function's body from its def line and docstring (pass@k by unit tests)"
    head = "lm"
    metrics = ("pass_at_k", "compiles")
    default_dataset = "code-functions"
    fields = ("task_id", "prompt", "solution", "test", "entry_point")
    prompt = "{prompt}"
    target = "{solution}"
    zero_shot_prompt = "Complete this Python function. Reply with the code only.\n\n```python\n{prompt}```"
    input_field = "prompt"
    decoding = MappingProxyType({"max_new_tokens": 128, "stop": STOPS})
    # an instruct model answers with the whole function in a fence: "\ndef " would end it at once
    zero_shot_decoding = MappingProxyType({"stop": ()})
    default_time = "2m30s"
    streams = False  # `run` shows the def line, then the body
    interactive_help = ('Describe a function ("return the largest of three numbers") or type its def line, '
                        "and press Enter.")
    options = (
        TaskOption("--n-samples", "n_samples", "Completions to sample per problem for pass@k (default 1: greedy; "
                   "more: temperature 0.8).", commands=("eval",), metavar="N", type=int),
        TaskOption("--samples", "samples_file", "Score the completions in this JSONL file ({task_id, completion} "
                   "per line, HumanEval's samples format) instead of a model's.", commands=("eval",), metavar="FILE"),
    )
    n_samples = 1
    samples_file = None
    temperature = 0.8  # sampling, when there are several samples per problem

    def check_configuration(self) -> None:
        if not isinstance(self.n_samples, int) or self.n_samples < 1:
            raise UserError(f"--n-samples must be 1 or more, not {self.n_samples}")

    # -- data ------------------------------------------------------------------------

    def read_file(self, path) -> list[dict]:
        """HumanEval, MBPP or llmcli's own JSONL (JSON, TSV, CSV too), maybe gzipped."""
        from llmcli_code.loaders import read_problems

        return read_problems(path)

    # -- predictions and results -------------------------------------------------------

    def zero_shot_answer(self, example, text):
        """The body of the function an instruct model wrote, however it wrote it: a fenced
        block, the whole function again, or only the body."""
        from llmcli_code.zero_shot import body_of

        return body_of(text, example.get("entry_point", ""))

    def predict(self, bundle, examples, *, decoding=None):
        """n_samples completions per problem in details["samples"], the first as the text:
        greedy (and batched) for one, sampled together in one batched pass for more,
        seeded by the problem, so a run repeats."""
        if self.n_samples == 1:
            predictions = bundle.head.predict(bundle, examples, decoding=decoding)
            texts = [indented(example["prompt"], p.text) for example, p in zip(examples, predictions)]
            return [Prediction(text, {"samples": [text]}) for text in texts]
        out = []
        for example in examples:
            given = (decoding or {}).get("seed")
            seed = given if given is not None else zlib.crc32(str(example.get("task_id", "")).encode())
            options = {"temperature": self.temperature, **(decoding or {}), "seed": seed}
            samples = []
            for text in bundle.head.samples(bundle, example, self.n_samples, decoding=options):
                text = text.rstrip()
                if bundle.zero_shot:  # sampled as written: read it as predict reads it
                    text = self.zero_shot_answer(example, text)
                samples.append(indented(example["prompt"], text))
            out.append(Prediction(samples[0], {"samples": samples}))
        return out

    def given_predictions(self, examples):
        if not self.samples_file:
            return None
        from llmcli_code.samples import given

        return given(self.samples_file, examples)

    def extra_report(self, examples, predictions) -> dict:
        """Each problem's samples and how each ran, and the sandbox's protections in force:
        {"results": [{"task_id", "passed", "samples": [{"status", "error"}, ...]}, ...],
        "sandbox": {protection: in force}}."""
        from llmcli.sandbox import protections
        from llmcli_code.execution import outcomes

        results = []
        for example, runs in zip(examples, outcomes(predictions, examples)):
            results.append({"task_id": example["task_id"], "passed": sum(r["status"] == "passed" for r in runs),
                            "samples": runs})
        return {"results": results, "sandbox": protections()}

    def show_extra(self, console, extra: dict) -> None:
        from llmcli_code.report import outcome_table, protections_line

        console.print(outcome_table(extra["results"]))
        console.print(protections_line(extra["sandbox"]), markup=False, highlight=False)

    # -- interactive use -------------------------------------------------------------

    def read_input(self, text: str) -> dict:
        from llmcli_code.describe import prompt_for

        prompt, name = prompt_for(text)
        return {"task_id": "input", "prompt": prompt, "solution": "", "test": "", "entry_point": name}

    def show_output(self, console, example, prediction) -> None:
        console.print(example["prompt"] + prediction.text, markup=False, highlight=False)


def indented(prompt: str, completion: str) -> str:
    """A completion whose first line lost its indentation (the lm head strips its text)
    gets the body's indentation back: that of the prompt's last line, or four spaces."""
    if not completion or completion[0] in " \t":
        return completion
    last = prompt.rstrip("\n").rsplit("\n", 1)[-1]
    margin = last[: len(last) - len(last.lstrip())] or "    "
    return margin + completion
