"""What a head predicts for one example. Imports nothing of llmcli, so that heads, tasks
and plugins can all use it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Prediction:
    """A head's output for one example: the text the metrics compare with the references,
    and whatever else the head knows (class probabilities, a span's position, a score)."""

    text: str
    details: dict = field(default_factory=dict)
