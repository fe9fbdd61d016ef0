"""The 31 LawShift scenarios and their shift types (benchmark facts, from the LawShift label table).

Each scenario edits one element of a Criminal Law provision: the offender (``subject``), the act
(``action``), its object (``object``), an objective condition (``objCon``), a subjective condition
(``sbCon``) or the sentencing range (``term``). The shift type says what a correct judgment becomes
after the edit; see :mod:`lawbench.metrics.lawshift` for how each type is scored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    code: str  # LawShift's id, e.g. "T2.1"
    name: str  # the scenario folder name
    shift_type: str  # V, NV, TU, TD, XT or NX


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("T1.1", "subject_explicit_extend", "V"),
    Scenario("T1.2", "subject_implicit_expand", "V"),
    Scenario("T1.3", "subject_reallocated_expand", "V"),
    Scenario("T1.4", "subject_reallocated_reduce", "NV"),
    Scenario("T1.5", "subject_explicit_reduce", "NV"),
    Scenario("T1.6", "subject_implicit_reduce", "NV"),
    Scenario("T2.1", "action_explicit_extend", "V"),
    Scenario("T2.2", "action_implicit_expand", "V"),
    Scenario("T2.3", "action_reallocated_expand", "V"),
    Scenario("T2.4", "action_reallocated_reduce", "NV"),
    Scenario("T2.5", "action_explicit_reduce", "NV"),
    Scenario("T2.6", "action_implicit_reduce", "NV"),
    Scenario("T3.1", "object_explicit_extend", "V"),
    Scenario("T3.2", "object_implicit_expand", "V"),
    Scenario("T3.3", "object_reallocated_expand", "V"),
    Scenario("T3.4", "object_reallocated_reduce", "NV"),
    Scenario("T3.5", "object_explicit_reduce", "NV"),
    Scenario("T3.6", "object_implicit_reduce", "NV"),
    Scenario("T4.1", "objCon_explicit_extend", "NV"),
    Scenario("T4.2", "objCon_implicit_expand", "NV"),
    Scenario("T4.3", "objCon_reallocated_expand", "NV"),
    Scenario("T4.4", "objCon_reallocated_reduce", "V"),
    Scenario("T4.5", "objCon_implicit_reduce", "V"),
    Scenario("T4.6", "objCon_addition", "NV"),
    Scenario("T4.7", "objCon_removal", "V"),
    Scenario("T5.1", "sbCon_addition", "NV"),
    Scenario("T5.2", "sbCon_removal", "V"),
    Scenario("T6.1", "term_up", "TU"),
    Scenario("T6.2", "term_down", "TD"),
    Scenario("T6.3", "term_extremity_in", "XT"),
    Scenario("T6.4", "term_extremity_out", "NX"),
)

BY_NAME: dict[str, Scenario] = {s.name: s for s in SCENARIOS}
SIDES: tuple[str, str] = ("original", "poisoned")


def subtask_name(scenario: str, side: str) -> str:
    """lm-eval task name of one scenario side, e.g. ``lawshift_term_up_poisoned``."""
    return f"lawshift_{scenario}_{side}"
