"""The Rich consoles: messages and progress on stderr, data on stdout."""

from __future__ import annotations

import functools


@functools.cache
def err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@functools.cache
def out_console():
    from rich.console import Console

    return Console(highlight=False)
