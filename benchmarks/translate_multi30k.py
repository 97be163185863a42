"""Multi30k German->English from scratch: `llmcli finetune translate --data multi30k --src de
--tgt en --time 15m --preset mini`, then BLEU and chrF (sacrebleu) on the `val`
split (1,014 sentences), with the task's beam search. Target: BLEU >= 30.

    python benchmarks/translate_multi30k.py                 # 15 minutes of training
    python benchmarks/translate_multi30k.py --minutes 3     # a shorter trial
    python benchmarks/translate_multi30k.py --minutes 6 -- --preset micro --lr 1e-3

The preset is mini (4 layers x 256): auto's language-modelling rule picks a narrower model
that learns less from 29,000 pairs in 15 minutes. A --preset after `--` replaces it.

`--base smollm2-135m-instruct` pulls that base first (outside the budget), scores it
zero-shot, and fine-tunes it instead of a model from scratch (no --preset then).

Arguments after `--` go to `llmcli finetune`. Skips with a message when
../shared/data/translation/multi30k is absent.
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

NAME = "multi30k-de-en"


def llmcli(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmcli", *map(str, args)], env=env, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="training budget (default 15)")
    parser.add_argument("--beams", type=int, help="beam width for scoring (default: the task's, 4)")
    parser.add_argument("--limit", type=int, help="score only the first N validation sentences")
    parser.add_argument("--base", choices=(PRETRAINED,), help="fine-tune this pretrained base (pulled first)")
    parser.add_argument("--keep", type=Path, help="keep the model in this LLMCLI_HOME instead of a temporary one")
    parser.add_argument("finetune_args", nargs="*", help="more arguments for `llmcli finetune` (after --)")
    args = parser.parse_args()
    corpus = SHARED_DATA / "translation" / "multi30k"
    if not (corpus / "train.de.gz").is_file():
        print(f"skipped: {corpus} is not there")
        return
    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep or Path(tmp)
        env = {**os.environ, "LLMCLI_HOME": str(home)}
        extra = (["--beams", args.beams] if args.beams else []) + (["--limit", args.limit] if args.limit else [])

        def score(model: str) -> dict:
            return json.loads(llmcli("eval", "translate", "-m", model, "--data", corpus, "--src", "de", "--tgt", "en",
                                     "--split", "validation", "--json", *extra, env=env).stdout)

        zero_shot = None
        if args.base:
            pull_pretrained(env)
            zero_shot = score(args.base)
        start = time.perf_counter()
        start_from = ["--base", args.base] if args.base else ["--preset", "mini"]
        llmcli("finetune", "translate", "--data", corpus, "--src", "de", "--tgt", "en",
               "--time", f"{args.minutes * 60:.0f}s", "--name", NAME, "--force", *start_from,
               *args.finetune_args, env=env)
        trained = time.perf_counter() - start
        start = time.perf_counter()
        scores = score(NAME)
        scored = time.perf_counter() - start
        run = home / "models" / NAME
        summary = json.loads((run / "summary.json").read_text())
        config = json.loads((run / "config.json").read_text())
    metrics = scores["metrics"]
    origin = f"from {args.base}" if args.base else "from scratch"
    report(f"Multi30k de->en {origin}, {args.minutes:g} min of training (target: val BLEU >= 30)", [
        ("BLEU (val)", f"{metrics['bleu']:.2f}  ({scores['notes']['bleu_signature']})"),
        *([] if zero_shot is None else [("zero-shot BLEU / chrF of the base",
                                         f"{zero_shot['metrics']['bleu']:.2f} / {zero_shot['metrics']['chrf']:.2f}")]),
        ("chrF (val)", f"{metrics['chrf']:.2f}"),
        ("sentences scored", f"{scores['examples']:,} in {scored:.0f} s"),
        ("preset / params", f"{config['preset']} / {config['params']:,}"),
        ("vocabulary / context", f"{config['tokenizer']['vocab_size']} / {config['model']['context']}"),
        ("steps / tokens", f"{summary['steps']:,} / {summary['tokens']:,}"),
        ("validation loss", f"{summary.get('val_loss', float('nan')):.4f} nats/token"),
        ("wall time of finetune", f"{trained:.0f} s"),
    ])


if __name__ == "__main__":
    main()
