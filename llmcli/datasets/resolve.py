"""From what the user typed (`--data NAME|PATH`, `--split`) to examples for a task."""

from __future__ import annotations

from pathlib import Path

from llmcli.datasets import WHOLE, Dataset, FileDataset, split_named
from llmcli.errors import UserError

# held out of a training set that comes without a validation split
VALIDATION_SHARE = 0.05
MAX_VALIDATION = 500


def resolve_dataset(task, data: str | None) -> Dataset:
    """A registered dataset by name, or a local file or folder; the task's default if None."""
    from llmcli import registry

    datasets = registry.get().datasets
    if data is None:
        if not task.default_dataset:
            raise UserError(f"task {task.name} has no default dataset: give --data NAME or --data PATH")
        data = task.default_dataset
    if data in datasets.entries or data in datasets.conflicts:
        dataset = datasets.get(data)
        if dataset.task != task.name:
            raise UserError(f"dataset {data} is for task {dataset.task}, not {task.name}")
        return dataset
    path = Path(data).expanduser()
    if path.exists():
        return FileDataset(path.name, task.name, path)
    from llmcli.registry import did_you_mean

    own = [name for name in datasets.names() if datasets.entries[name].item.task == task.name]
    raise UserError(f"no dataset named {data!r} and no such file or folder: {did_you_mean(data, own)}"
                    f"`llmcli data list {task.name}` lists the task's datasets")



def training_splits(task, dataset: Dataset) -> tuple[list[dict], list[dict]]:
    """(train, validation): a dataset without a validation split lends the end of its
    training examples (5%, at most 500)."""
    names = dataset.split_names(task)
    train_name = "train" if "train" in names else WHOLE if WHOLE in names else None
    if train_name is None:
        raise UserError(f"dataset {dataset.name} has no training split: it has {', '.join(names)}")
    train = dataset.load(task, train_name)
    if "validation" in names:
        return train, dataset.load(task, "validation")
    if len(train) < 2:
        raise UserError(f"dataset {dataset.name} has {len(train)} example: too few to train on")
    held = max(1, min(MAX_VALIDATION, int(len(train) * VALIDATION_SHARE)))
    return train[:-held], train[-held:]


def evaluation_split(task, dataset: Dataset, split: str | None) -> tuple[str, list[dict]]:
    """(split name, examples): a single file is evaluated whole, whatever the split. With
    no split named, the test split, or the validation split of a dataset without one
    (Multi30k's public files, say); `val`, `valid` and `dev` name the validation split."""
    names = dataset.split_names(task)
    if names == [WHOLE]:
        return WHOLE, dataset.load(task, WHOLE)
    if split is None:
        split = "test" if "test" in names or "validation" not in names else "validation"
    split = split_named(split, names)
    return split, dataset.load(task, split)
