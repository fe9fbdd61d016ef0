"""``lawbench leaderboard build``: a static site that compares training stages on the same tasks.

Reads eval runs (lm-eval ``results_*.json`` with lawbench's manifest, and ``samples_*.jsonl``),
computes every statistic in Python (bootstrap CIs, paired changes, item transitions, LawShift
shift gap / 2x2 / stale-law rate), and writes one self-contained ``index.html`` plus CSV /
Markdown / LaTeX exports. See the "lawbench leaderboard build" section of README.md.

Example::

    from lawbench.leaderboard import build_site
    index = build_site("OUT/runs", "OUT/site")   # open index in a browser, no server needed
"""

from lawbench.leaderboard.site import build_data, build_site

__all__ = ["build_data", "build_site"]
