"""The Task: what a plugin declares to make llmcli fine-tune, evaluate and run a task.

A task is a light object (no torch at import): its name and description, the head it
trains, the metrics that score it, its datasets, a prompt format the user can override,
decoding defaults, and how it reads interactive input and shows output. Examples are plain
dicts whose fields the task names.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from llmcli.errors import UserError
from llmcli.predictions import Prediction  # noqa: F401  (plugins import it from here)


class InputTaken(Exception):
    """Raised by `Task.read_input` for an input that sets something up (a context to ask
    questions about) rather than asks for a prediction; `run` shows the message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


COMMANDS = ("finetune", "eval", "data", "run")


@dataclass(frozen=True)
class TaskOption:
    """A command-line option a task adds to `finetune`, `eval`, `data show` and `run`
    (those in `commands`): `llmcli eval translate --src de` sets the attribute `src` on
    the task for that command. Shown by `llmcli COMMAND TASK --help`."""

    flag: str  # "--src"
    attribute: str  # the Task attribute the value sets
    help: str
    commands: tuple[str, ...] = COMMANDS
    metavar: str = "TEXT"
    type: type = str  # str, int or float


class Task:
    """Subclass and set the class attributes; override methods where the defaults don't fit.

    The defaults describe a text-to-text task: examples {"input": ..., "output": ...}, the
    prompt "{input}" and the target " {output}".

    The head reads attributes of its own, which a task sets when the defaults don't fit:
    "lm" reads `target` and `decoding`; "classify" reads `label_field` (default "label",
    the field holding the class), `labels` (the classes in order; default: those of the
    training data), `pooling` ("last", "mean" or "first") and, zero-shot, `label_words` ({label: the
    word, or a tuple of spellings, whose likelihood after the instruction chooses the
    label}); "span" reads `context_field` (default "context", the passage) and
    `answers_field` (default "answers": [{"text": ..., "start": char offset}, ...]).

    Zero-shot: with a model never fine-tuned for the task (an imported instruct model), the
    prompt is `zero_shot_prompt`, an instruction over the example's fields, framed by the
    model's chat template where it has one; its head's `zero_shot_head` answers it.
    """

    name: str = ""
    description: str = ""  # one line, shown by `llmcli tasks`
    head: str = "lm"  # "lm" (generation), "classify" or "span", or a plugin's head
    metrics: tuple[str, ...] = ("exact_match",)
    default_dataset: str | None = None  # the dataset `finetune` and `run` train on
    fields: tuple[str, ...] = ("input", "output")  # every example must have these
    prompt: str = "{input}"  # a format string over the example's fields (`--prompt`)
    target: str = " {output}"  # lm head: the text the model learns to write after the prompt
    input_field: str = "input"  # what a line typed in `llmcli run` fills
    decoding: Mapping = MappingProxyType({})  # generation settings for the lm head (GenerationConfig fields)
    default_time: str = "2m"  # training budget of the default model `llmcli run` offers to train
    interactive_help: str = "Type an input and press Enter."
    session_commands: tuple[str, ...] = ()  # ":name" lines the session passes to read_input
    streams: bool = True  # with a head that streams (lm), `run` shows the text as it is written (False: show_output)
    options: tuple[TaskOption, ...] = ()  # command-line options of the task's own
    # an instruction over the example's fields for a model never fine-tuned on the task
    # (None: such a model continues `prompt`, where the head allows); `--prompt` overrides it
    zero_shot_prompt: str | None = None
    # fine-tuned from a base with a chat template, the prompts are framed by it (as `finetune --chat`)
    suits_instruct_base: bool = False
    # decoding settings for a model used zero-shot, over `decoding` (code drops the stops
    # that end a plain completion at the next "def", which an instruct model's fenced answer has)
    zero_shot_decoding: Mapping = MappingProxyType({})

    # -- options ---------------------------------------------------------------------

    def configured(self, values: Mapping) -> "Task":
        """A copy with the options the user gave ({attribute: value}, None: not given)
        set, checked by `check_configuration`."""
        task = copy.copy(self)
        for name, value in values.items():
            if value is not None:
                setattr(task, name, value)
        task.check_configuration()
        return task

    def check_configuration(self) -> None:
        """Raise a UserError when the options given don't go together."""

    # -- prompts ---------------------------------------------------------------------

    def render_prompt(self, example: dict, template: str | None = None) -> str:
        """The prompt for one example: `template` (the user's) or the task's."""
        return render(template or self.prompt, example)

    def zero_shot_answer(self, example: dict, text: str) -> str:
        """The task's output from what a model used zero-shot wrote (the code in a fenced
        block, say): by default the text, stripped."""
        return text.strip()

    def render_target(self, example: dict) -> str:
        return render(self.target, example)

    def field(self, example: dict, name: str):
        if name not in example:
            raise UserError(f"task {self.name} needs a {name!r} field, and the input has only "
                            f"{', '.join(map(repr, example)) or 'none'}: give whole examples as JSONL with --input")
        return example[name]

    def references(self, example: dict) -> list[str]:
        """The acceptable outputs for one example, as metrics see them: by default, the
        head's (the label, the answers' texts, the rendered target)."""
        from llmcli.registry import get_head

        return get_head(self.head).references(self, example)

    # -- data ------------------------------------------------------------------------

    def check_example(self, example: dict, where: str) -> dict:
        """Raise a UserError naming `where` (a file and line) when a field is missing."""
        if not isinstance(example, dict):
            raise UserError(f"{where}: expected an object with fields {', '.join(self.fields)}")
        missing = [name for name in self.fields if name not in example]
        if missing:
            raise UserError(
                f"{where}: missing field {', '.join(repr(m) for m in missing)} (task {self.name} "
                f"needs {', '.join(self.fields)})"
            )
        return example

    def splits_in(self, folder) -> dict[str, object]:
        """A dataset folder's splits: {split: source} for `read_split`. By default the
        files train.*, validation.* (or val, dev) and test.* in a standard format."""
        from llmcli.datasets import split_files

        return split_files(folder)

    def read_split(self, source) -> list[dict]:
        """Examples of one split from what `splits_in` found (by default, a file)."""
        return self.read_file(source)

    def read_file(self, path) -> list[dict]:
        """Examples from a local file in a standard format (JSONL, JSON, TSV or CSV, maybe
        gzipped). Override to read a task's own formats."""
        from llmcli.datasets.formats import read_records

        return [self.check_example(record, where) for where, record in read_records(path)]

    # -- predictions and reports -----------------------------------------------------

    def predict(self, bundle, examples: list[dict], *, decoding: dict | None = None) -> list[Prediction]:
        """Predictions for examples with `bundle` (a llmcli.task_model.TaskModel: model,
        tokenizer, head, settings, prompt): the head's, by default. Override to draw several
        samples per example or to add details a metric reads."""
        return bundle.head.predict(bundle, examples, decoding=decoding)

    def given_predictions(self, examples: list[dict]) -> list[Prediction] | None:
        """Predictions someone else made (a task option naming a file of them): `eval`
        then scores them and needs no model. None: none given."""
        return None

    def extra_report(self, examples: list[dict], predictions: list[Prediction]) -> dict:
        """JSON-able extras for `eval` (a confusion matrix, per-example results)."""
        return {}

    def show_extra(self, console, extra: dict) -> None:
        """Draw `extra_report`'s extras under eval's table."""

    # -- interactive use ---------------------------------------------------------------

    def read_input(self, text: str) -> dict:
        """An example from what the user typed (or one line of piped input). Raise
        InputTaken for an input that is taken without a prediction."""
        return {self.input_field: text}

    def show_output(self, console, example: dict, prediction: Prediction) -> None:
        """Draw one prediction for a person (`llmcli run`)."""
        probabilities = prediction.details.get("probabilities")
        if probabilities:
            from llmcli.display import probability_table

            console.print(probability_table(probabilities))
        else:
            console.print(prediction.text, markup=False, highlight=False)


class SafeFormatter(string.Formatter):
    def get_value(self, key, args, kwargs):
        if isinstance(key, str) and key not in kwargs:
            raise UserError(f"the prompt names a field {{{key}}} the example lacks: it has "
                            f"{', '.join('{' + k + '}' for k in kwargs)}")
        return super().get_value(key, args, kwargs)


def render(template: str, example: dict) -> str:
    try:
        return SafeFormatter().format(template, **example)
    except (ValueError, IndexError) as exc:
        raise UserError(f"the prompt format {template!r} is invalid ({exc}): use {{field}} "
                        "for a field and {{ }} for a literal brace") from None


def check_template(template: str, task: Task) -> str:
    """A user's --prompt: a valid format string over the task's fields."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise UserError(f"the prompt format {template!r} is invalid ({exc}): use {{field}} "
                        "for a field and {{ }} for a literal brace") from None
    unknown = [n for n in names if n not in task.fields]
    if unknown:
        raise UserError(f"--prompt names {', '.join('{' + n + '}' for n in unknown)}, not a field of "
                        f"task {task.name}: use {', '.join('{' + f + '}' for f in task.fields)}")
    return template

