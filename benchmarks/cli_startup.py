"""Wall time of `llmcli --help`, `tasks` and `plugins` (targets: under 0.25 s for --help,
under 0.4 s for the listings), and whether torch was imported."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from common import report


def time_command(args: list[str], runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    llmcli = [sys.executable, "-m", "llmcli"]
    bare = time_command([sys.executable, "-c", "pass"])
    rows = [("python -c pass", f"{bare:.3f} s")]
    for args in (["--help"], ["models"], ["train", "--help"], ["tasks"], ["plugins"], ["tasks", "--json"]):
        rows.append((f"llmcli {' '.join(args)}", f"{time_command(llmcli + args):.3f} s"))
    for args in (["--help"], ["tasks"], ["plugins"]):
        probe = subprocess.run(
            [sys.executable, "-c", f"import sys\nfrom llmcli.cli import main\ntry:\n main({args!r})\n"
             "except SystemExit:\n pass\nprint('torch imported:', 'torch' in sys.modules)"],
            capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]
        rows.append((f"llmcli {' '.join(args)}", probe))
    report("CLI start-up (median of 15; targets: --help < 0.25 s, tasks and plugins < 0.4 s)", rows)


if __name__ == "__main__":
    main()
