"""Reading a training corpus: checks that say exactly what is wrong with a file."""

from __future__ import annotations

import os
from pathlib import Path

from llmcli.errors import UserError


def read_corpus(path: str | os.PathLike) -> str:
    """The file's text; one clear UserError for a missing, empty, binary or non-UTF-8 file."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path} is a directory: give a text file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror})") from exc
    if not data.strip():
        raise UserError(f"{path} is empty: give a text file with some text in it")
    if b"\x00" in data[:65536]:
        raise UserError(f"{path} looks binary (it contains NUL bytes): give a UTF-8 text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserError(
            f"{path}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}, offset "
            f"{exc.start}): convert it, e.g. `iconv -f latin1 -t utf-8`"
        ) from exc
    return text.removeprefix("\ufeff")  # a byte-order mark is not text


def split_train_val(text: str, val_fraction: float) -> tuple[str, str]:
    """The first part to train on and a contiguous tail to validate on, as nanoGPT does."""
    if not 0 <= val_fraction < 1:
        raise UserError(f"--val-fraction must be in [0, 1), not {val_fraction}")
    cut = len(text) - int(len(text) * val_fraction)
    return text[:cut], text[cut:]
