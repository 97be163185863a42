"""What `llmcli eval` draws: one model's figures and predictions, or several models' side by
side (a row each, with how it came to serve the task), on the same examples."""

from __future__ import annotations


def show_one(report: dict, result: dict, task, examples: list[dict], show: int) -> None:
    from rich.table import Table

    from llmcli.cli.console import out_console

    console = out_console()
    scored = report["model"] or "given predictions"
    if report.get("kind") in ("zero-shot", "plain"):
        scored += f" ({report['kind']})"
    table = Table(title=f"{report['task']}: {scored} on {report['dataset']} ({report['split']}, "
                        f"{report['examples']:,} examples, {report['seconds']:.1f} s)", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("better")
    lower = set(result["lower_is_better"])
    for name, value in report["metrics"].items():
        table.add_row(name, f"{value:.2f}", "lower" if name in lower else "higher")
    console.print(table)
    show_notes(console, report)
    if show:
        console.print(samples_table(task, examples, [result["predictions"]], show, None))
    if result["extra"]:
        task.show_extra(console, result["extra"])


def show_comparison(reports: list[dict], results: list[dict], task, examples: list[dict], show: int) -> None:
    """A row per model, the metrics side by side (the best of each in bold), then a few
    examples with each model's prediction."""
    from rich.table import Table

    from llmcli.cli.console import out_console

    console = out_console()
    first = reports[0]
    lower = set().union(*(r["lower_is_better"] for r in results))
    names = list(dict.fromkeys(name for r in reports for name in r["metrics"]))
    table = Table(title=f"{first['task']} on {first['dataset']} ({first['split']}, {first['examples']:,} examples)",
                  title_justify="left")
    for column in ("model", "kind"):
        table.add_column(column)
    for name in names:
        table.add_column(f"{name} ({'lower' if name in lower else 'higher'} is better)", justify="right")
    table.add_column("seconds", justify="right")
    best = {name: (min if name in lower else max)(r["metrics"].get(name, float("nan")) for r in reports
                                                  if name in r["metrics"]) for name in names}
    for r in reports:
        cells = []
        for name in names:
            value = r["metrics"].get(name)
            cell = "-" if value is None else f"{value:.2f}"
            cells.append(f"[bold]{cell}[/]" if value is not None and value == best[name] else cell)
        table.add_row(r["model"], r.get("kind", ""), *cells, f"{r['seconds']:.1f}")
    console.print(table)
    for r in reports:
        show_notes(console, r, prefix=f"{r['model']}: ")
    if show:
        console.print(samples_table(task, examples, [res["predictions"] for res in results], show,
                                    [r["model"] for r in reports]))


def show_notes(console, report: dict, prefix: str = "") -> None:
    for name, note in report.get("notes", {}).items():
        console.print(f"{prefix}{name}: {note}", markup=False, highlight=False)


def samples_table(task, examples: list[dict], predictions: list[list], show: int, models: list[str] | None):
    """The first examples: input, reference, and each model's prediction marked right or wrong."""
    from rich.table import Table
    from rich.text import Text

    from llmcli.metrics.basic import normalize_text

    sample = Table(show_lines=True)
    columns = ["input", "prediction", "reference", ""] if models is None else ["input", "reference", *models]
    for column in columns:
        sample.add_column(column, overflow="fold")
    for i, example in enumerate(examples[:show]):
        references = task.references(example)
        wanted = {normalize_text(r) for r in references}
        marked = []
        for rows in predictions:
            text = rows[i].text
            mark = Text("✓", style="green") if normalize_text(text) in wanted else Text("✗", style="red")
            marked.append((Text(text), mark))
        if models is None:
            sample.add_row(Text(clip(task.render_prompt(example))), marked[0][0], Text(" | ".join(references)),
                           marked[0][1])
        else:
            sample.add_row(Text(clip(task.render_prompt(example))), Text(" | ".join(references)),
                           *(Text.assemble(mark, " ", text) for text, mark in marked))
    return sample


def clip(text: str, width: int = 200) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
