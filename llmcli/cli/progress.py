"""Training progress on stderr: a live Rich panel on a terminal, plain lines elsewhere."""

from __future__ import annotations

import time

from llmcli.cli.console import err_console


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingDisplay:
    """Receives trainer events; draws step, loss, validation loss and bits per byte,
    tokens/s, learning rate and ETA."""

    PLAIN_EVERY_S = 10.0

    def __init__(self, title: str):
        self.console = err_console()
        self.title = title
        self.step: dict = {}
        self.eval: dict = {}
        self.live = None
        self.last_plain = 0.0
        self.last_step = None  # the step of the last plain line
        self.interactive = self.console.is_terminal and not self.console.is_dumb_terminal

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.live is not None:
            self.live.stop()
            self.live = None

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "phase":
            self.console.print(f"[bold]{event['phase']}[/]: {event.get('detail', '')}")
        elif kind == "step":
            self.step = event
            self.refresh()
        elif kind == "eval" and not event.get("final"):
            self.eval = event
            self.refresh(force=True)

    def eta(self) -> float | None:
        progress, elapsed = self.step.get("progress", 0), self.step.get("elapsed", 0)
        if progress <= 0:
            return None
        return elapsed * (1 - progress) / progress

    def render(self):
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        s, e = self.step, self.eval
        table = Table.grid(padding=(0, 2))
        for _ in range(7):
            table.add_column()
        table.add_row(
            "[dim]step[/]", "[dim]loss[/]", "[dim]val loss[/]", "[dim]val bpb[/]",
            "[dim]tokens/s[/]", "[dim]lr[/]", "[dim]ETA[/]",
        )
        eta = self.eta()
        table.add_row(
            f"{s.get('step', 0):,}",
            f"{s.get('loss', float('nan')):.4f}",
            f"{e['val_loss']:.4f}" if e else "-",
            f"{e['val_bpb']:.3f}" if "val_bpb" in e else "-",
            f"{s.get('tokens_per_s', 0):,.0f}",
            f"{s.get('lr', 0):.2e}",
            format_seconds(eta) if eta is not None else "-",
        )
        if "memory_gb" in s:  # on a GPU
            table.add_row("[dim]device memory[/]", f"{s['memory_gb']:.2f} GB")
        outer = Table.grid()
        outer.add_row(f"[bold]{self.title}[/]")
        outer.add_row(ProgressBar(total=1.0, completed=s.get("progress", 0), width=60))
        outer.add_row(table)
        return outer

    def plain_line(self) -> str:
        """A step's line where there is no terminal (validation has lines of its own)."""
        s = self.step
        parts = [f"step {s.get('step', 0)}", f"loss {s.get('loss', float('nan')):.4f}",
                 f"{s.get('tokens_per_s', 0):,.0f} tok/s", f"lr {s.get('lr', 0):.2e}"]
        if "memory_gb" in s:
            parts.append(f"{s['memory_gb']:.2f} GB")
        eta = self.eta()
        if eta is not None:
            parts.append(f"ETA {format_seconds(eta)}")
        return " | ".join(parts)

    def plain_eval_line(self) -> str:
        e = self.eval
        parts = [f"validation at step {e.get('step', 0)}: val loss {e['val_loss']:.4f}"]
        if "val_bpb" in e:
            parts.append(f"val bpb {e['val_bpb']:.3f}")
        return " | ".join(parts)

    def refresh(self, force: bool = False) -> None:
        if self.interactive:
            if self.live is None:
                from rich.live import Live

                self.live = Live(self.render(), console=self.console, refresh_per_second=4, transient=False)
                self.live.start()
            else:
                self.live.update(self.render())
            return
        if force:  # a new validation figure: its own line, once
            self.console.print(self.plain_eval_line(), soft_wrap=True)
            return
        now, step = time.monotonic(), self.step.get("step", 0)
        if now - self.last_plain >= self.PLAIN_EVERY_S and step != self.last_step:  # never a step twice
            self.last_plain, self.last_step = now, step
            self.console.print(self.plain_line(), soft_wrap=True)
