"""Where models live, and how a name or a path given on the command line finds one."""

from __future__ import annotations

import os
import re
from pathlib import Path

from llmcli.errors import UserError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def home() -> Path:
    """The data directory: $LLMCLI_HOME, or the platform's user data directory."""
    override = os.environ.get("LLMCLI_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("llmcli", appauthor=False))


def models_dir() -> Path:
    return home() / "models"


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise UserError(
            f"invalid run name {name!r}: use letters, digits, '.', '_' or '-' (at most 64, "
            "starting with a letter or digit)"
        )
    return name


def name_from_file(path: str | os.PathLike) -> str:
    """A default run name from a corpus file name: 'tinyshakespeare.txt' -> 'tinyshakespeare'."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(path).stem).strip("-._") or "model"
    return stem[:64]


def is_run_dir(path: Path) -> bool:
    from llmcli.training.run_config import has_config

    return has_config(path)


def resolve_model(name_or_path: str) -> Path:
    """A run directory from a name under the data directory, or from a path."""
    candidate = Path(name_or_path).expanduser()
    if NAME_PATTERN.match(name_or_path) and is_run_dir(models_dir() / name_or_path):
        return models_dir() / name_or_path  # a stored model's name wins over a folder here
    if is_run_dir(candidate):
        return candidate
    if candidate.exists():
        raise UserError(f"{name_or_path} is not a model directory (no config.json in it)")
    raise UserError(
        f"no model named {name_or_path!r} in {models_dir()}: run `llmcli models` to list them, "
        "or `llmcli train FILE --name NAME` to make one"
    )
