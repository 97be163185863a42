"""The qa task on real questions: SQuAD v1.1 (the part of its dev set in ../shared/data),
split by article: the first 30 articles to train on, the other 8 to test (1,572 questions
on passages never seen in training). Within `--minutes` (default 15) on this machine:

1. `llmcli train` a language model on the training passages and questions (40% of the time);
2. `llmcli finetune qa --base` it on the training questions (45%);
3. `llmcli eval qa` on the test articles: SQuAD exact match and F1.

It prints those beside a sliding-window word-overlap baseline, computed here on the same
test questions:

  For each question, every run of L words of the passage is a candidate answer, where L
  is the median answer length in words of the training questions. A candidate scores one
  point for each distinct content word of the question (stop words left out; compared in
  lower case, without punctuation) found within 10 words on either side of it, minus a
  hundredth of the mean distance to those words, so the nearer wins a tie; candidates
  holding a question word or beginning with a stop word are skipped. The best candidate
  is the answer.

With `--route smollm2` the start is SmolLM2-135M-Instruct instead (pulled first, outside
the budget): `llmcli finetune qa --base smollm2-135m-instruct --time` the whole budget, and
the same evaluation. `--limit N` scores the first N test questions (model and baseline).

Usage: python benchmarks/qa_squad.py [--minutes 15] [--route scratch|smollm2] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PRETRAINED, pull_pretrained, SHARED_DATA, report

TRAIN_ARTICLES = 30
NEAR = 10  # words either side of a candidate in which question words count
STOP = set("""a an the of in on at to for by with from and or but as is was were are be been being has have had
do does did what which who whom whose when where why how many much that this these those it its his her their
they he she there than into over under after before during about name type kind year years""".split())


def words_of(text: str) -> list[tuple[str, int, int]]:
    """(normalized word, start, end) for each run of non-space characters."""
    out = []
    for m in re.finditer(r"\S+", text):
        word = re.sub(r"[^\w]", "", m.group().lower())
        if word:
            out.append((word, m.start(), m.end()))
    return out


def window_baseline(question: str, context: str, length: int) -> str:
    asked = {w for w, _, _ in words_of(question)} - STOP
    words = words_of(context)
    best, answer = None, ""
    for i in range(len(words) - length + 1):
        span = words[i : i + length]
        if span[0][0] in STOP or any(w in asked for w, _, _ in span):
            continue
        distances: dict[str, int] = {}
        for j in range(max(0, i - NEAR), min(len(words), i + length + NEAR)):
            w = words[j][0]
            if w in asked and not i <= j < i + length:
                d = i - j if j < i else j - (i + length - 1)
                distances[w] = min(d, distances.get(w, d))
        if not distances:
            continue
        score = len(distances) - 0.01 * sum(distances.values()) / len(distances)
        if best is None or score > best:
            best, answer = score, context[span[0][1] : span[-1][2]]
    return answer.strip(".,;:!?\"'()")


def llmcli(*args, env) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "llmcli", *map(str, args)], env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"llmcli {' '.join(map(str, args))} failed:\n{result.stderr[-2000:]}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="the whole budget (default 15)")
    parser.add_argument("--route", choices=("scratch", "smollm2"), default="scratch")
    parser.add_argument("--limit", type=int, help="score the first N test questions only")
    args = parser.parse_args()
    minutes = args.minutes
    source = SHARED_DATA / "qa" / "squad" / "dev-v1.1-part-a.json"
    if not source.is_file():
        print(f"skipped: {source} is not there")
        return

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
    from llmcli_qa.loaders import read_qa_file
    from llmcli_qa.metrics import squad_em, squad_f1

    articles = json.loads(source.read_text(encoding="utf-8"))["data"]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "squad"
        data.mkdir()
        for split, part in (("train", articles[:TRAIN_ARTICLES]), ("test", articles[TRAIN_ARTICLES:])):
            (data / f"{split}.json").write_text(json.dumps({"version": "1.1", "data": part}), encoding="utf-8")
        train = [e for _, e in read_qa_file(data / "train.json")]
        test = [e for _, e in read_qa_file(data / "test.json")][: args.limit or None]

        # the baseline, on the same test questions
        length = round(statistics.median(len(e["answers"][0]["text"].split()) for e in train))
        guesses = [window_baseline(e["question"], e["context"], length) for e in test]
        golds = [[a["text"] for a in e["answers"]] for e in test]
        baseline = {**squad_em(guesses, golds), **squad_f1(guesses, golds)}

        env = {**os.environ, "LLMCLI_HOME": str(tmp / "home")}
        seconds = minutes * 60
        if args.route == "smollm2":
            pull_pretrained(env)
            started = time.perf_counter()  # the pull is not part of the budget
            llmcli("finetune", "qa", "--data", data, "--base", PRETRAINED, "--name", "squad-qa",
                   "--time", f"{seconds:.0f}s", env=env)
        else:
            # pretraining text: each training passage once, and the training questions
            passages = list(dict.fromkeys(e["context"] for e in train))
            corpus = tmp / "squad-train.txt"
            corpus.write_text("\n".join(passages + [e["question"] for e in train]) + "\n", encoding="utf-8")
            llmcli("train", corpus, "--name", "squad-lm", "--time", f"{seconds * 0.40:.0f}s", "--context", 256,
                   "--no-sample", env=env)
            llmcli("finetune", "qa", "--data", data, "--base", "squad-lm", "--name", "squad-qa",
                   "--time", f"{seconds * 0.45:.0f}s", env=env)
        scope = ["--limit", str(args.limit)] if args.limit else []
        result = json.loads(llmcli("eval", "qa", "-m", "squad-qa", "--data", data, "--split", "test", "--json",
                                   *scope, env=env).stdout)
        config = json.loads((tmp / "home" / "models" / "squad-qa" / "config.json").read_text())
    wall = time.perf_counter() - started
    model = result["metrics"]
    report(f"qa on SQuAD v1.1 dev part a, {args.route} route: {len(train):,} training questions (articles 1-{TRAIN_ARTICLES}), "
           f"{len(test):,} test questions (articles {TRAIN_ARTICLES + 1}-{len(articles)})", [
        ("model: exact match / F1", f"{model['squad_em']:.1f} / {model['squad_f1']:.1f}"),
        (f"window baseline ({length} words)", f"{baseline['squad_em']:.1f} / {baseline['squad_f1']:.1f}"),
        ("ratio of F1, model / baseline", f"{model['squad_f1'] / max(1e-9, baseline['squad_f1']):.2f}"),
        ("model", f"{config['preset']}, {config['params']:,} parameters, context {config['model']['context']}"),
        ("wall time", f"{wall / 60:.1f} min (budget {minutes:g} min)"),
    ])


if __name__ == "__main__":
    main()
