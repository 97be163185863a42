"""llmcli's built-in code task: write a Python function's body from its def line and
docstring, scored by running unit tests in llmcli's sandbox (pass@k).

It brings the task, the generated dataset code-functions, loaders for HumanEval and MBPP
files, and the metrics pass_at_k and compiles. The hooks import the modules only when
llmcli calls them: nothing here imports torch.
"""

from llmcli import hookimpl


@hookimpl
def register_tasks(register):
    from llmcli_code.task import CodeTask

    register(CodeTask())


@hookimpl
def register_datasets(register):
    from llmcli.datasets import GeneratedDataset

    from llmcli_code.generator import SIZES, generate

    register(GeneratedDataset("code-functions", "code", generate, SIZES,
                              "small Python functions (lists, strings, arithmetic, branches, loops) with "
                              "descriptions and unit tests; test problems compute what no training problem does"))


@hookimpl
def register_metrics(register):
    from llmcli.metrics import Metric

    from llmcli_code.execution import compiles_metric, pass_at_k_metric

    register(Metric("pass_at_k", pass_at_k_metric,
                    "share of problems a sample passes the tests of: pass@1, pass@10 (unbiased estimator), %",
                    takes_predictions=True))
    register(Metric("compiles", compiles_metric, "share of samples that compile (with their prompt), %",
                    takes_predictions=True))

