"""How the samples ran, for a person: `llmcli eval code` shows it under the metrics, with
the sandbox's protections in force."""

from __future__ import annotations

from collections import Counter

COMMON = 5  # the most frequent errors shown


def outcome_table(results: list[dict]):
    """A Rich table: samples by status, then the commonest errors."""
    from rich.table import Table

    runs = [run for result in results for run in result["samples"]]
    statuses = Counter(run["status"] for run in runs)
    errors = Counter(short(run["error"]) for run in runs if run["error"])
    solved = sum(result["passed"] > 0 for result in results)
    table = Table(title=f"samples run: {len(runs):,}; problems solved by at least one: {solved:,} of {len(results):,}",
                  title_justify="left")
    table.add_column("outcome", overflow="fold")
    table.add_column("samples", justify="right")
    for status, count in statuses.most_common():
        table.add_row(status, f"{count:,}")
    for error, count in errors.most_common(COMMON):
        table.add_row(f"  {error}", f"{count:,}")
    return table


def short(error: str, width: int = 80) -> str:
    """An error without its particulars' tail: "NameError: name 'x' is not defined"."""
    return error if len(error) <= width else error[: width - 1] + "…"


def protections_line(protections: dict) -> str:
    """The sandbox's protections in one line: those in force, then those missing here."""
    line = "sandbox: " + ", ".join(name for name, on in protections.items() if on)
    missing = [name for name, on in protections.items() if not on]
    if missing:
        line += f"; not in force here: {', '.join(missing)} (they need Linux, root and a system that allows namespaces)"
    return line
