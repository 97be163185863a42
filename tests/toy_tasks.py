"""A plugin for tests: three small tasks, one per built-in head, on generated data."""

import random

from llmcli import hookimpl
from llmcli.datasets import GeneratedDataset
from llmcli.errors import UserError
from llmcli.tasks import Prediction, Task, TaskOption

WORDS = "apple river stone cloud green fast quiet lamp bird tree house paper".split()
COLORS = "red blue green black white yellow".split()


class Reverse(Task):
    name = "reverse"
    description = "write a list of words backwards"
    default_dataset = "reverse-gen"
    prompt = "{input} =>"
    default_time = "20s"
    options = (
        TaskOption("--words-field", "words_field", "The field of a data file that holds the words."),
        TaskOption("--outputs", "outputs_file", "A file of outputs to score, one per line (no model).",
                   commands=("eval",), metavar="FILE"),
    )
    words_field = "input"
    outputs_file = None

    def check_configuration(self):
        if not self.words_field.isidentifier():
            raise UserError(f"--words-field {self.words_field!r} is not a field name")

    def read_file(self, path):
        from llmcli.datasets.formats import read_records

        examples = []
        for where, record in read_records(path):
            if self.words_field not in record:
                raise UserError(f"{where}: no {self.words_field!r} field (choose another with --words-field)")
            words = record[self.words_field]
            examples.append({"input": words, "output": " ".join(reversed(words.split()))})
        return examples

    def given_predictions(self, examples):
        if self.outputs_file is None:
            return None
        with open(self.outputs_file, encoding="utf-8") as lines:
            return [Prediction(line.strip()) for line in lines][: len(examples)]


class Bird(Task):
    name = "bird"
    description = "does the text mention a bird?"
    head = "classify"
    metrics = ("accuracy", "macro_f1")
    fields = ("text", "label")
    prompt = "{text}"
    input_field = "text"
    default_dataset = "bird-gen"


class Color(Task):
    name = "color"
    description = "find the color of a thing in a list"
    head = "span"
    metrics = ("exact_match", "token_f1")
    fields = ("context", "question", "answers")
    prompt = "{question}"
    input_field = "question"
    default_dataset = "color-gen"


def reverse_examples(split, count, seed):
    rng = random.Random(f"{seed}-{split}")
    out = []
    for _ in range(count):
        words = rng.sample(WORDS, rng.randint(2, 4))
        out.append({"input": " ".join(words), "output": " ".join(reversed(words))})
    return out


def bird_examples(split, count, seed):
    rng = random.Random(f"{seed}-{split}")
    out = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 8))]
        out.append({"text": " ".join(words), "label": "yes" if "bird" in words else "no"})
    return out


def color_examples(split, count, seed):
    rng = random.Random(f"{seed}-{split}")
    out = []
    for _ in range(count):
        things = rng.sample(WORDS, 4)
        pairs = [(t, rng.choice(COLORS)) for t in things]
        context = ". ".join(f"the {t} is {c}" for t, c in pairs) + "."
        thing, color = rng.choice(pairs)
        start = context.index(f"the {thing} is ") + len(f"the {thing} is ")
        out.append({"context": context, "question": f"what color is the {thing}?",
                    "answers": [{"text": color, "start": start}]})
    return out


SIZES = {"train": 2000, "validation": 64, "test": 64}


@hookimpl
def register_tasks(register):
    for task in (Reverse(), Bird(), Color()):
        register(task)


@hookimpl
def register_datasets(register):
    register(GeneratedDataset("reverse-gen", "reverse", reverse_examples, SIZES, "word lists and their reversal"))
    register(GeneratedDataset("bird-gen", "bird", bird_examples, SIZES, "word lists, with or without a bird"))
    register(GeneratedDataset("color-gen", "color", color_examples, SIZES, "things, their colors, questions"))
