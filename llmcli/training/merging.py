"""`llmcli merge` and `finetune --merge`: a LoRA run made a standalone model.

The adapters are folded into the base's weights (W + alpha/rank * B A, in float32) and
the whole model is saved with the run's tokenizer, task, head layers, summary and metrics;
the config no longer names adapters, and nothing of it needs the base any more. Only the
blocks' linears were adapted: the embedding, and a tied output layer with it, are the
base's, saved once, and stay tied. The checkpoint is left behind (it holds adapters).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from llmcli.errors import UserError
from llmcli.training import rundir
from llmcli.training.run_config import has_config, load_config, load_summary, save_config

KEPT = (rundir.SUMMARY, rundir.METRICS)  # copied as they are


def merge_run(source: Path, target: Path) -> int:
    """Write the LoRA run at `source` as a standalone run at `target` (which may be
    `source` itself: it is replaced once the merged one is complete). Returns the
    merged model's parameter count."""
    from llmcli.model.loading import load_model
    from llmcli.model.tokenizer_files import save_tokenizer

    config = load_config(source)
    if config.lora is None:
        raise UserError(f"{source.name} is not a LoRA model: it is a standalone model already")
    if load_summary(source) is None:
        raise UserError(f"{source.name} is unfinished: finish it first (`llmcli finetune "
                        f"{config.task.name if config.task else 'TASK'} --name {source.name} --resume`)")
    loaded = load_model(source)  # the adapters folded in; the head's layers set aside...
    weights = loaded.model.state_dict()
    head = rundir.load_weights(source / rundir.WEIGHTS)
    weights.update({k: v for k, v in head.items() if k.startswith("task_head.")})  # ...and taken as they are
    rank, base = config.lora.rank, Path(config.origin.base).name
    config.name, config.lora = target.name, None
    config.preset = f"merged-lora{rank}:{base}"
    config.params = sum(t.numel() for t in weights.values())
    tmp = target.with_name(f".{target.name}.merging-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        rundir.save_weights(tmp / rundir.WEIGHTS, weights)
        save_tokenizer(loaded.tokenizer, tmp, config.tokenizer.type)
        for name in KEPT:
            if (source / name).is_file():
                shutil.copy2(source / name, tmp / name)
        save_config(tmp, config)  # last: a folder without config.json is no model
        from llmcli.files import move_into_place

        move_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return config.params


def check_target(target: Path, force: bool, source: Path) -> None:
    """A merge may write `target`: it is free, or --force replaces it."""
    if has_config(target) and not force:
        again = "" if target == source else f"`llmcli rm {target.name}` first, "
        raise UserError(f"a model named {target.name!r} already exists: {again}--force replaces it, "
                        "--name picks another name")
