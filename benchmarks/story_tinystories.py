"""The story task on TinyStories: `llmcli finetune story` from scratch for at most 10
minutes, then bits per byte on held-out stories and three sampled stories.

Data: the training subset is all lower case, the validation subset is not, so the model
trains on the lower-cased training subset (about 5,400 stories) and is scored on the
validation subset's stories lower-cased too (about 870, from TinyStories' own validation
split). Scoring cased text with a model that never saw a capital letter would measure the
case mismatch, not storytelling; and the validation subset alone (about 0.2M tokens) is
too little text to train on for ten minutes.

Bits per byte are the story task's: the model's cross-entropy on each story's
continuation after its opening sentence (the end of the story included), over the
continuation's UTF-8 bytes, the same figure `llmcli eval story` reports.

    python benchmarks/story_tinystories.py              # 10 minutes
    python benchmarks/story_tinystories.py --minutes 2  # a quick trial
    python benchmarks/story_tinystories.py --base smollm2-135m-instruct  # from the pretrained base

With `--base smollm2-135m-instruct` the base is pulled first (outside the budget) and
fine-tuned instead of a model from scratch; its own bits per byte before fine-tuning are
printed beside (the same story task scoring, on the same held-out stories).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PRETRAINED, SHARED_DATA, pull_pretrained, report

SAMPLES = 20  # stories written for distinct_2 and repetition_rate; three are printed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget (at most 10)")
    parser.add_argument("--base", choices=(PRETRAINED,), help="fine-tune this pretrained base (pulled first)")
    args = parser.parse_args()
    minutes = min(10.0, args.minutes)
    train = SHARED_DATA / "lm" / "tinystories_train_subset_lowercased.txt"
    held_out = SHARED_DATA / "lm" / "tinystories_val_subset.txt"
    if not (train.is_file() and held_out.is_file()):
        print(f"skipped: the TinyStories subsets are not in {SHARED_DATA / 'lm'}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "tinystories"
        data.mkdir()
        (data / "train.txt").symlink_to(train)
        (data / "test.txt").write_text(held_out.read_text(encoding="utf-8").lower(), encoding="utf-8")
        os.environ["LLMCLI_HOME"] = str(Path(tmp) / "home")
        before = None
        if args.base:
            pull_pretrained(dict(os.environ))
            before = score(data / "test.txt", args.base, samples=0)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "llmcli", "finetune", "story", "--data", str(data), "--name",
                        "tinystories", "--time", f"{minutes * 60:.0f}s", *(["--base", args.base] if args.base else [])],
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        figures = score(data / "test.txt")
        run = Path(os.environ["LLMCLI_HOME"]) / "models" / "tinystories"
        summary = json.loads((run / "summary.json").read_text())
        config = json.loads((run / "config.json").read_text())
    start_from = f"from {args.base}" if args.base else "from scratch"
    report(f"story on TinyStories, finetune --time {minutes:g}m {start_from}, lower case", [
        ("held-out stories", f"{figures['stories']:,} ({figures['bytes']:,} bytes of continuations)"),
        ("bits per byte", f"{figures['bits_per_byte']:.4f}"),
        *([] if before is None else [("bits per byte of the base, not fine-tuned", f"{before['bits_per_byte']:.4f}")]),
        (f"distinct_2 / repetition_rate ({SAMPLES} samples)",
         f"{figures['distinct_2']:.1f} % / {figures['repetition_rate']:.2f} %"),
        ("model", f"{config['preset']}, {config['params']:,} parameters, context {config['model']['context']}, "
                  f"vocabulary {config['model']['vocab_size']}"),
        ("steps / training time", f"{summary['steps']:,} / {summary.get('train_seconds', 0):.0f} s"),
        ("wall time of finetune", f"{wall:.0f} s"),
    ])
    for i, (opening, story) in enumerate(figures["samples"][:3], 1):
        print(f"\n-- sample {i} (temperature 0.8, top_p 0.95)\n{opening} {story}")


def score(test_file: Path, model: str = "tinystories", samples: int = SAMPLES) -> dict:
    from llmcli.registry import get_task
    from llmcli.scoring import load_task_model
    from llmcli_story.metrics import distinct_shares, repeated_share

    task = get_task("story")
    tm = load_task_model(model, task)
    stories = task.read_file(test_file)
    scores = task.reference_bits(tm, stories)
    bits, nbytes = sum(b for b, _, _ in scores), sum(n for _, n, _ in scores)
    figures = {"stories": len(stories), "bytes": nbytes, "bits_per_byte": bits / nbytes}
    if not samples:
        return figures
    written = task.write(tm, stories[:samples], None)
    return {**figures, "distinct_2": distinct_shares(written)[1], "repetition_rate": repeated_share(written),
            "samples": [(s["opening"], w) for s, w in zip(stories, written)]}


if __name__ == "__main__":
    main()
