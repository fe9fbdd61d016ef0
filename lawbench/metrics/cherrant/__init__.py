"""ChERRANT (Chinese ERRANT) at character level, as LawBench's task 2-1 scores with it.

lawbench's own implementation of the algorithm of ChERRANT as bundled with LawBench
(``evaluation/utils/``: ``parallel_to_m2.py -g char`` then ``compare_m2_for_evaluation.py``), with the
same results and none of its files: no M2 round trip, no subprocess, no 10-second timeout.

* :mod:`~lawbench.metrics.cherrant.resources` — the Cilin thesaurus and the confusion set (data source
  ``cherrant``);
* :mod:`~lawbench.metrics.cherrant.costs` — the substitution cost;
* :mod:`~lawbench.metrics.cherrant.alignment` — the cost table and every cheapest alignment;
* :mod:`~lawbench.metrics.cherrant.merge` — alignment → span edits;
* :mod:`~lawbench.metrics.cherrant.annotate` — a sentence pair → its pooled, classified edits;
* :mod:`~lawbench.metrics.cherrant.compare` — hypothesis vs reference edits → correct / wrong /
  missed, precision, recall, F0.5.
"""

from lawbench.metrics.cherrant.annotate import annotate
from lawbench.metrics.cherrant.compare import compare_sentence, f_score
from lawbench.metrics.cherrant.costs import SubstitutionCosts
from lawbench.metrics.cherrant.resources import load_tables

__all__ = ["SubstitutionCosts", "annotate", "compare_sentence", "f_score", "load_tables"]
