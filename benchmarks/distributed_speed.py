"""Training throughput with 1 and 2 data-parallel processes (`llmcli train --nproc`), and on
CUDA when a GPU is present. Same model, same global batch, same number of steps: the only
difference is how many processes share each batch.

On a 2-core CPU, expect little or no gain from 2 processes (they share the same cores, and
add a gradient all-reduce per step); the point here is that it works and what it costs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import REPO, SHARED_DATA, report


def corpus() -> Path:
    shakespeare = SHARED_DATA / "lm" / "tinyshakespeare.txt"
    return shakespeare if shakespeare.is_file() else REPO / "examples" / "corpus" / "fables.txt"


def tokens_per_second(home: Path, name: str, extra: list[str], preset: str, steps: int) -> tuple[float, float]:
    """(tokens/s of the training loop, seconds of the whole command)."""
    command = [sys.executable, "-m", "llmcli", "train", str(corpus()), "--name", name, "--preset", preset,
               "--steps", str(steps), "--batch-size", "32", "--no-sample", *extra]
    env = {**os.environ, "LLMCLI_HOME": str(home)}
    subprocess.run(command, env=env, check=True, capture_output=True)
    summary = json.loads((home / "models" / name / "summary.json").read_text())
    return summary["tokens"] / summary["train_seconds"], summary["command_seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="mini")
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    rows = [("corpus", corpus().name), ("model", f"{args.preset}, global batch 32, {args.steps} steps")]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        one, one_s = tokens_per_second(home, "p1", ["--device", "cpu"], args.preset, args.steps)
        two, two_s = tokens_per_second(home, "p2", ["--device", "cpu", "--nproc", "2"], args.preset, args.steps)
        rows += [
            ("CPU, 1 process", f"{one:,.0f} tokens/s (command {one_s:.1f} s)"),
            ("CPU, 2 processes (gloo)", f"{two:,.0f} tokens/s (command {two_s:.1f} s)"),
            ("2 processes / 1", f"{two / one:.2f}x"),
        ]
        import torch

        if torch.cuda.is_available():
            gpu, gpu_s = tokens_per_second(home, "gpu", ["--device", "cuda"], args.preset, args.steps)
            rows.append((f"CUDA, 1 process ({torch.cuda.get_device_name()})", f"{gpu:,.0f} tokens/s"))
            if torch.cuda.device_count() > 1:
                n = torch.cuda.device_count()
                many, _ = tokens_per_second(home, "gpus", ["--nproc", str(n)], args.preset, args.steps)
                rows.append((f"CUDA, {n} processes (nccl)", f"{many:,.0f} tokens/s"))
        else:
            rows.append(("CUDA", "no GPU on this machine"))
    report("Data-parallel training throughput", rows)


if __name__ == "__main__":
    main()
