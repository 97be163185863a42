"""llmcli's built-in translate task: the task, its generated English-German corpus, and
readers for the parallel text people already have (Multi30k's layout, TSV, JSONL).

The hooks import the plugin's modules only when llmcli calls them; nothing imports torch
or sacrebleu, so `llmcli --help` stays fast.
"""

from llmcli import hookimpl


@hookimpl
def register_tasks(register):
    from llmcli_translate.task import TranslateTask

    register(TranslateTask())


@hookimpl
def register_datasets(register):
    from llmcli.datasets import GeneratedDataset

    from llmcli_translate.generator import SIZES, generate

    register(GeneratedDataset(
        "grammar-en-de", "translate", generate, SIZES,
        "English-German sentence pairs from llmcli's own lexicon and grammar (cases, genders, "
        "verb second and verb last); test sentences unseen in training"))
