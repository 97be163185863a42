"""llmcli's built-in story task: an opening line in, a short story out.

It brings the task (task.py), a generated dataset of children's stories (generator.py,
drawing on world.py), loaders for plain-text story collections and any text (loaders.py)
and three metrics (metrics.py). Nothing here imports torch: the hooks import the modules
they need when llmcli calls them.
"""

from llmcli import hookimpl


@hookimpl
def register_tasks(register):
    from llmcli_story.task import StoryTask

    register(StoryTask())


@hookimpl
def register_datasets(register):
    from llmcli.datasets import GeneratedDataset

    from llmcli_story.generator import SIZES, generate

    register(GeneratedDataset("story-tales", "story", generate, SIZES,
                              "short children's stories written by a procedure; test openings unseen in training"))


@hookimpl
def register_metrics(register):
    from llmcli.metrics import Metric

    from llmcli_story.metrics import bits_per_byte, distinct, repetition_rate

    register(Metric("bits_per_byte", bits_per_byte,
                    "the model's cross-entropy on the reference continuations, in bits per UTF-8 byte",
                    higher_is_better=False, takes_predictions=True))
    register(Metric("distinct", distinct,
                    "distinct_1 and distinct_2: unique words and word pairs over all of them in the "
                    "generated texts, % (the references' as a note)"))
    register(Metric("repetition_rate", repetition_rate,
                    "word 4-grams of a generated text that repeat one earlier in the same text, % "
                    "(the references' as a note)", higher_is_better=False))
