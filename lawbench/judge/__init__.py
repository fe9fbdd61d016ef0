"""An LLM judge for open legal answers, from any OpenAI-compatible model (see docs/judge.md).

* :mod:`lawbench.judge.rubric`: rubrics as data (``disc``, ``legal10`` or a user's YAML file) and the
  parsing of the judge's JSON replies;
* :mod:`lawbench.judge.client`: the cached, concurrent, retried judge client and its flags;
* :mod:`lawbench.judge.pointwise`: ``judge_score`` / ``judge_parse_rate`` of an eval run's judged tasks;
* :mod:`lawbench.judge.pairwise`: stage-vs-parent win rates over a folder of runs.

Nothing heavy is imported here: ``lawbench --help`` stays fast.
"""
