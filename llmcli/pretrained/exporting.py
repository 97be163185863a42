"""What both exporters share: the dtypes, the model's tensors as float32, and writing the
output beside its final place and renaming it there, so that an interrupted export leaves
nothing half-written (and an existing output is replaced only with --force)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from llmcli.errors import UserError
from llmcli.files import move_into_place

DTYPES = ("f32", "f16", "bf16", "q8_0")
HF_DTYPES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}


def check_dtype(dtype: str, allowed, fmt: str) -> None:
    if dtype not in allowed:
        raise UserError(f"--dtype {dtype} is not supported for --format {fmt}: choose one of {', '.join(allowed)}")


def check_output(out: Path, force: bool, folder: bool) -> None:
    """OUT may be replaced only with force, and only by its own kind: a GGUF file never
    replaces a folder, and an export folder replaces only an empty folder or one with a
    config.json (an earlier export), never any other folder's files."""
    if out.exists() and not force:
        raise UserError(f"{out} already exists: pass --force to replace it, or choose another path")
    if out.is_dir() and not folder:
        raise UserError(f"{out} is a folder: give the path of the file to write (NAME.gguf)")
    if out.exists() and folder and not out.is_dir():
        raise UserError(f"{out} is a file: give the path of the folder to write")
    if out.is_dir() and any(out.iterdir()) and not (out / "config.json").is_file():
        raise UserError(f"{out} is a folder of other files, not a model folder: --force replaces only an "
                        "earlier export; choose another path")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent} is not a folder: create it first, or choose another path")


def temporary_path(out: Path) -> Path:
    """A name beside `out` for the export in progress (hidden, with the process id)."""
    return out.with_name(f".{out.name}.export-{os.getpid()}.tmp")


def discard(tmp: Path) -> None:
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)


def write_atomically(out: Path, force: bool, folder: bool, write) -> None:
    """`write(tmp)` makes the output (a folder or a file) at a temporary path, which then
    becomes `out`."""
    check_output(out, force, folder)
    tmp = temporary_path(out)
    discard(tmp)
    try:
        write(tmp)
        move_into_place(tmp, out)
    except BaseException:
        discard(tmp)
        raise


def float_state(model) -> dict:
    """The core model's weights as float32 tensors on the CPU, without a task head's."""
    import torch

    return {name: t.detach().to("cpu", torch.float32) for name, t in model.state_dict().items()
            if not name.startswith("task_head.")}


def check_tokenizer(loaded, fmt: str) -> None:
    """The tokenizers each format holds: llmcli's SentencePiece BPE models (both), an
    imported model's Hugging Face tokenizer (hf as it is; gguf when it is byte-level BPE,
    which export_bpe.py checks); not a SentencePiece unigram model."""
    kind = loaded.config.tokenizer.type
    if kind not in ("bpe", "hf"):
        raise UserError(f"the model's tokenizer is {kind!r}: export writes llmcli's SentencePiece BPE "
                        f"tokenizers and imported models' own; --format {fmt} cannot hold this one")
