"""A fine-tuned model's predictions on a task's examples, and the task's metrics of them."""

from __future__ import annotations

import time
from typing import Callable

from llmcli.errors import UserError
from llmcli.task_model import TaskModel

PREDICT_CHUNK = 256  # examples per call to the head (a head may batch them), between progress reports


def task_for_model(task, given: dict, model_ref: str | None):
    """The task configured with the options given on the command line, and, for those
    not given, the options the model was fine-tuned with (a de->en model stays de->en)."""
    from llmcli.paths import resolve_model
    from llmcli.training.run_config import load_config

    saved = {}
    if model_ref is not None:
        path = resolve_model(model_ref)
        try:
            task_info = load_config(path).task
            saved = task_info.options if task_info else {}
        except UserError:
            saved = {}  # load_task_model reports what is wrong with the model
    return task.configured({**saved, **{k: v for k, v in given.items() if v is not None}})


def load_task_model(model_ref: str, task, precision: str = "auto", prompt: str | None = None) -> TaskModel:
    """The model ready for the task: fine-tuned for it, or a plain model used zero-shot
    (`prompt`: the user's instruction in place of the task's `zero_shot_prompt`)."""
    from llmcli import registry
    from llmcli.model.loading import load_model
    from llmcli.model.quantize import prepare_for_generation
    from llmcli.paths import resolve_model

    path = resolve_model(model_ref)
    loaded = load_model(path, find_head=registry.get_head)
    info = loaded.config.task
    if info is not None and info.name != task.name:
        raise UserError(f"{path.name} was fine-tuned for task {info.name}, not {task.name}: "
                        f"`llmcli models` lists the models, or fine-tune one with `llmcli finetune {task.name}`")
    if info is None:
        tm = plain_model_for(path, loaded, task, prompt)
    elif prompt is not None:
        raise UserError(f"{path.name} was fine-tuned for {task.name} with its own prompt: --prompt is the "
                        "instruction for a model used zero-shot (one not fine-tuned for the task)")
    else:
        tm = TaskModel(name=path.name, path=path, model=loaded.model, tokenizer=loaded.tokenizer, task=task,
                       head=registry.get_head(task.head), settings=info.settings, prompt=info.prompt)
    prepare_for_generation(loaded.model, precision)
    return tm


def plain_model_for(path, loaded, task, prompt: str | None) -> TaskModel:
    """A language model not fine-tuned for the task: used zero-shot where the task has an
    instruction (or the user gave one) and its head a zero-shot head; else, where the head
    serves plain models, continuing the task's own prompt."""
    from llmcli import registry
    from llmcli.tasks import check_template

    head = registry.get_head(task.head)
    if not loaded.model.config.causal:  # zero-shot prompting and plain continuation both read the next token
        raise UserError(f"{path.name} is a masked-LM encoder, not fine-tuned for {task.name}: it does not predict "
                        f"the next token, so it cannot answer prompts; fine-tune it first "
                        f"(`llmcli finetune {task.name} --base {path.name}`, for a classify or span task)")
    instruction = check_template(prompt, task) if prompt is not None else task.zero_shot_prompt
    bundle = dict(name=path.name, path=path, model=loaded.model, tokenizer=loaded.tokenizer, task=task)
    if instruction is not None and head.zero_shot_head is not None:
        zero_shot = registry.get_head(head.zero_shot_head)
        return TaskModel(**bundle, head=zero_shot, prompt=instruction, zero_shot=True,
                         settings=zero_shot.zero_shot_settings(task=task, tokenizer=loaded.tokenizer))
    if head.serves_plain_model and prompt is None:
        return TaskModel(**bundle, head=head, settings={}, prompt=None)
    raise UserError(f"{path.name} is a language model, not fine-tuned for {task.name}, and {task.name} has no "
                    f"zero-shot prompt: run `llmcli finetune {task.name} --base {path.name} --time 2m` first")


def model_kind(tm: TaskModel) -> str:
    """How the model came to serve the task, as eval's table says it: zero-shot, plain
    (a language model continuing the task's prompt), from scratch or fine-tuned."""
    if tm.zero_shot:
        return "zero-shot"
    from llmcli.training.run_config import load_config

    config = load_config(tm.path)
    if config.task is None:
        return "plain"
    return "from scratch" if config.origin.start == "scratch" else "fine-tuned"


def predict(tm: TaskModel, examples: list[dict], decoding: dict | None = None,
            on_progress: Callable[[int], None] | None = None) -> list:
    out = []
    for start in range(0, len(examples), PREDICT_CHUNK):
        chunk = examples[start : start + PREDICT_CHUNK]
        out.extend(tm.task.predict(tm, chunk, decoding=decoding))
        if on_progress:
            on_progress(len(out))
    return out


def compute_metrics(task, predictions: list, examples: list[dict], lower_is_better: set | None = None,
                    notes: dict | None = None) -> dict[str, float]:
    """The task's figures. The names of those where lower is better are added to
    `lower_is_better`, and what metrics say in words (sacrebleu's signature) to `notes`."""
    from llmcli import registry

    metrics = registry.get().metrics
    texts = [p.text for p in predictions]
    references = [task.references(e) for e in examples]
    figures: dict[str, float] = {}
    for name in task.metrics:
        metric = metrics.get(name)
        result = metric.compute(predictions if metric.takes_predictions else texts, references, examples)
        numbers = {k: v for k, v in result.items() if not isinstance(v, str)}
        figures.update({k: round(float(v), 4) for k, v in numbers.items()})
        if notes is not None:
            notes.update({k: v for k, v in result.items() if isinstance(v, str)})
        if lower_is_better is not None and not metric.higher_is_better:
            lower_is_better.update(numbers)
    return figures


def evaluate(tm: TaskModel, examples: list[dict], decoding: dict | None = None, on_progress=None) -> dict:
    started = time.perf_counter()
    return score(tm.task, examples, predict(tm, examples, decoding, on_progress), started)


def score(task, examples: list[dict], predictions: list, started: float | None = None) -> dict:
    """The metrics of predictions (a model's, or given with the task's options), with the
    notes, the extras the task reports, and the seconds since `started`."""
    started = time.perf_counter() if started is None else started
    lower: set[str] = set()
    notes: dict[str, str] = {}
    metrics = compute_metrics(task, predictions, examples, lower, notes)
    return {
        "metrics": metrics,
        "notes": notes,
        "lower_is_better": sorted(lower),
        "predictions": predictions,
        "extra": task.extra_report(examples, predictions),
        "seconds": round(time.perf_counter() - started, 2),
    }
