"""Where a run's first weights come from: scratch, a base model, or its own checkpoint.

Each start gives the run's config, its tokenizer and the model (with the workload's head
attached). Under torchrun, rank 0 plans a new run (auto-sizing times the machine, and the
tokenizer is trained once) and the other processes receive its config and tokenizer;
DistributedDataParallel then copies rank 0's weights to them. A resumed run is read from
its directory by every process.

With LoRA (request.lora), the base is frozen and adapters are added to it: only they and
the head's layers train, and the run records the base's checksum (config.lora).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from llmcli import __version__
from llmcli.errors import UserError
from llmcli.training import distributed
from llmcli.training.run_config import Origin, RunConfig, TokenizerInfo, TrainSettings, load_config

BASE_LR_SCALE = 0.5  # a model llmcli trained is fine-tuned with smaller steps than it learnt with
# A model pretrained elsewhere (imported, its tokenizer not ours) saw trillions of tokens:
# SST-2 from SmolLM2-135M, 40 steps of 64, validation loss 0.32 at step 22 with 1e-4 against
# 0.46 at step 32 with 3e-5.
IMPORTED_BASE_LR = 1e-4
# LoRA's adapters start at zero and are few: their best learning rates sit about ten times
# above a full fine-tune's (torchtune's recipes: 3e-4 against 2e-5); 1e-3 from SmolLM2
# lowered SST-2's loss steadily over 20 steps of 8
LORA_LR_SCALE = 10.0


@dataclass
class Start:
    config: RunConfig
    tokenizer: object
    model: object


def first_weights(request, workload, device, group, emit) -> Start:
    if request.resume:
        return resumed(request, workload)
    if request.lora and not request.base:
        raise UserError("LoRA trains adapters on a pretrained model: give --base NAME with --lora "
                        "(or drop --lora to train a model from scratch)")
    start = None
    if group.main:
        from llmcli.training.devices import pick_precision

        request.run_dir.mkdir(parents=True, exist_ok=True)
        precision = pick_precision(request.precision, device)
        start = from_base(request, workload, precision) if request.base else from_scratch(
            request, workload, device, precision, emit)
    start = shared(start, workload, group)
    start.config.params = start.model.num_params()  # the head's layers included
    if start.config.lora:
        from llmcli.model.lora import trainable_params

        start.config.lora.trainable_params = trainable_params(start.model)
    return start


def resumed(request, workload) -> Start:
    from llmcli.model.loading import adapted_base, build_model
    from llmcli.model.tokenizer_files import open_tokenizer

    config = load_config(request.run_dir)
    workload.resume_from(config)
    tokenizer = open_tokenizer(request.run_dir, config.tokenizer.type)
    # a LoRA run's checkpoint holds its adapters alone: the base is read from its own folder
    model = adapted_base(request.run_dir, config) if config.lora else build_model(config.model)
    workload.attach(model, config)
    return Start(config, tokenizer, model)


def from_scratch(request, workload, device, precision: str, emit) -> Start:
    """A tokenizer trained on the workload's text and a model of the planned shape."""
    from llmcli.model.config import ModelConfig
    from llmcli.model.loading import build_model
    from llmcli.model.tokenizer_files import tokenizer_file

    plan = workload.plan_scratch(request, device, precision, emit)
    try:
        model_config = ModelConfig(vocab_size=plan.vocab_size or plan.tokenizer.vocab_size, **plan.shape)
    except ValueError as exc:
        raise UserError(f"{exc}: change --width or --heads") from None
    model = build_model(model_config)
    settings = new_settings(request, precision, lr=plan.lr, batch_size=plan.batch_size)
    settings.max_passes = plan.max_passes
    tokenizer_info = TokenizerInfo(vocab_size=plan.tokenizer.vocab_size, type=plan.tokenizer_type,
                                   file=tokenizer_file(plan.tokenizer_type))  # a teacher's may be Hugging Face's
    config = new_config(request, workload, model_config, tokenizer_info, settings, plan.preset, Origin())
    workload.attach(model, config)
    return Start(config, plan.tokenizer, model)


def from_base(request, workload, precision: str) -> Start:
    """The base run's weights and tokenizer (its task head, if any, is left behind); with
    LoRA, the base frozen and adapters added."""
    from llmcli.model.loading import load_model
    from llmcli.model.tokenizer_files import SENTENCEPIECE_TYPES, save_tokenizer
    from llmcli.training.autoconfig import lr_for

    loaded = load_model(request.base)  # a LoRA base comes merged: a plain model
    save_tokenizer(loaded.tokenizer, request.run_dir, loaded.config.tokenizer.type)
    own = loaded.config.tokenizer.type in SENTENCEPIECE_TYPES  # trained by llmcli, not imported
    lr = lr_for(loaded.model.config.n_embd) * BASE_LR_SCALE if own else IMPORTED_BASE_LR
    lr *= LORA_LR_SCALE if request.lora else 1.0
    settings = new_settings(request, precision, lr=lr, batch_size=None)
    origin = Origin(start="base", base=str(request.base.resolve()))
    preset = f"lora{request.lora.rank}:{loaded.config.name}" if request.lora else f"finetuned:{loaded.config.name}"
    config = new_config(request, workload, loaded.model.config, loaded.config.tokenizer, settings, preset, origin)
    if request.lora:
        config.lora = adapters_for(request, loaded.model)
    workload.attach(loaded.model, config)
    return Start(config, loaded.tokenizer, loaded.model)


def adapters_for(request, model):
    """The run's LoraInfo (targets resolved for the base, its checksum), and the adapters
    added to the base."""
    from dataclasses import replace

    from llmcli.model.lora import add_adapters
    from llmcli.model.loading import base_checksum
    from llmcli.model.lora_targets import resolve_targets

    lora = replace(request.lora, targets=resolve_targets(request.lora.targets, model.config),
                   base_sha256=base_checksum(request.base))
    add_adapters(model, lora)
    return lora


def new_settings(request, precision: str, lr: float, batch_size: int | None) -> TrainSettings:
    """The training settings of a new run: the user's flags, else the plan's."""
    group = distributed.current()
    settings = TrainSettings(grad_accum=request.grad_accum, lr=request.lr or lr, precision=precision,
                             seed=request.seed, compile=request.compile,
                             checkpoint_activations=request.checkpoint_activations)
    if batch_size is not None:
        settings.batch_size = request.batch_size or distributed.splittable_batch(batch_size, group)
    return settings


def new_config(request, workload, model_config, tokenizer: TokenizerInfo, settings, preset: str,
               origin: Origin) -> RunConfig:
    return RunConfig(
        name=request.name,
        preset=preset,
        model=model_config,
        tokenizer=tokenizer,
        train=settings,
        data=workload.data_info(),
        task=workload.task_info(request),
        origin=origin,
        distilled_from=workload.distilled_from(),
        params=None,  # set once the head is attached
        llmcli_version=__version__,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def shared(start: Start | None, workload, group) -> Start:
    """Rank 0's start, received by every other process (which builds the same model)."""
    from llmcli.model.loading import build_model
    from llmcli.model.tokenizer_files import tokenizer_from_bytes

    if group.active:
        payload = distributed.share_from_main(
            {"config": start.config.to_dict(), "tokenizer": start.tokenizer.to_bytes()} if group.main else None,
            group)
        if not group.main:
            config = RunConfig.from_dict(payload["config"])
            model = build_model(config.model)
            if config.lora:
                from llmcli.model.lora import add_adapters

                add_adapters(model, config.lora)  # rank 0's base and adapters come with its weights
            workload.attach(model, config)
            start = Start(config, tokenizer_from_bytes(config.tokenizer.type, payload["tokenizer"]), model)
    return start
