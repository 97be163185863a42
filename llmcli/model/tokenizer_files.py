"""One way to open a run directory's tokenizer, whichever backend it has.

The run config's `tokenizer.type` chooses: "bpe" and "unigram" are llmcli's own
SentencePiece models (`tokenizer.model`), "hf" an imported model's Hugging Face tokenizer
(`tokenizer.json` and `tokenizer_config.json`). Both backends have the same interface
(model/tokenizer.py's `Tokenizer`, model/hf_tokenizer.py's `HFTokenizer`).
"""

from __future__ import annotations

from pathlib import Path

from llmcli.errors import UserError
from llmcli.training import rundir

SENTENCEPIECE_TYPES = ("bpe", "unigram")
HF = "hf"
HF_FILE = "tokenizer.json"  # tokenizer_config.json beside it
TYPES = (*SENTENCEPIECE_TYPES, HF)


def tokenizer_file(kind: str) -> str:
    """The file name a run directory keeps a tokenizer of this type in."""
    if kind == HF:
        return HF_FILE
    if kind in SENTENCEPIECE_TYPES:
        return rundir.TOKENIZER
    raise UserError(f"unknown tokenizer type {kind!r} in config.json (known: {', '.join(TYPES)}): "
                    "upgrade llmcli or restore the file")


def _backend(kind: str):
    tokenizer_file(kind)  # an unknown type is refused
    if kind == HF:
        from llmcli.model.hf_tokenizer import HFTokenizer

        return HFTokenizer
    from llmcli.model.tokenizer import Tokenizer

    return Tokenizer


def open_tokenizer(run_dir: Path, kind: str):
    """The tokenizer of the run directory, with a one-line error when it is missing or
    damaged."""
    path = Path(run_dir) / tokenizer_file(kind)
    if not path.is_file():
        raise UserError(f"{path} is missing: the model directory is incomplete")
    try:
        return _backend(kind).load(path)
    except Exception as exc:  # sentencepiece raises plain RuntimeError/OSError on a bad file
        raise UserError(f"{path} is corrupt ({exc}): retrain or re-import the model") from None


def save_tokenizer(tokenizer, run_dir: Path, kind: str) -> None:
    """Write the tokenizer's files into the run directory, atomically."""
    tokenizer.save(Path(run_dir) / tokenizer_file(kind))


def tokenizer_from_bytes(kind: str, data: bytes):
    """A tokenizer from its to_bytes() (as processes under torchrun share it)."""
    return _backend(kind).from_bytes(data)
