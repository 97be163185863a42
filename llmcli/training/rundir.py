"""The run directory: everything about one model, with no pickle anywhere.

    config.json        model shape, preset, training settings, data, versions
    model.safetensors  the weights
    tokenizer.model    the SentencePiece tokenizer (tokenizer.json and tokenizer_config.json
                       for an imported model's: model/tokenizer_files.py)
    summary.json       final figures (validation loss and bits per byte, time, tokens)
    metrics.jsonl      one line per logged step or evaluation
    checkpoint/        what --resume needs: weights, optimizer, trainer state with RNG

Every file is written atomically. The checkpoint folder is replaced as a whole: the new one
is written beside it and renamed into place, so a crash mid-write keeps the previous one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from llmcli.errors import UserError
from llmcli.files import atomic_write_bytes, atomic_write_json

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.model"
SUMMARY = "summary.json"
METRICS = "metrics.jsonl"
CHECKPOINT = "checkpoint"
STATE = "trainer_state.json"
OPTIMIZER = "optimizer.safetensors"


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path} is missing: the model directory is incomplete") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is corrupt ({exc}): retrain the model or restore the file") from None


def save_weights(path: Path, state: dict) -> None:
    from safetensors.torch import save

    tensors = {k: v.detach().contiguous().cpu() for k, v in state.items()}
    atomic_write_bytes(path, save(tensors))


def load_weights(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise UserError(f"{path} is missing: the model directory is incomplete")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        rebuild = ""
        if path.name == WEIGHTS and (path.parent / CHECKPOINT / WEIGHTS).is_file():
            rebuild = "; the run's checkpoint is intact: `--resume` on its training command rebuilds the weights"
        raise UserError(f"{path} is corrupt ({exc}): retrain the model or restore the file{rebuild}") from None


def write_checkpoint(run: Path, weights: dict, optimizer: dict, state: dict) -> None:
    """Replace run/checkpoint as a whole; the previous one survives any crash before the swap."""
    run.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=run, prefix=".checkpoint-"))
    try:
        save_weights(tmp / WEIGHTS, weights)
        save_weights(tmp / OPTIMIZER, optimizer)
        atomic_write_json(tmp / STATE, state)
        final, old = run / CHECKPOINT, run / (CHECKPOINT + ".old")
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def checkpoint_dir(run: Path) -> Path | None:
    """The newest complete checkpoint (the old one if a crash came between the two renames)."""
    for name in (CHECKPOINT, CHECKPOINT + ".old"):
        if (run / name / STATE).is_file():
            return run / name
    return None


def read_checkpoint(run: Path) -> tuple[dict, dict, dict]:
    folder = checkpoint_dir(run)
    if folder is None:
        raise UserError(f"{run} has no checkpoint to resume from: train it again with --force")
    return (
        load_weights(folder / WEIGHTS),
        load_weights(folder / OPTIMIZER),
        read_json(folder / STATE),
    )
