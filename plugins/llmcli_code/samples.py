"""Completions someone else generated, in the samples format of HumanEval's harness
({"task_id", "completion"} per line, several lines per problem for pass@k), as the
predictions `llmcli eval code --samples FILE` scores."""

from __future__ import annotations

from llmcli.errors import UserError
from llmcli.tasks import Prediction


def given(path, examples: list[dict]) -> list[Prediction]:
    """A Prediction per problem, its samples in details["samples"] in the file's order.
    A sample for a problem not being scored, or a problem without samples, is an error:
    the two files don't go together."""
    from llmcli_code.loaders import read_samples

    by_task: dict[str, list[str]] = {str(example["task_id"]): [] for example in examples}
    for where, task_id, completion in read_samples(path):
        if task_id not in by_task:
            raise UserError(f"{where}: task_id {task_id!r} is not one of the {len(by_task)} problems scored "
                            "(give the problems with --data, and all of them: no --limit)")
        by_task[task_id].append(completion)
    missing = [task_id for task_id, completions in by_task.items() if not completions]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise UserError(f"{path}: no samples for {len(missing)} of the {len(by_task)} problems ({shown}): "
                        "give at least one completion for each, or the problems that were sampled with --data")
    return [Prediction(by_task[str(e["task_id"])][0], {"samples": by_task[str(e["task_id"])]}) for e in examples]
