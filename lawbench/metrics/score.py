"""The record a scorer returns: what the output earned, what was read from it, and why.

Modelled on inspect_ai's ``Score``. One scorer reads an output once and every consumer (the eval's
per-item metrics, RL rewards, rejection sampling, the leaderboard) takes what it needs from the
record instead of parsing the output again.

* ``value``: metric name -> value (what lm-eval averages; what rewards read);
* ``answer``: the extracted answer as an object (a :class:`~lawbench.metrics.Judgment`, chosen letters);
* ``canonical``: that answer re-written in the reference format, the text samples keep
  (``str(score)`` is this, so lm-eval's ``filtered_resps`` logs it);
* ``explanation``: one short line for a human; ``metadata``: anything else the scorer knew.

Example:
    >>> score = Score({"exact_match": 1.0}, answer="C", canonical="C", explanation="chose C, expected C")
    >>> score.value["exact_match"], str(score)
    (1.0, 'C')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Score:
    """One scored output (see the module docstring)."""

    value: dict[str, float]
    answer: Any = None
    canonical: str = ""
    explanation: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        # lm-eval writes filtered responses with str(): a sample then keeps the canonical answer.
        return self.canonical
