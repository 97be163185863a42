"""The confusion matrix: how often each gold label was predicted as each label, as JSON
for `eval --json` and as a table under eval's figures."""

from __future__ import annotations


def confusion_matrix(gold: list[str], predicted: list[str], labels: list[str] | None = None) -> dict:
    """{"labels": [...], "counts": [[...]]}: counts[i][j] is the number of examples whose
    gold label is labels[i] and whose predicted label is labels[j]."""
    labels = list(labels or []) + sorted((set(gold) | set(predicted)) - set(labels or []))
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted):
        counts[index[g]][index[p]] += 1
    return {"labels": labels, "counts": counts}


def confusion_table(matrix: dict):
    """A Rich table: a row per gold label, a column per predicted label, hits in green."""
    from rich.table import Table
    from rich.text import Text

    labels, counts = matrix["labels"], matrix["counts"]
    table = Table(title="confusion matrix (rows: gold label, columns: predicted)", title_justify="left")
    table.add_column("gold \\ predicted")
    for label in labels:
        table.add_column(label, justify="right")
    table.add_column("recall", justify="right")
    for i, label in enumerate(labels):
        total = sum(counts[i])
        cells = [Text(str(n), style="bold green" if i == j else ("red" if n else "dim"))
                 for j, n in enumerate(counts[i])]
        recall = f"{100 * counts[i][i] / total:.1f}%" if total else "-"
        table.add_row(label, *cells, recall)
    return table


def group_table(groups: dict):
    """Accuracy on groups of examples: {name: {"examples": n, "accuracy": %}}."""
    from rich.table import Table

    table = Table(title="accuracy by group", title_justify="left")
    table.add_column("reviews")
    table.add_column("examples", justify="right")
    table.add_column("accuracy", justify="right")
    for name, group in groups.items():
        table.add_row(name, f"{group['examples']:,}", f"{group['accuracy']:.2f}")
    return table
