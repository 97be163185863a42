"""Training throughput of the `small` preset against the bf16 matmul FLOP/s of this machine,
and (--shape smollm2) of the SmolLM2-135M shape against transformers' Llama.

Target: at least 80% of the bf16 matrix-multiply rate measured in the same process. On a
CPU without native bf16 (no AVX512-BF16 or AMX), where bf16 matmuls are emulated and llmcli
trains in fp32, the rows are fp32's, against fp32's matmul rate. FLOPs per token follow
the PaLM appendix (6 per parameter plus attention), as nanoGPT's MFU estimate does, so the
ratio compares with nanoGPT's.

--shape smollm2: a full fine-tune step (bf16 autocast, AdamW, clipping) of random weights
in SmolLM2-135M's shape (30 x 576, 9 query / 3 key-value heads, vocab 49,152), llmcli's
against transformers' LlamaForCausalLM of the same config (its default attention), plus
llmcli with LoRA rank 8 on qkv,proj, and llmcli's full step compiled (`finetune --compile`;
its first step, which compiles, is reported apart). Steps of the variants alternate and the median is
reported, so that the machine's noise falls on all of them alike. Target: llmcli's full
step at least 2x transformers'. All run under bf16 autocast, or in fp32 where the CPU has
no native bf16 (as llmcli's trainer picks). llmcli's steps are its trainer's: in bf16 on a
CPU, bf16 copies of the linear weights and llmcli's AdamW kernel with the clip folded in
(master_weights.py); transformers gets torch's fused AdamW and clip_grad_norm_. The process
being one, both get the allocator setting llmcli's trainer makes (memory_reuse.py); transformers is also
timed as its users run it, with glibc's allocator as it is, in a process of its own (not
alternating with the others, so noisier). Peak memory is each variant's own, measured in a
fresh process.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from common import peak_rss_mib, report
from llmcli.model import training_kernels
from llmcli.model.config import preset_config
from llmcli.model.transformer import Transformer
from llmcli.training.machine_rate import matmul_flops
from llmcli.training import master_weights
from llmcli.training.memory_reuse import keep_freed_memory
from llmcli.training.devices import AUTOCAST_DTYPES, autocast, pick_precision
from llmcli.training.run_config import TrainSettings
from llmcli.training.optimizer import clip_and_step, make_optimizer

CPU = torch.device("cpu")
PRECISION = pick_precision("auto", CPU)  # what llmcli trains in here: bf16 where the CPU has it natively


def trainer_step(model, loss_of, precision: str, kernels: bool = True, lr: float = 1e-3, compiled: bool = False):
    """A training step of `model` (a closure) as llmcli's Trainer takes it: under autocast,
    clipped to norm 1, AdamW; on a bf16 CPU the linears read bf16 copies of their weights
    (master_weights.py). kernels=False: torch's elementwise operations and AdamW instead."""
    available = training_kernels.load()
    settings = TrainSettings(max_steps=1, lr=lr, precision=precision, compile=compiled)
    masters = master_weights.for_training(model, settings, CPU) if kernels else None
    optimizer = make_optimizer(model, settings, masters)
    params = [p for p in model.parameters() if p.requires_grad]

    def step():
        training_kernels._loaded = available and kernels
        with masters.in_use() if masters else contextlib.nullcontext():
            with autocast(CPU, precision):
                loss = loss_of()
            loss.backward()
        clip_and_step(optimizer, params, 1.0)
        training_kernels._loaded = available

    return step


def preset_step(preset: str, vocab: int, batch: int, precision: str, kernels: bool):
    """A training step of the preset (a closure) and its FLOPs a token; kernels=False: torch's
    elementwise operations in place of llmcli's fused training kernels, for this step only."""
    torch.manual_seed(0)
    model = Transformer(preset_config(preset, vocab_size=vocab))
    T = model.config.context
    x = torch.randint(0, vocab, (batch, T))
    y = torch.randint(0, vocab, (batch, T))
    return trainer_step(model, lambda: model(x, y)[1], precision, kernels), model.flops_per_token()


def preset_rounds(preset: str, vocab: int, batch: int, rounds: int) -> None:
    """Rounds of: the matmul rate in each precision (0.5 s), then one step of each variant,
    in alternating order. A variant's share of the matmul rate is taken round by round and
    the median reported, so that a busy moment of this shared machine lowers a rate and the
    steps timed beside it alike."""
    variants = {PRECISION: (PRECISION, True), f"{PRECISION}, torch's elementwise ops": (PRECISION, False)}
    if PRECISION == "bf16":
        variants["fp32"] = ("fp32", True)  # its share is of the bf16 rate: what bf16 buys
    precisions = list(dict.fromkeys(p for p, _ in variants.values()))  # those the variants train in
    keep_freed_memory()  # as the trainer does (for the whole process)
    steps = {name: preset_step(preset, vocab, batch, p, kernels) for name, (p, kernels) in variants.items()}
    tokens = batch * preset_config(preset, vocab_size=vocab).context
    rates = {p: [] for p in precisions}
    speeds = {name: [] for name in variants}
    shares = {name: [] for name in variants}
    for round_ in range(rounds + 1):  # round 0 warms up
        rate = {p: matmul_flops(CPU, p, seconds=0.5) for p in precisions}
        order = list(steps) if round_ % 2 == 0 else list(reversed(steps))
        for name in order:
            step, flops_per_token = steps[name]
            start = time.perf_counter()
            step()
            tokens_per_s = tokens / (time.perf_counter() - start)
            if round_:
                speeds[name].append(tokens_per_s)
                shares[name].append(tokens_per_s * flops_per_token / rate[PRECISION])
        if round_:
            for p in precisions:
                rates[p].append(rate[p])
    rows = [(f"{p} matmul 1024^3", f"median {statistics.median(r) / 1e9:.0f} GFLOP/s "
                                   f"({min(r) / 1e9:.0f}-{max(r) / 1e9:.0f})") for p, r in rates.items()]
    if PRECISION != "bf16":
        bf16 = matmul_flops(CPU, "bf16", seconds=0.5)
        rows.append(("bf16 matmul 1024^3", f"{bf16 / 1e9:.1f} GFLOP/s: emulated, no native bf16 on this CPU, "
                                           "so llmcli trains in fp32 and bf16 is left out"))
    for name in variants:
        share = shares[name]
        rows.append((f"{preset} {name}", f"median {statistics.median(speeds[name]):,.0f} tokens/s = "
                     f"{statistics.median(share):.0%} of {PRECISION} matmul (rounds {min(share):.0%}-{max(share):.0%})"))
    rows.append(("peak memory (RSS)", f"{peak_rss_mib():.0f} MiB"))
    report(f"Training throughput, preset {preset}, vocab {vocab}, batch {batch}, {rounds} alternating rounds "
           f"(target: >= 80% of {PRECISION} matmul)", rows)


SMOLLM2 = dict(vocab_size=49152, n_layer=30, n_head=9, n_kv_head=3, n_embd=576, ffn_hidden=1536,
               rope_theta=100000.0, family="llama", tied_output=True)
VARIANTS = ("llmcli full", "llmcli full --compile", "llmcli LoRA r8", "transformers full")


def fine_tune_step(variant: str, batch: int, length: int, reuse_memory: bool = True):
    """A model of the SmolLM2 shape with random weights and its training step (a closure)
    in PRECISION; llmcli's with its training kernels, as the trainer loads them."""
    from llmcli.model.config import ModelConfig
    from llmcli.model.lora import add_adapters, keep_base_in
    from llmcli.training.run_config import LoraInfo

    training_kernels.load()
    if reuse_memory:  # as llmcli's trainer does; for the whole process, so transformers' variant gets it too
        keep_freed_memory()
    torch.manual_seed(0)
    config = ModelConfig(**SMOLLM2, context=max(length, 128))
    x = torch.randint(0, config.vocab_size, (batch, length))
    if variant.startswith("transformers"):
        import transformers
        from llmcli.pretrained.hf_weights import config_to_hf

        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**config_to_hf(config)))
        loss_of = lambda: model(input_ids=x, labels=x).loss  # noqa: E731 (its own shift and loss)
    else:
        model = Transformer(config)
        if "LoRA" in variant:
            add_adapters(model, LoraInfo(rank=8, alpha=16.0, dropout=0.0, targets=["qkv", "proj"]))
            if PRECISION in AUTOCAST_DTYPES:  # as the trainer does for finetune --lora
                keep_base_in(model, AUTOCAST_DTYPES[PRECISION])
        # --compile: as `finetune --compile` does, the step's forward through torch.compile (its
        # first call compiles, forward and backward)
        compiled = variant.endswith("--compile")
        forward = torch.compile(model) if compiled else model
        model.train()
        return trainer_step(model, lambda: forward(x[:, :-1], x[:, 1:])[1], PRECISION, lr=1e-4, compiled=compiled)
    model.train()
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(params, lr=1e-4, fused=True)

    def step():
        with autocast(CPU, PRECISION):
            loss = loss_of()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def in_own_process(variant: str, batch: int, length: int, steps: int = 3, reuse_memory: bool = True):
    """(peak RSS in MiB, median seconds of the steps after the first) of a fresh process that
    builds the variant and runs `steps` steps; NaNs where it fails (transformers missing)."""
    code = (f"import sys, time, statistics; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"import train_speed as t, resource; step = t.fine_tune_step({variant!r}, {batch}, {length}, {reuse_memory}); "
            "step(); times = []\n"
            f"for _ in range({steps - 1}): start = time.perf_counter(); step(); times.append(time.perf_counter() - start)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, statistics.median(times))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        return float("nan"), float("nan")
    peak, seconds = done.stdout.split()[-2:]
    return float(peak), float(seconds)


def smollm2_shape(batch: int, length: int, rounds: int) -> None:
    # first, while this process is small: a child's peak RSS counts the parent's at the fork
    memory = {variant: in_own_process(variant, batch, length)[0] for variant in VARIANTS}
    # transformers as its users run it: glibc's allocator left as it is, in a process of its own
    plain_peak, plain_seconds = in_own_process("transformers full", batch, length, rounds + 1, reuse_memory=False)
    steps = {}
    for variant in VARIANTS:
        try:
            steps[variant] = fine_tune_step(variant, batch, length)
        except ImportError:
            print(f"({variant}: not installed, left out)")
    times = {variant: [] for variant in steps}
    first = {}  # round 0 warms up (and compiles)
    for round_ in range(rounds + 1):
        order = list(steps) if round_ % 2 == 0 else list(reversed(steps))
        for variant in order:
            start = time.perf_counter()
            steps[variant]()
            seconds = time.perf_counter() - start
            if round_:
                times[variant].append(seconds)
            else:
                first[variant] = seconds
    tokens = batch * length
    rows = []
    median = {variant: statistics.median(t) for variant, t in times.items()}
    for variant, seconds in median.items():
        compiled = f", first step with its compile {first[variant]:.0f} s" if variant.endswith("--compile") else ""
        rows.append((variant, f"{tokens / seconds:,.0f} tokens/s ({seconds:.2f} s a step), "
                              f"peak {memory[variant]:,.0f} MiB{compiled}"))
    if "transformers full" in median:
        rows.append(("transformers full, default allocator, own process",
                     f"{tokens / plain_seconds:,.0f} tokens/s ({plain_seconds:.2f} s a step), peak {plain_peak:,.0f} MiB"))
        anchor = median["transformers full"]
        for variant in ("llmcli full", "llmcli full --compile", "llmcli LoRA r8"):
            rows.append((f"{variant} / transformers full", f"{anchor / median[variant]:.2f}x "
                         f"(against its default allocator: {plain_seconds / median[variant]:.2f}x)"))
    how = "bf16 autocast" if PRECISION == "bf16" else "fp32 (this CPU has no native bf16)"
    report(f"Fine-tune step, SmolLM2-135M shape, batch {batch} x {length}, {how}, "
           f"median of {rounds} alternating rounds, {torch.get_num_threads()} threads "
           f"(target: llmcli full >= 2x transformers full)", rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", choices=("preset", "smollm2"), default="preset")
    parser.add_argument("--length", type=int, default=128, help="--shape smollm2: tokens a row")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (10; 5 for --shape smollm2)")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--vocab", type=int, default=2048, help="2048: what llmcli picks for tinyshakespeare")
    parser.add_argument("--batch", type=int, default=16, help="16 x 256: what train uses for small (8 for --shape smollm2)")
    args = parser.parse_args()
    if args.shape == "smollm2":
        smollm2_shape(8 if args.batch == 16 else args.batch, args.length, args.rounds or 5)
        return

    preset_rounds(args.preset, args.vocab, args.batch, args.rounds or 10)


if __name__ == "__main__":
    main()
