"""A masked-LM encoder against a causal language model, both from scratch with the same
budget, on SST-2 (accuracy on dev-part-a.tsv) and SQuAD v1.1 (exact match and F1 on
articles 31-38), printed side by side.

Each (task, objective) route has its own budget (--minutes, default 10), split as the
scratch routes of sentiment_sst2.py ("pretrained") and qa_squad.py split theirs:

1. `llmcli train` on the task's training text, --objective causal or mlm (40% of it);
2. `llmcli finetune TASK --base` that model on the training examples: SST-2 the rest but
   25 s kept for scoring; SQuAD 45% of the budget (scoring its 1,572 questions takes the rest);
3. `llmcli eval TASK` on the held-out part.

The pre-training texts are those scripts' own: SST-2's training sentences, one a line;
SQuAD's training passages once each and their questions. An encoder's classifier pools the
mean of its hidden states and its span scores come straight from it; the causal model's
read the last token and score spans through the SpanReader, as llmcli fine-tunes each.

    python benchmarks/encoder_vs_causal.py [--minutes 10] [--task sst2 squad] [--limit N]

Four routes of --minutes each: 40 minutes by default. `--limit N` scores the first N
SQuAD test questions only (a quick look, not the figure).
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

from common import SHARED_DATA, report
from qa_squad import TRAIN_ARTICLES
from sentiment_sst2 import EVAL_RESERVE_S, SST2, sentences_file

SQUAD = SHARED_DATA / "qa" / "squad" / "dev-v1.1-part-a.json"
OBJECTIVES = ("causal", "mlm")
PRETRAIN_SHARE = 0.40
SQUAD_FINETUNE_SHARE = 0.45


def llmcli(home: Path, *args) -> str:
    env = {**os.environ, "LLMCLI_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "llmcli", *map(str, args)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"llmcli {' '.join(map(str, args))} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def pretrain(home: Path, corpus: Path, objective: str, seconds: float, *more) -> dict:
    """The language model or encoder, and its summary."""
    llmcli(home, "train", corpus, "--name", "base", "--objective", objective, "--time", f"{seconds:.0f}s",
           "--no-sample", *more)
    return json.loads((home / "models" / "base" / "summary.json").read_text())


def described(home: Path, name: str) -> str:
    """The base's shape (its preset) and the fine-tuned model's parameters, head included."""
    base = json.loads((home / "models" / "base" / "config.json").read_text())
    config = json.loads((home / "models" / name / "config.json").read_text())
    return f"{base['preset']}, {config['params']:,} parameters, context {config['model']['context']}"


def pretrain_figure(summary: dict) -> str:
    """What validation said of the pre-training: bits per byte, or the masked tokens' figures
    (which no causal model's compare with)."""
    if "val_masked_bpb" in summary:
        return (f"masked-token accuracy {100 * summary['val_masked_accuracy']:.1f}%, "
                f"{summary['val_masked_bpb']:.3f} bits/byte (masked tokens)")
    return f"{summary['val_bpb']:.3f} bits/byte"


def sst2_route(objective: str, seconds: float) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        home, start = Path(tmp), time.perf_counter()
        summary = pretrain(home, sentences_file(home), objective, seconds * PRETRAIN_SHARE)
        left = max(5, int(seconds - (time.perf_counter() - start) - EVAL_RESERVE_S))  # 5 s: a tiny --minutes runs over
        llmcli(home, "finetune", "sentiment", "--data", SST2 / "train.tsv", "--name", "sst2", "--base", "base",
               "--time", f"{left}s")
        result = json.loads(llmcli(home, "eval", "sentiment", "-m", "sst2", "--data", SST2 / "dev-part-a.tsv",
                                   "--json"))
        return {"SST-2 accuracy": f"{result['metrics']['accuracy']:.2f}%",
                "SST-2 macro-F1": f"{result['metrics']['macro_f1']:.2f}%",
                "SST-2 pre-training": pretrain_figure(summary),
                "SST-2 model": described(home, "sst2"),
                "SST-2 route time": f"{time.perf_counter() - start:.0f} s"}


def squad_data(folder: Path) -> Path:
    """qa_squad.py's split: the first 30 articles to train on, the others to test."""
    articles = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    data = folder / "squad"
    data.mkdir()
    for split, part in (("train", articles[:TRAIN_ARTICLES]), ("test", articles[TRAIN_ARTICLES:])):
        (data / f"{split}.json").write_text(json.dumps({"version": "1.1", "data": part}), encoding="utf-8")
    return data


def squad_corpus(data: Path) -> Path:
    """Each training passage once, then the training questions, as qa_squad.py pre-trains."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
    from llmcli_qa.loaders import read_qa_file

    train = [e for _, e in read_qa_file(data / "train.json")]
    passages = list(dict.fromkeys(e["context"] for e in train))
    corpus = data.parent / "squad-train.txt"
    corpus.write_text("\n".join(passages + [e["question"] for e in train]) + "\n", encoding="utf-8")
    return corpus


def squad_route(objective: str, seconds: float, limit: int | None) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        home, start = Path(tmp), time.perf_counter()
        data = squad_data(home)
        summary = pretrain(home, squad_corpus(data), objective, seconds * PRETRAIN_SHARE, "--context", 256)
        llmcli(home, "finetune", "qa", "--data", data, "--base", "base", "--name", "squad-qa",
               "--time", f"{seconds * SQUAD_FINETUNE_SHARE:.0f}s")
        scope = ["--limit", str(limit)] if limit else []
        result = json.loads(llmcli(home, "eval", "qa", "-m", "squad-qa", "--data", data, "--split", "test",
                                   "--json", *scope))
        metrics = result["metrics"]
        return {"SQuAD exact match / F1": f"{metrics['squad_em']:.1f} / {metrics['squad_f1']:.1f}",
                "SQuAD test questions": f"{result['examples']:,}",
                "SQuAD pre-training": pretrain_figure(summary),
                "SQuAD model": described(home, "squad-qa"),
                "SQuAD route time": f"{time.perf_counter() - start:.0f} s"}


def side_by_side(columns: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """One row a figure: the causal model's value | the encoder's."""
    keys = list(dict.fromkeys(k for column in columns.values() for k in column))
    width = max(len(v) for column in columns.values() for v in column.values())
    rows = [("", f"{'causal':<{width}}  |  encoder (mlm)")]
    for key in keys:
        causal, encoder = columns["causal"].get(key, "-"), columns["mlm"].get(key, "-")
        rows.append((key, f"{causal:<{width}}  |  {encoder}"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="budget of each route, scoring included")
    parser.add_argument("--task", nargs="+", choices=("sst2", "squad"), default=["sst2", "squad"])
    parser.add_argument("--limit", type=int, help="score the first N SQuAD test questions only")
    args = parser.parse_args()
    seconds = args.minutes * 60
    columns: dict[str, dict[str, str]] = {objective: {} for objective in OBJECTIVES}
    for task in args.task:
        if not (SST2 if task == "sst2" else SQUAD).exists():
            print(f"skipped {task}: {SST2 if task == 'sst2' else SQUAD} is not there")
            continue
        for objective in OBJECTIVES:
            figures = sst2_route(objective, seconds) if task == "sst2" else squad_route(objective, seconds, args.limit)
            columns[objective].update(figures)
    if columns["causal"]:
        report(f"from scratch, causal model vs masked-LM encoder, {args.minutes:g} minutes a route "
               "(pre-training figures are not comparable across the two)", side_by_side(columns))


if __name__ == "__main__":
    main()
