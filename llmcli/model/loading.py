"""Loading a trained model from its run directory, with clear errors for damaged ones.

The core model needs no registry: a caller that wants a fine-tuned model's head (the CLI,
scoring) looks it up by the config's task head name and passes the head object in.

A LoRA run (config.lora) holds only its adapters: its base is loaded from the base's run
directory (checked against the checksum the adapters were trained on), the adapters are
added and loaded, and, unless the caller wants them apart, folded into the weights, so
that every command sees a plain model."""

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
    layer = head.build(model_config=model.config, settings=settings)
    model.task_head = layer
    if layer is not None:
        layer.to(model.embed.weight.device)


TASK_HEAD = "task_head."  # the prefix of a head's own weights in the state dict


def load_model(path: Path, device: str = "cpu", find_head=None, merge: bool = True) -> LoadedModel:
    """The model of a run directory. For a fine-tuned model, `find_head(name)` gives the
    head its config names (a llmcli.heads.Head), whose layers are attached and loaded;
    without it, the head's weights are set aside and the core model loads alone (all that
    generation needs). A LoRA run's adapters are merged into its base's weights unless
    `merge` is False (then its adapted layers are llmcli.model.lora.LoRALinear)."""
    from llmcli.model.lora import load_trained_state, merge_adapters
    from llmcli.model.tokenizer_files import HF, open_tokenizer, tokenizer_file

    config = load_config(path)
    model = adapted_base(path, config) if config.lora else build_model(config.model)
    head = find_head(config.task.head) if config.task and find_head else None
    if head is not None:
        attach_head(model, head, config.task.settings)
    weights_file = path / rundir.WEIGHTS
    checkpoint = rundir.checkpoint_dir(path)
    if not weights_file.is_file() and checkpoint is not None:
        weights_file = checkpoint / rundir.WEIGHTS  # an unfinished run
    weights = rundir.load_weights(weights_file)
    if head is None:
        weights = {name: tensor for name, tensor in weights.items() if not name.startswith(TASK_HEAD)}
    try:
        load_trained_state(model, weights)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise UserError(
            f"{path / rundir.WEIGHTS} does not match {path / rundir.CONFIG} ({first}): "
            "the files come from different models; retrain or restore them"
        ) from None
    kind = config.tokenizer.type
    tokenizer = open_tokenizer(path, kind)
    # an imported model's embedding may have more rows than its tokenizer has tokens
    # (padded to a round number); llmcli's own models have exactly one row a token
    if tokenizer.vocab_size > model.config.vocab_size or (
            kind != HF and tokenizer.vocab_size != model.config.vocab_size):
        raise UserError(
            f"{path / tokenizer_file(kind)} has {tokenizer.vocab_size} tokens but the model expects "
            f"{model.config.vocab_size}: the files come from different models"
        )
    if config.lora and merge:
        merge_adapters(model)
    model.to(device).eval()
    return LoadedModel(path=path, model=model, tokenizer=tokenizer, config=config)


def base_checksum(base: Path, option: str = "--base") -> str:
    """What a run records of another it depends on (a LoRA run's base, a distilled
    student's teacher, given by `option`): the sha256 of that run's weights file."""
    from llmcli.files import sha256_of

    weights = base / rundir.WEIGHTS
    if not weights.is_file():
        raise UserError(f"{base.name} has no {rundir.WEIGHTS} (an unfinished run?): finish it with --resume, "
                        f"or choose another {option}")
    return sha256_of(weights)


def reference_problem(ref: str | None, sha256: str) -> str | None:
    """What is wrong with a run another one names by path and checksum: "missing",
    "changed" (its weights have another sha256), or None."""
    if not ref or not (Path(ref) / rundir.CONFIG).is_file():
        return "missing"
    return "changed" if base_checksum(Path(ref)) != sha256 else None


def adapted_base(path: Path, config: RunConfig):
    """A LoRA run's base model, checked, with fresh adapters added (to be loaded)."""
    from llmcli.model.lora import add_adapters

    base = Path(config.origin.base or "")
    problem = reference_problem(config.origin.base, config.lora.base_sha256)
    if problem == "missing":
        raise UserError(f"{path.name} holds LoRA adapters for the base model {base.name!r} ({base}), which is "
                        f"missing: put that model back there (pull or import it again under the same name), "
                        f"or fine-tune {path.name} again")
    if problem == "changed":
        raise UserError(f"the base model {base.name!r} ({base}) has changed since the LoRA adapters of "
                        f"{path.name} were trained on it (its {rundir.WEIGHTS} has another sha256): restore "
                        f"the base they were trained on, or fine-tune {path.name} again from this one")
    model = load_model(base).model  # a LoRA base comes merged: adapters on adapters stack
    if model.config != config.model:
        raise UserError(f"the base model {base.name!r} ({base}) has another shape than {path.name}'s "
                        f"{rundir.CONFIG} records: the files come from different models")
    add_adapters(model, config.lora)
    return model
