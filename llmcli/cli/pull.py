"""`llmcli pull NAME`: a known pretrained checkpoint, downloaded, checked and imported."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("name", required=False)
@click.option("--list", "as_list", is_flag=True, help="List the catalogue and what is already here.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print JSON.")
@click.option("--force", is_flag=True, help="Replace an existing model of the same name.")
def pull(name, as_list, as_json, force):
    """Download a known pretrained model, verify its checksums and import it.

    \b
    llmcli pull --list                   the catalogue
    llmcli pull smollm2-135m-instruct    then: llmcli generate -m smollm2-135m-instruct "..."
    Without network, `llmcli import FILE` imports a file you already have.
    """
    if as_list or name is None:
        show_catalogue(as_json)
        return
    from llmcli.cli.import_model import import_as
    from llmcli.pretrained.pull import pull as fetch

    from llmcli.cli.stage_progress import StageProgress

    with StageProgress() as progress:
        path = fetch(name, on_progress=progress)
    import_as(path, name, force)


def show_catalogue(as_json: bool) -> None:
    from rich.table import Table

    from llmcli.cli.console import out_console
    from llmcli.paths import is_run_dir, models_dir
    from llmcli.pretrained.pull import listing

    rows = [{**row, "imported": is_run_dir(models_dir() / row["name"])} for row in listing()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="pretrained models (llmcli pull NAME)", title_justify="left")
    for column in ("name", "family", "parameters", "licence", "download", "here"):
        table.add_column(column)
    for row in rows:
        here = "imported" if row["imported"] else ("downloaded" if row["cached"] else "")
        table.add_row(row["name"], row["family"], f"{row['parameters'] / 1e6:.0f}M", row["licence"],
                      f"{row['download_bytes'] / 2**20:,.0f} MiB", here)
    out_console().print(table)
