"""Progress of a command that goes through stages (download, verify, extract, convert),
each with a count: Rich bars on a terminal, a line per stage elsewhere (no live display
when stderr is not a terminal)."""

from __future__ import annotations

BYTE_STAGES = ("download", "verify", "extract")  # counted in bytes; the others in items (blocks)


class StageProgress:
    """Progress by stages (`progress(stage, done, total)`: pull's bytes, import's blocks):
    bars on a terminal, one line per stage elsewhere."""

    def __init__(self):
        from llmcli.cli.console import err_console

        self.console = err_console()
        self.stages: dict[str, int] = {}
        self.progress = None
        if self.console.is_terminal and not self.console.is_dumb_terminal:
            from rich.progress import Progress

            self.progress = Progress(console=self.console, transient=True)

    def __enter__(self):
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.progress is None:
            if stage not in self.stages:
                self.stages[stage] = 0
                size = "" if not total else (f" ({total / 2**20:,.0f} MiB)" if stage in BYTE_STAGES
                                             else f" ({total} in all)")
                self.console.print(f"{stage}{size}...", markup=False, highlight=False)
            return
        if stage not in self.stages:
            self.stages[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.stages[stage], completed=done)
