"""Loading a trained model from its run directory, with clear errors for damaged ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmcli.errors import UserError
from llmcli.training import rundir
from llmcli.training.run_config import RunConfig, load_config


@dataclass
class LoadedModel:
    path: Path
    model: object  # Transformer
    tokenizer: object  # Tokenizer
    config: RunConfig


def build_model(config):
    """A Transformer of this ModelConfig, with fresh weights."""
    from llmcli.model.transformer import Transformer

    return Transformer(config)


def attach_head(model, head, settings: dict) -> None:
    """Give the core model a task head's own layers (saved and trained with it)."""
    layer = head.build(model.config, settings)
    model.task_head = layer
    if layer is not None:
        layer.to(model.embed.weight.device)


def head_of(config: RunConfig):
    """The head a fine-tuned model was trained with (None for a plain language model)."""
    if config.task is None:
        return None
    from llmcli import registry

    return registry.get().heads.get(config.task.head)


def load_model(path: Path, device: str = "cpu") -> LoadedModel:
    from llmcli.model.tokenizer import Tokenizer

    config = load_config(path)
    model = build_model(config.model)
    head = head_of(config)
    if head is not None:
        attach_head(model, head, config.task.settings)
    weights_file = path / rundir.WEIGHTS
    checkpoint = rundir.checkpoint_dir(path)
    if not weights_file.is_file() and checkpoint is not None:
        weights_file = checkpoint / rundir.WEIGHTS  # an unfinished run
    weights = rundir.load_weights(weights_file)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise UserError(
            f"{path / rundir.WEIGHTS} does not match {path / rundir.CONFIG} ({first}): "
            "the files come from different models; retrain or restore them"
        ) from None
    tokenizer_path = path / rundir.TOKENIZER
    if not tokenizer_path.is_file():
        raise UserError(f"{tokenizer_path} is missing: the model directory is incomplete")
    try:
        tokenizer = Tokenizer.load(tokenizer_path)
    except Exception as exc:  # sentencepiece raises plain RuntimeError/OSError on a bad file
        raise UserError(f"{tokenizer_path} is corrupt ({exc}): retrain the model") from None
    if tokenizer.vocab_size != model.config.vocab_size:
        raise UserError(
            f"{tokenizer_path} has {tokenizer.vocab_size} tokens but the model expects "
            f"{model.config.vocab_size}: the files come from different models"
        )
    model.to(device).eval()
    return LoadedModel(path=path, model=model, tokenizer=tokenizer, config=config)
