"""The settings of one generation, shared by every decoder (sampling, batched, beam search)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class GenerationConfig:
    max_new_tokens: int = 256
    temperature: float = 0.8  # 0 means greedy
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float = 1.0  # CTRL-style; 1 is off
    no_repeat_ngram: int = 0  # ban repeating any n-gram of this size; 0 is off
    stop: tuple[str, ...] = ()
    seed: int | None = None
    num_beams: int = 1
    length_penalty: float = 1.0  # beam search ranks hypotheses by score / len**length_penalty
    use_cache: bool = True  # False recomputes the whole window every step (the reference path)

    def validate(self) -> "GenerationConfig":
        def number(x):
            return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

        def integer(x):
            return isinstance(x, int) and not isinstance(x, bool)

        checks = [
            (integer(self.max_new_tokens) and self.max_new_tokens >= 0, "max_new_tokens must be an integer >= 0"),
            (number(self.temperature) and self.temperature >= 0, "temperature must be >= 0 (0 means greedy)"),
            (self.top_k is None or (integer(self.top_k) and self.top_k >= 1), "top_k must be an integer >= 1"),
            (self.top_p is None or (number(self.top_p) and 0 < self.top_p <= 1), "top_p must be in (0, 1]"),
            (number(self.repetition_penalty) and self.repetition_penalty > 0, "repetition_penalty must be > 0"),
            (integer(self.no_repeat_ngram) and self.no_repeat_ngram >= 0, "no_repeat_ngram must be an integer >= 0"),
            (
                isinstance(self.stop, (tuple, list)) and all(isinstance(s, str) and s for s in self.stop),
                "stop must be a tuple of non-empty strings",
            ),
            (self.seed is None or integer(self.seed), "seed must be an integer or None"),
            (integer(self.num_beams) and self.num_beams >= 1, "num_beams must be an integer >= 1"),
            (number(self.length_penalty), "length_penalty must be a finite number"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        return self
