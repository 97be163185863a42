"""DialogSum with llmcli's summarize task: learn from the 500 dev dialogues, score ROUGE on
the 500 test dialogues against their three reference summaries, within `--minutes`
(default 10) on this machine, and compare with a lead baseline.

500 dialogues are very little to learn summarization from, so the budget is spent in two
stages, both on the dev split only (the test dialogues are never trained on):

1. `llmcli train` on the dev dialogues with their summaries, written as the task's prompt
   and target: a language model that has read every token of them, not only the summaries
   a fine-tune's loss counts, with dropout since the text is small;
2. `llmcli finetune summarize --base` that model on the dev split: loss on summaries only.

The lead baseline is what a summarizer that reads nothing would write: each test
dialogue's first sentences (speaker tags kept), about as many words as a summary has. The
length is the mean word count of the dev summaries (the training data: no peeking at the
test references); sentences are taken while adding the next one brings the count closer
to it. Both are scored by the same function, `llmcli.metrics.text.rouge` (rouge-score,
stemming, best of the three references).

    python benchmarks/summarize_dialogsum.py [--minutes 10] [--beams 4]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SHARED_DATA, report

DIALOGSUM = SHARED_DATA / "summarization" / "dialogsum"
PRETRAIN_SHARE, FINETUNE_SHARE = 0.45, 0.25  # of the budget; the rest is left for eval's beam search


def sentences(dialogue: str) -> list[str]:
    out = []
    for turn in dialogue.splitlines():
        out.extend(s for s in re.split(r"(?<=[.!?])\s+", turn.strip()) if s)
    return out


def lead(dialogue: str, words: float) -> str:
    """The first sentences, as many as bring the word count closest to `words`."""
    taken, count = [], 0
    for sentence in sentences(dialogue):
        size = len(sentence.split())
        if taken and abs(count + size - words) >= abs(count - words):
            break
        taken.append(sentence)
        count += size
    return " ".join(taken)


def llmcli(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "llmcli", *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"llmcli {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="the whole budget (default 10)")
    parser.add_argument("--beams", type=int, default=4, help="beam search width for eval (default 4)")
    args = parser.parse_args()
    dev_file, test_file = DIALOGSUM / "dialogsum.dev.jsonl", DIALOGSUM / "dialogsum.test.jsonl"
    if not (dev_file.is_file() and test_file.is_file()):
        print(f"skipped: {DIALOGSUM} does not have dialogsum.dev.jsonl and dialogsum.test.jsonl")
        return

    from llmcli.metrics.text import rouge

    dev = [json.loads(line) for line in dev_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    test = [json.loads(line) for line in test_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    references = [[r[f"summary{i}"] for i in (1, 2, 3)] for r in test]
    mean_words = sum(len(r["summary"].split()) for r in dev) / len(dev)
    baseline = rouge([lead(r["dialogue"], mean_words) for r in test], references)

    budget = args.minutes * 60
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LLMCLI_HOME": home}
        corpus = Path(home) / "dialogsum-dev.txt"
        # the task's prompt and target ("{document}\nSummary: {summary}"), a blank line between
        corpus.write_text("".join(f"{r['dialogue']}\nSummary: {r['summary']}\n\n" for r in dev), encoding="utf-8")
        llmcli(env, "train", str(corpus), "--name", "dialogsum-lm", "--time", f"{budget * PRETRAIN_SHARE:.0f}s",
               "--context", "384", "--dropout", "0.1", "--val-fraction", "0.05", "--no-sample")
        pretrained = json.loads((Path(home) / "models" / "dialogsum-lm" / "summary.json").read_text())
        llmcli(env, "finetune", "summarize", "--base", "dialogsum-lm", "--data", str(dev_file), "--name", "dialogsum",
               "--time", f"{budget * FINETUNE_SHARE:.0f}s")
        trained_at = time.perf_counter()
        scored = json.loads(llmcli(env, "eval", "summarize", "-m", "dialogsum", "--data", str(test_file),
                                   "--beams", str(args.beams), "--show", "0", "--json").stdout)
        config = json.loads((Path(home) / "models" / "dialogsum" / "config.json").read_text())
    finished = time.perf_counter()

    model = scored["metrics"]
    beats = all(model[k] > baseline[k] for k in ("rouge1", "rouge2", "rougeL"))
    rows = [(f"model {kind}", f"{model[kind]:6.2f}   lead {baseline[kind]:6.2f}   ratio "
                              f"{model[kind] / max(baseline[kind], 1e-9):.2f}") for kind in ("rouge1", "rouge2", "rougeL")]
    report(f"DialogSum: train on dev (500), ROUGE F1 on test (500, best of 3 references), {args.minutes:g} min budget", [
        *rows,
        ("beats the lead baseline", "yes, on all three" if beats else "no"),
        ("lead baseline", f"first sentences, closest to {mean_words:.1f} words (the dev summaries' mean)"),
        ("model", f"{config['preset']}, {config['params']:,} parameters, context {config['model']['context']}"),
        ("pretraining", f"{pretrained['steps']:,} steps, validation {pretrained['val_bpb']:.3f} bits per byte"),
        ("time", f"training {trained_at - started:.0f} s, eval ({args.beams} beams) {finished - trained_at:.0f} s, "
                 f"total {finished - started:.0f} s"),
    ])


if __name__ == "__main__":
    main()
