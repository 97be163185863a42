"""Run with `python -m pytest tests` in this folder (after installing the plugin)."""

import pytest

from llmcli.errors import UserError
from llmcli_numbers import register_datasets, register_metrics, register_tasks
from llmcli_numbers.data import SIZES, generate, split_of
from llmcli_numbers.metric import word_error_rate
from llmcli_numbers.task import NumbersTask
from llmcli_numbers.words import to_words


@pytest.mark.parametrize("number, words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (58, "fifty-eight"), (100, "one hundred"),
    (407, "four hundred seven"), (1000, "one thousand"), (12031, "twelve thousand thirty-one"),
    (70010, "seventy thousand ten"), (99999, "ninety-nine thousand nine hundred ninety-nine"),
])
def test_words(number, words):
    assert to_words(number) == words


def test_examples_are_repeatable_and_test_numbers_are_never_trained_on():
    assert generate("test", 50, 0) == generate("test", 50, 0)
    train = {example["number"] for example in generate("train", SIZES["train"], 0)}
    for split in ("validation", "test"):
        held_out = [example["number"] for example in generate(split, SIZES[split], 0)]
        assert len(set(held_out)) == len(held_out) == SIZES[split]
        assert not train & set(held_out)
        assert all(split_of(int(n.replace(",", ""))) == split for n in held_out)


def test_word_error_rate():
    result = word_error_rate(["four hundred seven", "twelve thousand"],
                             [["four hundred seven"], ["twelve thousand thirty-one"]])
    assert result == {"word_error_rate": pytest.approx(100 * 1 / 6)}  # one word missing of six


def test_typed_numbers_take_the_training_format():
    task = NumbersTask()
    assert task.read_input(" 12031 ") == {"number": "12,031"}
    assert task.render_prompt(task.read_input("12 031")) == "12,031 in words:"
    with pytest.raises(UserError):
        task.read_input("twelve")


def test_the_hooks_register_what_the_task_names():
    found = {}
    for hook in (register_tasks, register_datasets, register_metrics):
        hook(lambda item: found.setdefault(item.name, item))
    task = found["numbers"]
    assert task.default_dataset in found and all(m in found or m == "exact_match" for m in task.metrics)
    assert found["word_error_rate"].higher_is_better is False
