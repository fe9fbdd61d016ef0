"""LawBench-compatible lm-eval tasks (``lawbench_oc``); see README.md in this folder."""
