"""llmcli's own plugin: the heads and shared metrics every task can use. (The built-in
tasks live in plugins/ and register through entry points, as third-party tasks do.)"""

from llmcli import hookimpl


@hookimpl
def register_heads(register):
    from llmcli.heads.classification import ClassificationHead
    from llmcli.heads.label_likelihood import LabelLikelihood
    from llmcli.heads.language_model import LanguageModelHead
    from llmcli.heads.span import SpanHead
    from llmcli.heads.zero_shot import GeneratedAnswer, GeneratedSpan

    # the three task heads, then those that serve their tasks zero-shot (`zero_shot_head`)
    for head in (LanguageModelHead(), ClassificationHead(), SpanHead(), GeneratedAnswer(), GeneratedSpan(),
                 LabelLikelihood()):
        register(head)


@hookimpl
def register_metrics(register):
    from llmcli.metrics.basic import BASIC_METRICS
    from llmcli.metrics.text import TEXT_METRICS

    for metric in [*BASIC_METRICS, *TEXT_METRICS]:
        register(metric)
