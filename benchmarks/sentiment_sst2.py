"""SST-2 with the sentiment task: train on GLUE's train.tsv, score accuracy and macro-F1 on
dev-part-a.tsv (436 sentences, half the official dev set). Target: 83% accuracy in at
most 10 minutes of training in all, on a 2-core CPU.

Routes, each in its own budget (--minutes, default 10):
- scratch:    llmcli finetune sentiment --data train.tsv (tokenizer and model from nothing)
- pretrained: llmcli train on train.tsv's sentences (a language model), then
              llmcli finetune sentiment --base that model --data train.tsv
- smollm2:    llmcli finetune sentiment --base smollm2-135m-instruct (pulled first, outside
              the budget), a full fine-tune; its zero-shot accuracy is printed beside it
- smollm2-lora: the same with --lora 8

    python benchmarks/sentiment_sst2.py [--minutes 10] [--route NAME ...|both]
    [--pretrain-share 0.4]

"both" is scratch and pretrained, the routes from nothing.

The sentences are written to a temporary file for `llmcli train`; nothing of SST-2 is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from common import PRETRAINED, SHARED_DATA, llmcli, pull_pretrained, report

SST2 = SHARED_DATA / "sentiment" / "sst2"
EVAL_RESERVE_S = 25  # of each route's budget, kept for loading and scoring the model


def sentences_file(folder: Path) -> Path:
    """train.tsv's texts, one a line, for the language model (SST-2 is already lower case)."""
    lines = (SST2 / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]
    path = folder / "sst2-sentences.txt"
    path.write_text("\n".join(line.rsplit("\t", 1)[0].strip() for line in lines) + "\n", encoding="utf-8")
    return path


def route(name: str, seconds: float, pretrain_share: float) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as home:
        train = str(SST2 / "train.tsv")
        start = time.perf_counter()
        base = []
        zero_shot = None
        if name.startswith("smollm2"):
            pull_pretrained({**os.environ, "LLMCLI_HOME": home})
            start = time.perf_counter()  # the pull is not part of the budget
            base = ["--base", PRETRAINED] + (["--lora", "8"] if name == "smollm2-lora" else [])
            zero_shot = json.loads(llmcli(home, "eval", "sentiment", "-m", PRETRAINED, "--data",
                                          str(SST2 / "dev-part-a.tsv"), "--json"))["metrics"]["accuracy"]
            start = time.perf_counter()  # nor is the zero-shot scoring
        if name == "pretrained":
            corpus = sentences_file(Path(home))
            lm_seconds = int(seconds * pretrain_share)
            llmcli(home, "train", str(corpus), "--name", "sst2-lm", "--time", f"{lm_seconds}s", "--no-sample")
            base = ["--base", "sst2-lm"]
        left = int(seconds - (time.perf_counter() - start) - EVAL_RESERVE_S)
        llmcli(home, "finetune", "sentiment", "--data", train, "--name", "sst2", "--time", f"{left}s", *base)
        trained = time.perf_counter() - start
        result = json.loads(llmcli(home, "eval", "sentiment", "-m", "sst2", "--data", str(SST2 / "dev-part-a.tsv"),
                                   "--json"))
        total = time.perf_counter() - start
        config = json.loads((Path(home) / "models" / "sst2" / "config.json").read_text())
        summary = json.loads((Path(home) / "models" / "sst2" / "summary.json").read_text())
    metrics = result["metrics"]
    counts = result["confusion_matrix"]["counts"]
    target = "88%" if name.startswith("smollm2") else "83%"
    rows = [] if zero_shot is None else [("zero-shot accuracy of the base", f"{zero_shot:.2f}%")]
    return rows + [
        ("accuracy", f"{metrics['accuracy']:.2f}% (target {target})"),
        ("macro-F1", f"{metrics['macro_f1']:.2f}%"),
        ("confusion (rows gold neg/pos)", f"{counts}"),
        ("model", f"{config['preset']}, {config['params']:,} parameters, context {config['model']['context']}"),
        ("fine-tuning steps", f"{summary['steps']:,}"),
        ("training wall time", f"{trained:.0f} s (with the language model, if any)"),
        ("whole route", f"{total:.0f} s (with scoring {result['examples']} sentences)"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="budget of each route, scoring included")
    parser.add_argument("--route", nargs="+", choices=("scratch", "pretrained", "smollm2", "smollm2-lora", "both"),
                        default=["both"])
    parser.add_argument("--pretrain-share", type=float, default=0.4,
                        help="share of the pretrained route's budget spent on the language model")
    args = parser.parse_args()
    if not (SST2 / "train.tsv").is_file():
        print(f"skipped: {SST2} is not there")
        return
    routes = [r for name in args.route for r in (("pretrained", "scratch") if name == "both" else (name,))]
    for name in routes:
        rows = route(name, args.minutes * 60, args.pretrain_share)
        report(f"SST-2, sentiment, {name} route, {args.minutes:g} minutes in all", rows)


if __name__ == "__main__":
    main()
