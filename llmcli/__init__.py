"""llmcli: a command-line playground for text tasks with small language models."""

__version__ = "0.1.0"

from llmcli.hookspecs import hookimpl  # noqa: E402  (the one name every plugin needs)

__all__ = ["__version__", "hookimpl"]
