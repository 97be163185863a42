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

With `--route smollm2`, the start is the pretrained SmolLM2-135M-Instruct instead (pulled
first, outside the budget): its zero-shot ROUGE (the task's instruction, in its chat
template), then `llmcli finetune summarize --base smollm2-135m-instruct` on the dev split
for the whole budget. `--limit N` scores the first N test dialogues only (model and
baseline alike): a 135M model's beam search over all 500 takes long on two cores.
`--route smollm2-lora` is that fine-tune with rank-8 LoRA adapters (`--lora 8`), the base
frozen, without the zero-shot pass.

    python benchmarks/summarize_dialogsum.py [--minutes 10] [--beams 4] [--route scratch|smollm2|smollm2-lora]
    [--limit N]
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

from common import PRETRAINED, SHARED_DATA, pull_pretrained, report

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
    parser.add_argument("--route", choices=("scratch", "smollm2", "smollm2-lora"), default="scratch")
    parser.add_argument("--limit", type=int, help="score the first N test dialogues only")
    args = parser.parse_args()
    dev_file, test_file = DIALOGSUM / "dialogsum.dev.jsonl", DIALOGSUM / "dialogsum.test.jsonl"
    if not (dev_file.is_file() and test_file.is_file()):
        print(f"skipped: {DIALOGSUM} does not have dialogsum.dev.jsonl and dialogsum.test.jsonl")
        return

    from llmcli.metrics.text import rouge

    dev = [json.loads(line) for line in dev_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    test = [json.loads(line) for line in test_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    test = test[: args.limit] if args.limit else test
    references = [[r[f"summary{i}"] for i in (1, 2, 3)] for r in test]
    mean_words = sum(len(r["summary"].split()) for r in dev) / len(dev)
    baseline = rouge([lead(r["dialogue"], mean_words) for r in test], references)
    scope = ["--limit", str(args.limit)] if args.limit else []

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LLMCLI_HOME": home}
        route = {"scratch": scratch_route, "smollm2": smollm2_route, "smollm2-lora": smollm2_lora_route}[args.route]
        rows = route(env, Path(home), dev, dev_file, test_file, args, scope)
    for name, model, notes in rows:
        beats = all(model[k] > baseline[k] for k in ("rouge1", "rouge2", "rougeL"))
        lines = [(f"model {kind}", f"{model[kind]:6.2f}   lead {baseline[kind]:6.2f}   ratio "
                                   f"{model[kind] / max(baseline[kind], 1e-9):.2f}")
                 for kind in ("rouge1", "rouge2", "rougeL")]
        report(f"DialogSum, {name}: ROUGE F1 on test ({len(test)}, best of 3 references)", [
            *lines,
            ("beats the lead baseline", "yes, on all three" if beats else "no"),
            ("lead baseline", f"first sentences, closest to {mean_words:.1f} words (the dev summaries' mean)"),
            *notes,
        ])


def scored(env, model: str, test_file: Path, beams: int, scope: list[str]) -> tuple[dict, float]:
    """The model's ROUGE on the test dialogues, and the seconds eval took."""
    began = time.perf_counter()
    result = json.loads(llmcli(env, "eval", "summarize", "-m", model, "--data", str(test_file), "--beams", str(beams),
                               "--show", "0", "--json", *scope).stdout)
    return result["metrics"], time.perf_counter() - began


def scratch_route(env, home: Path, dev, dev_file, test_file, args, scope):
    budget = args.minutes * 60
    started = time.perf_counter()
    corpus = home / "dialogsum-dev.txt"
    # the task's prompt and target ("{document}\nSummary: {summary}"), a blank line between
    corpus.write_text("".join(f"{r['dialogue']}\nSummary: {r['summary']}\n\n" for r in dev), encoding="utf-8")
    llmcli(env, "train", str(corpus), "--name", "dialogsum-lm", "--time", f"{budget * PRETRAIN_SHARE:.0f}s",
           "--context", "384", "--dropout", "0.1", "--val-fraction", "0.05", "--no-sample")
    pretrained = json.loads((home / "models" / "dialogsum-lm" / "summary.json").read_text())
    llmcli(env, "finetune", "summarize", "--base", "dialogsum-lm", "--data", str(dev_file), "--name", "dialogsum",
           "--time", f"{budget * FINETUNE_SHARE:.0f}s")
    trained = time.perf_counter() - started
    model, seconds = scored(env, "dialogsum", test_file, args.beams, scope)
    config = json.loads((home / "models" / "dialogsum" / "config.json").read_text())
    return [(f"from scratch, {args.minutes:g} min budget", model, [
        ("model", f"{config['preset']}, {config['params']:,} parameters, context {config['model']['context']}"),
        ("pretraining", f"{pretrained['steps']:,} steps, validation {pretrained['val_bpb']:.3f} bits per byte"),
        ("time", f"training {trained:.0f} s, eval ({args.beams} beams) {seconds:.0f} s"),
    ])]


def smollm2_route(env, home: Path, dev, dev_file, test_file, args, scope):
    pull_pretrained(env)
    zero_shot, zero_seconds = scored(env, PRETRAINED, test_file, args.beams, scope)
    return [(f"{PRETRAINED} zero-shot", zero_shot, [("time", f"eval ({args.beams} beams) {zero_seconds:.0f} s")]),
            fine_tuned(env, home, test_file, dev_file, args, scope, "fine-tuned")]


def smollm2_lora_route(env, home: Path, dev, dev_file, test_file, args, scope):
    """The same fine-tune with rank-8 LoRA adapters (the base frozen), the zero-shot figure left to --route smollm2."""
    pull_pretrained(env)
    return [fine_tuned(env, home, test_file, dev_file, args, scope, "LoRA rank 8", "--lora", "8")]


def fine_tuned(env, home: Path, test_file: Path, dev_file: Path, args, scope, label: str, *more):
    started = time.perf_counter()
    llmcli(env, "finetune", "summarize", "--base", PRETRAINED, "--data", str(dev_file), "--name", "dialogsum-smol",
           "--time", f"{args.minutes * 60:.0f}s", *more)
    trained = time.perf_counter() - started
    model, seconds = scored(env, "dialogsum-smol", test_file, args.beams, scope)
    summary = json.loads((home / "models" / "dialogsum-smol" / "summary.json").read_text())
    return (f"{PRETRAINED} {label}, {args.minutes:g} min budget", model, [
        ("fine-tuning", f"{summary['steps']:,} steps, {trained:.0f} s"),
        ("time", f"eval ({args.beams} beams) {seconds:.0f} s"),
    ])


if __name__ == "__main__":
    main()
