"""llmcli-numbers: a task plugin for llmcli that writes numbers in English words.

The hooks import the plugin's modules only when llmcli calls them, and nothing here
imports torch, so installing the plugin keeps `llmcli --help` fast.
"""

from llmcli import hookimpl

__version__ = "0.1.0"


@hookimpl
def register_tasks(register):
    from llmcli_numbers.task import NumbersTask

    register(NumbersTask())


@hookimpl
def register_datasets(register):
    from llmcli.datasets import GeneratedDataset

    from llmcli_numbers.data import SIZES, generate

    register(GeneratedDataset("numbers-words", "numbers", generate, SIZES,
                              "numbers 0-99,999 and their English words; test numbers unseen in training"))


@hookimpl
def register_metrics(register):
    from llmcli.metrics import Metric

    from llmcli_numbers.metric import word_error_rate

    register(Metric("word_error_rate", word_error_rate,
                    "words to change, add or remove per 100 reference words, %", higher_is_better=False))
