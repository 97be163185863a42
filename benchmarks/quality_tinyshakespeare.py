"""`llmcli train tinyshakespeare.txt --time 133s` with default settings: validation bits per byte
on the last 10% of the file. Target: at most 2.15. (nanoGPT's CPU recipe: 2.72 bits per
character in the same time on this machine.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SHARED_DATA, report


def main():
    corpus = SHARED_DATA / "lm" / "tinyshakespeare.txt"
    if not corpus.is_file():
        print(f"skipped: {corpus} is not there")
        return
    seconds = sys.argv[1] if len(sys.argv) > 1 else "133s"
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LLMCLI_HOME": home}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "llmcli", "train", str(corpus), "--time", seconds,
                        "--name", "shakespeare", "--no-sample"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        run = Path(home) / "models" / "shakespeare"
        summary = json.loads((run / "summary.json").read_text())
        config = json.loads((run / "config.json").read_text())
    report(f"tinyshakespeare, --time {seconds}, defaults (target: val bpb <= 2.15)", [
        ("validation bits per byte", f"{summary['val_bpb']:.4f}"),
        ("validation loss", f"{summary['val_loss']:.4f} nats/token"),
        ("preset / params", f"{config['preset']} / {config['params']:,}"),
        ("vocabulary", str(config["tokenizer"]["vocab_size"])),
        ("steps / tokens", f"{summary['steps']:,} / {summary['tokens']:,}"),
        ("wall time of the command", f"{wall:.1f} s (python start-up included)"),
    ])


if __name__ == "__main__":
    main()
