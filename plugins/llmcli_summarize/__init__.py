"""The built-in summarize task: documents and dialogues in, summaries of their key facts
out, with a generated dataset (summarize-facts) and loaders for DialogSum-style files.

Nothing here imports torch or rouge-score: the hooks import the plugin's modules only
when llmcli calls them.
"""

from llmcli import hookimpl


@hookimpl
def register_tasks(register):
    from llmcli_summarize.task import SummarizeTask

    register(SummarizeTask())


@hookimpl
def register_datasets(register):
    from llmcli.datasets import GeneratedDataset

    from llmcli_summarize.generator import SIZES, generate

    register(GeneratedDataset("summarize-facts", "summarize", generate, SIZES,
                              "chats, incident and match reports, news and notices, with summaries of "
                              "their key facts; no summary shared between splits"))
