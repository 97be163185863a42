"""`--nproc N`: start the same command under torchrun, N processes on this machine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from llmcli.errors import UserError
from llmcli.training import distributed


def main_process() -> bool:
    """Rank 0, or the only process: the one that prints."""
    return distributed.process_rank() == 0


def without_nproc(args: list[str]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def relaunch_if_asked(nproc: int | None, batch_size: int | None) -> None:
    """With --nproc N > 1 (and not already under torchrun), run this very command again
    under torchrun with N processes, and exit with its status. A Ctrl-C goes to torchrun,
    which passes it on to each process."""
    if not nproc or nproc == 1 or distributed.launched_by_torchrun():
        return
    if batch_size is not None and batch_size % nproc:
        raise UserError(f"the batch of {batch_size} cannot be split evenly over {nproc} processes: "
                        f"give --batch-size a multiple of {nproc}")
    args = without_nproc(sys.argv[1:])
    command = [sys.executable, "-m", "llmcli.training.quiet_torchrun", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "llmcli", *args]
    env = dict(os.environ)
    env.setdefault("LOGLEVEL", "ERROR")  # torchrun's own log: only its errors
    # torchrun's default is one thread a process; say so, to keep it from warning about it
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # torchrun and its processes handle Ctrl-C
    try:
        code = subprocess.call(command, env=env)
    finally:
        signal.signal(signal.SIGINT, previous)
    sys.exit(code)
