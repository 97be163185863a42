"""The summarize-facts dataset, generated: short documents of five kinds (chats arranging
a meeting, incident reports, match reports, company and council news, notices of a moved
meeting) whose summaries state the key facts. The same examples every time, no download.

Each example goes to the split that a hash of its summary names, so the splits never
share a summary: a test document always states a combination of facts not trained on.
"""

from __future__ import annotations

import random

from llmcli.datasets import split_by_hash

from llmcli_summarize.dialogues import arrangement
from llmcli_summarize.news import company, council, notice
from llmcli_summarize.reports import incident, match

SIZES = {"train": 20_000, "validation": 500, "test": 500}
SHARES = {"validation": 5, "test": 5}  # percent of all summaries; the rest: train
# dialogues are the longest and hardest kind: they get the largest share
KINDS = ((arrangement, 3), (incident, 2), (match, 2), (company, 1), (council, 1), (notice, 1))


def split_of(summary: str) -> str:
    return split_by_hash(summary, SHARES)


def generate(split: str, count: int, seed: int) -> list[dict]:
    """`count` examples of `split`: candidates are drawn until enough hash to the split."""
    rng = random.Random(f"summarize-{seed}-{split}")
    makers, weights = zip(*KINDS)
    out: list[dict] = []
    while len(out) < count:
        make = rng.choices(makers, weights)[0]
        document, summary = make(rng)
        if split_of(summary) == split:
            out.append({"document": document, "summary": summary})
    return out
