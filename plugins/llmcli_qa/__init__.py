"""The built-in qa task: extractive question answering. The answer to a question is a
span of a passage, found by the span head. Its dataset, qa-facts, is generated (short
paragraphs about invented people, towns and ships); SQuAD v1.1 JSON files and JSONL
examples can be read with --data. Scored by SQuAD's exact match and F1.

Nothing here imports torch: the modules are imported when llmcli calls the hooks.
"""

from llmcli import hookimpl


@hookimpl
def register_tasks(register):
    from llmcli_qa.task import QATask

    register(QATask())


@hookimpl
def register_datasets(register):
    from llmcli.datasets import GeneratedDataset

    from llmcli_qa.generator import SIZES, generate

    register(GeneratedDataset("qa-facts", "qa", generate, SIZES,
                              "questions on short generated paragraphs about invented people, towns and "
                              "ships; test paragraphs and names unseen in training"))


@hookimpl
def register_metrics(register):
    from llmcli.metrics import Metric

    from llmcli_qa.metrics import squad_em, squad_f1

    register(Metric("squad_em", squad_em, "answers equal to a gold answer after SQuAD's normalization "
                                          "(case, punctuation, a/an/the, spacing), %"))
    register(Metric("squad_f1", squad_f1, "word-overlap F1 with the best gold answer after SQuAD's "
                                          "normalization, %"))
