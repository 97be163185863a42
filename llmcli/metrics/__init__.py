"""Metrics: named functions from predictions and references to figures.

`compute(predictions, references, examples)` gets the predicted texts, the list of
acceptable references for each example, and the examples themselves (for metrics that
need more, such as unit tests to run); with `takes_predictions`, it gets the Prediction
objects (text and details, such as several samples) instead of the texts. It returns a dict of named figures. Heavy libraries
are imported inside `compute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class Metric:
    name: str
    compute: Callable[[list[str], list[list[str]], list[dict]], dict[str, float]]
    description: str = ""
    higher_is_better: bool = True
    takes_predictions: bool = False
