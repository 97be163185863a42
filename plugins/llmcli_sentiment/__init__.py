"""The built-in sentiment task: is a review negative or positive?

A classifier (the `classify` head) on a generated dataset of film, restaurant and product
reviews, or on any labelled sentences (SST-2's TSV, CSV, JSONL). Registered through the
`llmcli` entry point like any third-party plugin; torch is imported only by the head.
"""

from llmcli import hookimpl


@hookimpl
def register_tasks(register):
    from llmcli_sentiment.task import SentimentTask

    register(SentimentTask())


@hookimpl
def register_datasets(register):
    from llmcli.datasets import GeneratedDataset

    from llmcli_sentiment.generator import SIZES, generate

    register(GeneratedDataset(
        "sentiment-reviews", "sentiment", generate, SIZES,
        "film, restaurant and product reviews with negation, contrast and verdicts; held-out negations in test"))
