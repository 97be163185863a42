"""How the core draws predictions for a person: class probabilities as bars (sentiment,
any classifier). Rich is imported inside, so the core stays free of the CLI."""

from __future__ import annotations

BAR_WIDTH = 30


def probability_table(probabilities: dict[str, float]):
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 1))
    best = max(probabilities, key=probabilities.get)
    for label, p in sorted(probabilities.items(), key=lambda kv: -kv[1]):
        filled = round(p * BAR_WIDTH)
        bar = Text("█" * filled + "·" * (BAR_WIDTH - filled), style="green" if label == best else "dim")
        table.add_row(Text(label, style="bold" if label == best else ""), bar, f"{100 * p:5.1f}%")
    return table
