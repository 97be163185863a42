"""SST-2 distilled: the sentiment model fine-tuned from SmolLM2 (the teacher) taught to a
from-scratch 2x128 student in 10 minutes. Prints the student's accuracy on dev-part-a.tsv
(436 sentences, half the official dev set) and its prediction speed-up against the
teacher, beside the same student trained without a teacher in the same budget.

The student without a teacher is `llmcli distill --kd-ratio 0`: the same shape, the
teacher's tokenizer, the same data and budget, the teacher never run while it trains.

    python benchmarks/distill_sst2.py [--minutes 10] [--teacher NAME] [--teacher-minutes 10]
                                      [--student 2x128]

Without --teacher, the teacher is made first, outside the student's budget, as
`sentiment_sst2.py --route smollm2` makes it: SmolLM2-135M-Instruct pulled, then fully
fine-tuned (`finetune sentiment --base smollm2-135m-instruct --time`), in a temporary data
directory. With --teacher NAME, that model of the data directory ($LLMCLI_HOME) is the
teacher, and the students are written there (as distill-sst2-kd and distill-sst2-plain,
replacing earlier ones).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from common import PRETRAINED, SHARED_DATA, llmcli, pull_pretrained, report

from llmcli.paths import home as data_dir

SST2 = SHARED_DATA / "sentiment" / "sst2"
DEV = SST2 / "dev-part-a.tsv"
EVAL_RESERVE_S = 25  # of each student's budget, kept for the side-by-side comparison at its end


def make_teacher(home: str, minutes: float) -> str:
    pull_pretrained({**os.environ, "LLMCLI_HOME": home})
    llmcli(home, "finetune", "sentiment", "--base", PRETRAINED, "--data", str(SST2 / "train.tsv"),
           "--name", "sst2-teacher", "--time", f"{int(minutes * 60)}s")
    return "sst2-teacher"


def scored(home: str, model: str) -> dict:
    """eval's figures on dev-part-a: accuracy, and the seconds its predictions took."""
    return json.loads(llmcli(home, "eval", "sentiment", "-m", model, "--data", str(DEV), "--json"))


def student(home: str, teacher: str, name: str, shape: str, seconds: float, ratio: float) -> dict:
    began = time.perf_counter()
    out = json.loads(llmcli(home, "distill", "sentiment", "--teacher", teacher, "--student", shape,
                            "--data", str(SST2 / "train.tsv"), "--name", name, "--force", "--kd-ratio", str(ratio),
                            "--time", f"{int(seconds - EVAL_RESERVE_S)}s", "--json"))
    return {"run": out, "wall": time.perf_counter() - began, "dev": scored(home, name)}


def rows_for(teacher: dict, kd: dict, plain: dict, shape: str) -> list[tuple[str, str]]:
    params = kd["run"]["comparison"]
    rows = [("teacher accuracy (dev-part-a)", f"{teacher['metrics']['accuracy']:.2f}%, "
                                              f"{params['teacher']['params']:,} parameters"),
            ("student", f"{shape}, {params['student']['params']:,} parameters, the teacher's tokenizer")]
    for label, result in (("distilled (kd-ratio 0.5, T 2)", kd), ("without a teacher (kd-ratio 0)", plain)):
        speedup = teacher["seconds"] / max(result["dev"]["seconds"], 1e-9)
        rows += [(f"{label}: accuracy", f"{result['dev']['metrics']['accuracy']:.2f}%"),
                 (f"{label}: speed-up", f"{speedup:.1f}x the teacher's prediction on dev-part-a "
                                        f"({result['dev']['seconds']:.1f} s against {teacher['seconds']:.1f} s)"),
                 (f"{label}: steps", f"{result['run']['steps']:,} in {result['wall']:.0f} s (command)")]
    rows.append(("tokens/s, distill's own comparison", f"{params['speedup']:.1f}x on {params['examples']} "
                                                       "validation sentences"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="each student's budget, its comparison included")
    parser.add_argument("--teacher", help="an existing SST-2 teacher in $LLMCLI_HOME (default: fine-tune one)")
    parser.add_argument("--teacher-minutes", type=float, default=10.0, help="the teacher's fine-tuning budget")
    parser.add_argument("--student", default="2x128", help="the student's preset or LAYERSxWIDTH")
    args = parser.parse_args()
    if not (SST2 / "train.tsv").is_file():
        print(f"skipped: {SST2} is not there")
        return
    with tempfile.TemporaryDirectory() as scratch:
        home = str(data_dir()) if args.teacher else scratch
        teacher = args.teacher or make_teacher(home, args.teacher_minutes)
        teacher_dev = scored(home, teacher)
        seconds = args.minutes * 60
        kd = student(home, teacher, "distill-sst2-kd", args.student, seconds, 0.5)
        plain = student(home, teacher, "distill-sst2-plain", args.student, seconds, 0.0)
        report(f"SST-2 distilled into a {args.student} student, {args.minutes:g} minutes each",
               rows_for(teacher_dev, kd, plain, args.student))


if __name__ == "__main__":
    main()
