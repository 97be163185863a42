"""Datasets: named sets of examples with train/validation/test splits, for a task.

Four kinds, all registered with the `register_datasets` hook (or made on the fly from a
path the user gives):

- GeneratedDataset: made by a function, deterministically, so it needs no download;
- FileDataset: files in a folder (train.jsonl, validation.jsonl, test.jsonl...) or one file;
- DownloadDataset: files fetched by URL into a cache, each checked against its sha256.

A task reads the files (`Task.read_file`), so the same loaders serve every kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from llmcli.errors import UserError

SPLITS = ("train", "validation", "test")
WHOLE = "all"  # the one split of a single file
# names a split's file may have in a folder
SPLIT_NAMES = {"train": ("train",), "validation": ("validation", "valid", "val", "dev"), "test": ("test",)}


def hash_percent(key: str) -> int:
    """A stable number from 0 to 99 for a string (the same on every machine and run)."""
    import hashlib

    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest(), "big") % 100


def split_by_hash(key: str, shares: dict[str, int]) -> str:
    """The split a generated example belongs to, fixed by a hash of its key (its opening,
    its sentence, a name in it): so no key is in two splits, whatever is generated.
    `shares` gives the percent of keys for "validation" and "test"; the rest are "train"."""
    bucket = hash_percent(key)
    if bucket < shares["validation"]:
        return "validation"
    if bucket < shares["validation"] + shares["test"]:
        return "test"
    return "train"


class Dataset:
    name: str
    task: str
    description: str = ""
    kind: str = "dataset"

    def split_names(self, task) -> list[str]:
        raise NotImplementedError

    def load(self, task, split: str) -> list[dict]:
        raise NotImplementedError

    def declared_sizes(self) -> dict[str, int]:
        """Split sizes known without loading anything (for listings)."""
        return {}

    def location(self) -> str:
        return self.kind


class GeneratedDataset(Dataset):
    """Examples from `generate(split, count, seed) -> list[dict]`, which must give the same
    examples for the same arguments and keep the splits apart."""

    kind = "generated"

    def __init__(self, name: str, task: str, generate: Callable[[str, int, int], list[dict]],
                 sizes: dict[str, int], description: str = "", seed: int = 0):
        self.name, self.task, self.description = name, task, description
        self.generate, self.sizes, self.seed = generate, dict(sizes), seed
        self._cache: dict[str, list[dict]] = {}

    def split_names(self, task) -> list[str]:
        return list(self.sizes)

    def declared_sizes(self) -> dict[str, int]:
        return dict(self.sizes)

    def load(self, task, split: str) -> list[dict]:
        check_split(self, split, self.split_names(task))
        if split not in self._cache:
            self._cache[split] = [
                task.check_example(example, f"dataset {self.name} ({split} #{i})")
                for i, example in enumerate(self.generate(split, self.sizes[split], self.seed))
            ]
        return self._cache[split]

    def location(self) -> str:
        return f"generated (seed {self.seed})"


class FileDataset(Dataset):
    """A folder of split files, or a single file (whose one split is "all")."""

    kind = "files"

    def __init__(self, name: str, task: str, path, description: str = ""):
        self.name, self.task, self.description = name, task, description
        self.path = Path(path)

    def sources(self, task) -> dict[str, object]:
        if self.path.is_dir():
            found = task.splits_in(self.path)
            if not found:
                raise UserError(f"{self.path}: no split files in it: name them train, validation (or "
                                "val, dev) and test, or NAME.train, NAME.dev..., ending in .jsonl, .json, "
                                ".tsv or .csv")
            return found
        if self.path.is_file():
            return {WHOLE: self.path}
        raise UserError(f"{self.path}: no such file or folder")

    def split_names(self, task) -> list[str]:
        return list(self.sources(task))

    def load(self, task, split: str) -> list[dict]:
        sources = self.sources(task)
        check_split(self, split, list(sources))
        examples = task.read_split(sources[split])
        if not examples:
            raise UserError(f"{sources[split]}: no examples in it")
        return examples

    def location(self) -> str:
        return str(self.path)


@dataclass
class Remote:
    """A file to download: its URL and the sha256 of its bytes."""

    url: str
    sha256: str
    filename: str | None = None  # default: the last part of the URL


class DownloadDataset(Dataset):
    """Files fetched by URL into llmcli's cache on first use, checked against their sha256."""

    kind = "download"

    def __init__(self, name: str, task: str, files: dict[str, Remote], description: str = ""):
        self.name, self.task, self.description = name, task, description
        self.files = dict(files)

    def split_names(self, task) -> list[str]:
        return list(self.files)

    def cache_dir(self) -> Path:
        from llmcli.paths import home

        return home() / "datasets" / self.name

    def load(self, task, split: str) -> list[dict]:
        from llmcli.datasets.download import fetch

        check_split(self, split, self.split_names(task))
        return task.read_split(fetch(self.files[split], self.cache_dir()))

    def location(self) -> str:
        return f"{self.cache_dir()} (from {', '.join(sorted({r.url.rsplit('/', 1)[0] for r in self.files.values()}))})"


def split_named(split: str, names: list[str]) -> str:
    """The split a user means among a dataset's `names`: one of its own names as it is,
    else the standard split an alias stands for ("val" and "dev": "validation")."""
    if split in names:
        return split
    return next((standard for standard, aliases in SPLIT_NAMES.items() if split in aliases), split)


def check_split(dataset: Dataset, split: str, names: list[str]) -> None:
    if split not in names:
        aliases = " (val and dev name the validation split)" if "validation" in names else ""
        raise UserError(f"dataset {dataset.name} has no {split!r} split: it has {', '.join(names)}{aliases}")


def split_files(folder: Path, suffixes: tuple[str, ...] | None = None) -> dict[str, Path]:
    """The standard split files in a folder: train.jsonl, val.tsv.gz, test.json... (or
    with the `suffixes` a task reads, such as .txt), or with a name before the split's,
    as DialogSum's dialogsum.dev.jsonl."""
    from llmcli.datasets.formats import SUFFIXES

    found = {}
    for split, names in SPLIT_NAMES.items():
        for name in names:
            for suffix in suffixes or SUFFIXES:
                for ending in (f"{name}{suffix}", f"{name}{suffix}.gz"):
                    named = sorted(folder.glob(f"*.{ending}"))
                    for candidate in [folder / ending, *named]:
                        if candidate.is_file() and split not in found:
                            found[split] = candidate
    return found
