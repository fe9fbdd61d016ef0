"""lm-eval task definitions of lawbench (YAML + small Python hooks), one folder per task family.

``TASKS_DIR`` is the folder to give lm-eval as an include path::

    lm_eval --include_path "$(lawbench tasks --path)" --tasks lawshift --model hf ...
"""

from pathlib import Path

TASKS_DIR = Path(__file__).resolve().parent
