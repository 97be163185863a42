"""llmcli: a command-line playground for text tasks with small language models."""

__version__ = "0.1.0"
