"""Training cases that can judge an answer: the acceptance test of rejection sampling, and the prompts
(with gold columns) of the RL recipes.

A case holds the chat to answer and how to judge a reply with the scorers evaluation uses:
LawShift-format records (charge and prison term both right, :func:`lawbench.metrics.judgment_correct`)
or LawBench 3-4 / 3-5 records (the prison term, read strictly).

Example:
    >>> case = Case([{"role": "user", "content": "…"}], "lawshift", {"charge": "盗窃", "prison_time": 6})
    >>> case.accepts("<answer>盗窃罪 | 6</answer>"), case.accepts("<answer>盗窃 | 7</answer>")
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import DataError
from lawbench.metrics import judgment_correct, score_judgment


@dataclass
class Case:
    """One training case: the chat to answer and how to judge an answer."""

    messages: list[dict]
    kind: str  # "lawshift" or "lawbench_term"
    gold: dict

    def accepts(self, response: str) -> bool:
        if self.kind == "lawshift":
            record = score_judgment(response, charge=self.gold["charge"], prison_time=self.gold["prison_time"],
                                    side="original", shift_type="V")
            return judgment_correct(record.answer, record.metadata["expected"])
        # The strict reading of the LawBench 3-4/3-5 scorer: its compatible reading misreads terms such
        # as 1年6个月 (as 6), and answers accepted under a misreading would teach the wrong term.
        from lawbench.metrics.lawbench_oc.terms import strict_months

        return strict_months(response) == self.gold["months"]



def source_cases(loaded, recipe) -> list[Case]:
    """The cases of one loaded dataset (LawShift-format or LawBench 3-4/3-5 records; grpo and ppo reuse this)."""
    from lawbench.recipes.data import lawshift_articles
    from lawbench.tasks.lawshift.data import case_messages, validate_records

    source = loaded.source
    if loaded.format == "lawshift":
        validate_records(loaded.records, Path(source))
        articles = lawshift_articles(recipe, source)
        return [Case(case_messages(r, articles), "lawshift", {"charge": r["charge"], "prison_time": r["prison_time"]})
                for r in loaded.records]
    if loaded.format == "lawbench":
        from lawbench.metrics.lawbench_oc.base import RefFormatError
        from lawbench.metrics.lawbench_oc.terms import gold_months

        cases = []
        for index, record in enumerate(loaded.records):
            try:
                months = gold_months(index, str(record["answer"]).strip())
            except RefFormatError:
                months = None
            if months is None:  # death / life, or not a term record: LawBench scores no term for it
                raise DataError(f"{source} record {index}: expected a LawBench 3-4 / 3-5 record whose answer "
                                f"is '刑期:N个月', got {str(record['answer'])[:30]!r}")
            cases.append(Case([{"role": "user", "content": f"{record['instruction']}\n{record['question']}"}],
                              "lawbench_term", {"months": months}))
        return cases
    raise DataError(f"{source}: rs-sft needs LawShift-format or LawBench 3-4/3-5 records, got {loaded.format}")


