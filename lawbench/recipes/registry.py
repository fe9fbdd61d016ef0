"""The one list of lawbench's training recipes.

Every place that needs to know the recipes (the ``lawbench recipe`` parser, the runner, the pipeline,
the demo and the leaderboard's column order) reads this table; adding a recipe is one entry here and
one module under :mod:`lawbench.recipes`.

Example:
    >>> [r.name for r in RECIPES.values()][:3]
    ['pt', 'sft', 'rs-sft']
    >>> RECIPES["rm"].evaluated, RECIPES["dpo"].default_data
    (False, 'rs-sft samples')
    >>> stage_rank("grpo") > stage_rank("sft") and stage_rank("my-stage") == len(STAGE_ORDER)
    True
"""

from __future__ import annotations

from dataclasses import dataclass

STAGE_FILE = "lawbench_stage.json"  # written into every trained checkpoint: what produced it
BASE_STAGE = "base"  # the starting model's stage name (evaluated, never trained)


@dataclass(frozen=True)
class Recipe:
    """One training method: where it lives and how the pipeline and the site treat it."""

    name: str  # the stage / command name: ``lawbench recipe <name>``
    module: str  # module with ``train(ctx)`` and the config dataclass
    config_class: str  # TRL-style config dataclass in ``module`` (every field is a CLI flag)
    summary: str  # one line for ``lawbench recipe --help``
    produces: str = "policy"  # "policy" (writes answers) or "reward_model" (scores them)
    default_data: str | None = None  # "rs-sft samples": trains on an rs-sft ancestor's sampled.jsonl by default
    takes_reward_model: bool = False  # the pipeline hands it the latest earlier reward-model stage
    resumes: bool = True  # accepts --resume_from_checkpoint (the pipeline resumes an interrupted stage)

    @property
    def evaluated(self) -> bool:
        """Only a policy generates answers to score (a reward model gets no --then-eval, no eval run)."""
        return self.produces == "policy"

    @property
    def continues_policy(self) -> bool:
        """A reward model is a side branch: the next pipeline stage starts from the policy before it."""
        return self.produces == "policy"


# Display and pipeline order: the order in which these stages usually follow one another.
RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("pt", "lawbench.recipes.pt", "PTConfig",
           "continued pretraining on raw text, with packing, data mixtures and per-source (\"channel\") loss"),
    Recipe("sft", "lawbench.recipes.sft", "SFTConfig", "supervised fine-tuning, loss on assistant tokens only"),
    Recipe("rs-sft", "lawbench.recipes.rs_sft", "RSSFTConfig",
           "rejection sampling with lawbench's scorers, then 1/n-weighted SFT on the accepted answers"),
    Recipe("dpo", "lawbench.recipes.dpo", "DPOConfig",
           "direct preference optimization on prompt/chosen/rejected pairs or on rs-sft's output (--beta)",
           default_data="rs-sft samples"),
    Recipe("kto", "lawbench.recipes.kto", "KTOConfig",
           "KTO on labelled (unpaired) samples, pairs split in two, or rs-sft's output (--desirable_weight ...)",
           default_data="rs-sft samples"),
    Recipe("rm", "lawbench.recipes.rm", "RewardConfig",
           "reward model (sequence classifier) on pairs or rs-sft's output, saved for PPO; no --then-eval",
           produces="reward_model", default_data="rs-sft samples"),
    Recipe("ppo", "lawbench.recipes.ppo", "PPOConfig",
           "PPO (value head, KL to a frozen reference, GAE) rewarded by lawbench's scorers or a reward model",
           takes_reward_model=True, resumes=False),
    Recipe("grpo", "lawbench.recipes.grpo", "GRPOConfig",
           "GRPO (TRL GRPOTrainer) rewarded by lawbench's scorers (format, charge, term, choice) or a reward model"),
)}
RECIPE_NAMES: tuple[str, ...] = tuple(RECIPES)
# Stages as the site orders sibling columns: the base model first, then the recipes in order.
STAGE_ORDER: tuple[str, ...] = (BASE_STAGE, *RECIPE_NAMES)


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; an unknown name is a one-line error listing the known ones."""
    from lawbench.errors import LawbenchError

    if name not in RECIPES:
        raise LawbenchError(f"unknown recipe '{name}'; choose one of {', '.join(RECIPES)}")
    return RECIPES[name]


def evaluated_stages(names) -> list[str]:
    """``names`` without the stages whose recipe is not evaluated (custom stage names are kept).

    >>> evaluated_stages(["base", "sft", "rm", "ppo"])
    ['base', 'sft', 'ppo']
    """
    return [n for n in names if n not in RECIPES or RECIPES[n].evaluated]


def stage_rank(stage: str) -> int:
    """Position of ``stage`` in :data:`STAGE_ORDER`; unknown stage names come after every known one."""
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)
