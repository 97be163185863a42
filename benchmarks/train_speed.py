"""Training throughput of the `small` preset against the bf16 matmul FLOP/s of this machine.

Target: at least 80% of the bf16 matrix-multiply rate measured in the same process.
FLOPs per token follow the PaLM appendix (6 per parameter plus attention), as nanoGPT's
MFU estimate does, so the ratio compares with nanoGPT's.
"""

from __future__ import annotations

import argparse
import time

import torch

from common import peak_rss_mib, report
from llmcli.model.config import preset_config
from llmcli.model.transformer import Transformer
from llmcli.training.machine_rate import matmul_flops
from llmcli.training.devices import autocast
from llmcli.training.run_config import TrainSettings
from llmcli.training.trainer import make_optimizer

CPU = torch.device("cpu")


def measure(preset: str, vocab: int, batch: int, precision: str, steps: int) -> tuple[float, int]:
    torch.manual_seed(0)
    model = Transformer(preset_config(preset, vocab_size=vocab))
    optimizer = make_optimizer(model, TrainSettings(max_steps=1))
    T = model.config.context
    x = torch.randint(0, vocab, (batch, T))
    y = torch.randint(0, vocab, (batch, T))
    device = torch.device("cpu")

    def step():
        with autocast(device, precision):
            _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    tokens_per_s = steps * batch * T / (time.perf_counter() - start)
    return tokens_per_s, model.flops_per_token()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--vocab", type=int, default=2048, help="2048: what llmcli picks for tinyshakespeare")
    parser.add_argument("--batch", type=int, default=16, help="16 x 256: what train uses for small")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    # the peak is measured before and after, and the higher taken: the ratio errs low
    peaks = [matmul_flops(CPU, "bf16", seconds=1.0)]
    fp32_rate = matmul_flops(CPU, "fp32", seconds=1.0)
    rows = [("fp32 matmul 1024^3", f"{fp32_rate / 1e9:.0f} GFLOP/s")]
    measured = {p: measure(args.preset, args.vocab, args.batch, p, args.steps) for p in ("bf16", "fp32")}
    peaks.append(matmul_flops(CPU, "bf16", seconds=1.0))
    peak = max(peaks)
    rows.insert(0, ("bf16 matmul 1024^3", " / ".join(f"{p / 1e9:.0f}" for p in peaks) + " GFLOP/s (before / after)"))
    for precision, (tps, fpt) in measured.items():
        rows.append((f"{args.preset} {precision}", f"{tps:,.0f} tokens/s = {tps * fpt / 1e9:.0f} GFLOP/s "
                     f"= {tps * fpt / peak:.0%} of bf16 matmul"))
    rows.append(("peak memory (RSS)", f"{peak_rss_mib():.0f} MiB"))
    report(f"Training throughput, preset {args.preset}, vocab {args.vocab}, batch {args.batch} "
           f"(target: >= 80% of bf16 matmul)", rows)


if __name__ == "__main__":
    main()
