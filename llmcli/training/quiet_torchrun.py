"""torchrun, quietly: `python -m llmcli.training.quiet_torchrun TORCHRUN-ARGS` runs torchrun and
leaves the talking to the processes it starts. A Ctrl-C or a failed process ends it with
that process's status, without torchrun's own traceback (the processes have already said
what happened, in one line)."""

from __future__ import annotations

import logging
import sys


def main(argv: list[str]) -> int:
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun

    for name in list(logging.root.manager.loggerDict):  # torchrun's own notes and error reports
        if name.startswith("torch.distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        torchrun(argv)
    except SignalException:
        return 130
    except ChildFailedError as exc:
        codes = [failure.exitcode for failure in exc.failures.values()]
        return next((code for code in codes if code > 0), 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
