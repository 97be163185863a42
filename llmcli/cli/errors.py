"""How failures reach the user: one line and a non-zero exit, or a traceback with --debug."""

from __future__ import annotations

import sys

import click

from llmcli.errors import UserError


def fail(message: str, code: int = 1):
    from llmcli.training.distributed import process_rank

    rank = process_rank()  # under torchrun, every process may fail: say which
    click.echo(f"Error: {message}" if rank == 0 else f"Error (process {rank}): {message}", err=True)
    sys.exit(code)


def run_guarded(action, debug: bool):
    try:
        return action()
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
        raise
    except UserError as exc:
        if debug:
            raise
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        if debug:
            raise
        fail("interrupted", 130)
    except MemoryError:
        if debug:
            raise
        fail("out of memory: use a smaller --preset or --batch-size")
    except Exception as exc:  # an unexpected failure is still one line without --debug
        if debug:
            raise
        detail = str(exc).splitlines()[0] if str(exc) else ""
        fail(f"{type(exc).__name__}: {detail} (run `llmcli --debug ...` for the traceback)")
