"""`llmcli import`: a pretrained model (a GGUF file or a Hugging Face folder) converted
once into an ordinary run directory: model.safetensors, a typed config.json recording its
family and origin, and its own tokenizer (tokenizer.json).

The run directory is written into a temporary folder beside the models and renamed into
place at the end: an interrupted or failed import leaves no model behind. Nothing is
loaded with pickle: a folder with only `pytorch_model.bin` or `.pt` weights is refused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from llmcli import __version__
from llmcli.datasets.download import sha256_of
from llmcli.errors import UserError
from llmcli.files import move_into_place
from llmcli.training import rundir
from llmcli.training.run_config import (Origin, RunConfig, RunSummary, TokenizerInfo, TrainSettings, save_config,
                                        save_summary)

PICKLE_WEIGHTS = ("pytorch_model.bin", "*.pt", "*.pth", "*.ckpt", "pytorch_model-*.bin")
HF_TOKENIZER = "tokenizer.json"


@dataclass
class Converted:
    """A source read into llmcli's terms, before anything is written."""

    model_config: object  # ModelConfig
    weights: dict  # llmcli state-dict names -> float32 tensors
    tokenizer: object  # HFTokenizer
    origin: Origin


def read_source(source: Path, on_progress=None) -> Converted:
    """The model at `source`, a .gguf file or a Hugging Face folder; `on_progress(stage,
    done, total)` hears how a GGUF's conversion goes, block by block."""
    if not source.exists():
        raise UserError(f"{source}: no such file or folder: give a .gguf file or a Hugging Face model folder")
    if source.is_dir():
        return read_hf_folder(source)
    if source.suffix.lower() in (".bin", ".pt", ".pth", ".ckpt", ".pkl"):
        raise pickle_refused(source)
    return read_gguf_file(source, on_progress)


def pickle_refused(where: Path) -> UserError:
    return UserError(f"{where} holds pickled weights, which llmcli never loads (opening them can run code): "
                     "convert them to safetensors first (transformers' save_pretrained(..., "
                     "safe_serialization=True)) and import the folder")


def read_gguf_file(path: Path, on_progress=None) -> Converted:
    from llmcli.model.config import ModelConfig
    from llmcli.model.gguf_tokenizer import tokenizer_from_gguf
    from llmcli.pretrained.gguf_metadata import metadata_of
    from llmcli.pretrained.gguf_weights import open_reader, read_gguf

    try:
        blocks = (lambda done, total: on_progress("convert", done, total)) if on_progress else None
        reader = open_reader(path)  # once: the reader parses every field when it opens
        fields, weights, about = read_gguf(path, on_block=blocks, reader=reader)
        tokenizer = tokenizer_from_gguf(metadata_of(reader))
        model_config = ModelConfig(**fields)
    except ValueError as exc:  # GGUFError, TokenizerError, and an invalid shape
        raise UserError(f"{path}: {exc}") from None
    origin = Origin(start="import", source=str(path.resolve()), sha256=sha256_of(path),
                    name=about.get("name"), license=about.get("license"))
    return Converted(model_config, weights, tokenizer, origin)


def read_hf_folder(folder: Path) -> Converted:
    from llmcli.model.hf_tokenizer import HFTokenizer
    from llmcli.pretrained.hf_weights import config_from_hf, weights_from_hf

    config_file = folder / "config.json"
    if not config_file.is_file():
        raise UserError(f"{folder} has no config.json: give a folder saved by transformers' save_pretrained")
    files = weight_files(folder)
    if not (folder / HF_TOKENIZER).is_file():
        raise UserError(f"{folder} has no tokenizer.json: save the tokenizer too (tokenizer.save_pretrained)")
    try:
        hf_config = json.loads(config_file.read_text(encoding="utf-8"))
        model_config = config_from_hf(hf_config)
        weights = weights_from_hf(model_config, read_safetensors(files))
        tokenizer = HFTokenizer.load(folder)
    except (ValueError, KeyError) as exc:
        raise UserError(f"{folder}: {exc}") from None
    digest = hashlib.sha256("".join(sha256_of(f) for f in files).encode()).hexdigest()
    origin = Origin(start="import", source=str(folder.resolve()), sha256=digest,
                    name=hf_config.get("_name_or_path") or folder.name, license=hf_config.get("license"))
    return Converted(model_config, weights, tokenizer, origin)


def weight_files(folder: Path) -> list[Path]:
    """model.safetensors, or the shards its index names; pickled weights are refused."""
    single, index = folder / "model.safetensors", folder / "model.safetensors.index.json"
    if single.is_file():
        return [single]
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (ValueError, KeyError) as exc:
            raise UserError(f"{index} is not a safetensors index ({exc})") from None
        missing = [s for s in shards if not (folder / s).is_file()]
        if missing:
            raise UserError(f"{folder} lacks the shard(s) {', '.join(missing)} that its index names")
        return [folder / s for s in shards]
    pickled = [p for pattern in PICKLE_WEIGHTS for p in folder.glob(pattern)]
    if pickled:
        raise pickle_refused(pickled[0])
    raise UserError(f"{folder} has no model.safetensors (nor an index of shards): it holds no weights to import")


def read_safetensors(files: list[Path]) -> dict:
    from llmcli.training.rundir import load_weights

    tensors: dict = {}
    for path in files:
        tensors.update(load_weights(path))
    return tensors


def import_model(source: Path, run_dir: Path, on_progress=None) -> RunConfig:
    """Convert `source` into the run directory `run_dir`. A model already there (the
    caller allowed replacing it) is swapped out only once the new one is complete."""
    from llmcli.model.tokenizer_files import HF, save_tokenizer

    converted = read_source(source, on_progress)
    model = checked_model(converted, source)
    tmp = Path(tempfile.mkdtemp(dir=run_dir.parent, prefix=f".import-{run_dir.name}-"))
    try:
        rundir.save_weights(tmp / rundir.WEIGHTS, model.state_dict())
        save_tokenizer(converted.tokenizer, tmp, HF)
        config = imported_config(run_dir.name, converted, model)
        save_config(tmp, config)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        save_summary(tmp, RunSummary(steps=0, tokens=0, train_seconds=0.0, command_seconds=0.0, finished=now))
        move_into_place(tmp, run_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return config


def checked_model(converted: Converted, source: Path):
    """The llmcli model holding the converted weights; every tensor must fit."""
    from llmcli.model.transformer import Transformer

    model = Transformer(converted.model_config)
    try:
        model.load_state_dict(converted.weights)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise UserError(f"{source}: its weights do not fit the model its config describes ({first})") from None
    if converted.tokenizer.vocab_size > converted.model_config.vocab_size:
        raise UserError(f"{source}: the tokenizer has {converted.tokenizer.vocab_size} tokens but the embedding "
                        f"only {converted.model_config.vocab_size} rows: the files come from different models")
    return model


def imported_config(name: str, converted: Converted, model) -> RunConfig:
    config = converted.model_config
    return RunConfig(
        name=name,
        preset=f"imported:{config.family}",
        model=config,
        tokenizer=TokenizerInfo(vocab_size=converted.tokenizer.vocab_size, type="hf", file=HF_TOKENIZER),
        train=TrainSettings(),
        data=None,
        origin=converted.origin,
        params=model.num_params(),
        llmcli_version=__version__,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
