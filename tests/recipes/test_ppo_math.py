"""PPO's pieces as pure functions, checked against numbers worked out by hand; config and vLLM mapping."""

from __future__ import annotations

import doctest
import inspect
import math

import pytest
import torch

from lawbench.recipes import ppo, ppo_math
from lawbench.recipes.ppo_math import gae, kl_penalty, masked_whiten, policy_loss, token_rewards, value_loss
from lawbench.recipes.ppo_rollout import trim_after_eos


def close(actual: torch.Tensor, expected) -> None:
    torch.testing.assert_close(actual, torch.tensor(expected), rtol=0, atol=1e-5)


def test_docstring_examples_run():
    failures, tried = doctest.testmod(ppo_math, optionflags=doctest.ELLIPSIS)
    assert tried >= 10 and failures == 0


def test_gae_by_hand_with_discount_and_padding():
    # gamma 0.9, lambda 0.8, three answer tokens then one pad:
    # t=2: δ = 1 - 0.3 = 0.7                  A = 0.7
    # t=1: δ = 0.9·0.3 - 0.2 = 0.07           A = 0.07 + 0.72·0.7   = 0.574
    # t=0: δ = 0.9·0.2 - 0.1 = 0.08           A = 0.08 + 0.72·0.574 = 0.49328
    rewards = torch.tensor([[0.0, 0.0, 1.0, 5.0]])  # the pad's reward and value must not leak in
    values = torch.tensor([[0.1, 0.2, 0.3, 9.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    advantages, returns = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    close(advantages, [[0.49328, 0.574, 0.7, 0.0]])
    close(returns, [[0.59328, 0.774, 1.0, 0.0]])


def test_gae_rows_are_independent():
    rewards = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    values = torch.zeros(2, 2)
    mask = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    advantages, _ = gae(rewards, values, mask, gamma=1.0, lam=1.0)
    assert advantages.tolist() == [[1.0, 1.0], [2.0, 0.0]]


def test_whitening_by_hand():
    # masked values 1, 2, 3: mean 2, unbiased variance 1
    whitened = masked_whiten(torch.tensor([[1.0, 2.0], [3.0, 50.0]]), torch.tensor([[1.0, 1.0], [1.0, 0.0]]))
    close(whitened, [[-1.0, 0.0], [1.0, 0.0]])


def test_token_rewards_put_the_score_on_each_answers_last_token():
    kl = torch.tensor([[0.2, 0.4, 0.6], [1.0, 0.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    out = token_rewards(torch.tensor([2.0, -1.0]), kl, mask, kl_coef=0.5)
    close(out, [[-0.1, -0.2, 1.7], [-1.5, 0.0, 0.0]])


def test_kl_estimators():
    logprobs, ref = torch.tensor([-1.0, -2.0, -0.5]), torch.tensor([-1.5, -1.0, -0.5])
    assert kl_penalty(logprobs, ref, "k1").tolist() == pytest.approx([0.5, -1.0, 0.0])
    k3 = kl_penalty(logprobs, ref, "k3")
    # k3 = e^{ref - logp} - 1 - (ref - logp): e^-0.5 - 0.5 = 0.10653, e^1 - 2 = 0.71828, 0
    assert k3.tolist() == pytest.approx([math.exp(-0.5) - 0.5, math.e - 2, 0.0], abs=1e-6)
    assert (k3 >= 0).all()


def test_policy_loss_clips_both_ways():
    # A = -1: ratio 0.5 would lower the loss to 0.5, clipped at 0.8 -> 0.8 (clipped);
    #         ratio 1.5 costs 1.5 unclipped, more than the clipped 1.2 -> 1.5 (not clipped).
    logprobs = torch.log(torch.tensor([[0.5, 1.5, 7.0]]))
    loss, clip_fraction, approx_kl = policy_loss(logprobs, torch.zeros(1, 3), torch.tensor([[-1.0, -1.0, 3.0]]),
                                                 torch.tensor([[1.0, 1.0, 0.0]]), cliprange=0.2)
    assert loss.item() == pytest.approx((0.8 + 1.5) / 2)
    assert clip_fraction.item() == 0.5
    assert approx_kl.item() == pytest.approx(0.5 * (math.log(0.5) ** 2 + math.log(1.5) ** 2) / 2)


def test_value_loss_takes_the_worse_of_clipped_and_unclipped():
    values = torch.tensor([[1.0, 0.1]])
    old = torch.tensor([[0.0, 0.0]])
    returns = torch.tensor([[1.0, -1.0]])
    loss, clip_fraction = value_loss(values, old, returns, torch.ones(1, 2), cliprange_value=0.2)
    # token 0: unclipped 0, clipped (0.2 - 1)² = 0.64 -> 0.64; token 1: (0.1 + 1)² = 1.21 either way
    assert loss.item() == pytest.approx(0.5 * (0.64 + 1.21) / 2)
    assert clip_fraction.item() == 0.5


def test_first_end_token_closes_an_answer():
    assert trim_after_eos([4, 2, 9], {2, 0}) == [4, 2]
    assert trim_after_eos([4, 5], {2}) == [4, 5]
    assert trim_after_eos([0, 0], {0}) == [0]


def _config(tmp_path, **overrides):
    return ppo.PPOConfig(output_dir=str(tmp_path), bf16=False, report_to="none", **overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"temperature": 0.0}, "temperature must be > 0"),
        ({"kl_estimator": "k2"}, "kl_estimator must be k1 or k3"),
        ({"reward_funcs": ["format"], "reward_weights": [1.0, 2.0]}, "2 values for 1 reward sources"),
        ({"reward_funcs": ["speed"]}, "unknown reward 'speed'"),
        ({"vllm_mode": "remote"}, "vllm_mode must be colocate or server"),
        ({"resume_from_checkpoint": "out/checkpoint-2"}, "ppo cannot resume"),
    ],
)
def test_config_rejects_bad_settings(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        _config(tmp_path, **overrides)


def test_config_reward_defaults(tmp_path):
    assert _config(tmp_path).reward_funcs == ["format", "charge", "term"]
    assert _config(tmp_path, reward_model="rm").reward_funcs == []
    config = _config(tmp_path, per_device_train_batch_size=2, gradient_accumulation_steps=3, num_mini_batches=2)
    assert config.rollout_batch_size == 12


def test_vllm_arguments_match_trls_generation_helper(tmp_path):
    from trl.generation.vllm_generation import VLLMGeneration

    config = _config(tmp_path, use_vllm=True, vllm_mode="server", vllm_server_port=8123, temperature=0.7, top_k=20,
                     max_completion_length=64)
    arguments = ppo.vllm_arguments(config)
    accepted = inspect.signature(VLLMGeneration.__init__).parameters
    assert set(arguments) <= set(accepted), set(arguments) - set(accepted)
    assert (arguments["mode"], arguments["server_port"], arguments["temperature"], arguments["top_k"],
            arguments["max_completion_length"]) == ("server", 8123, 0.7, 20, 64)


def test_vllm_missing_is_an_actionable_error(tmp_path, monkeypatch):
    import importlib.util

    from lawbench.errors import LawbenchError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    with pytest.raises(LawbenchError, match="pip install 'lawbench\\[vllm\\]'"):
        ppo.start_vllm(None, None, None, _config(tmp_path, use_vllm=True))


def test_answer_logprobs_from_kept_logits_equal_the_full_forward(tiny_model):
    """Projecting only the answer positions onto the vocabulary changes nothing but the cost."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    policy = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    prompts, prompt_mask = ppo.pad_left([[5, 6, 7, 8, 9], [11, 12, 13]], 0, "cpu")
    answers, answer_mask = ppo.pad_right([[21, 22, 23], [31]], 0, "cpu")
    ids, mask = torch.cat([prompts, answers], 1), torch.cat([prompt_mask, answer_mask], 1)
    width = prompts.shape[1]
    for model in (policy, get_peft_model(policy, LoraConfig(r=4, target_modules=["q_proj"]))):
        assert ppo.keep_kwargs(model, 4) == {"logits_to_keep": 4}
        head = ppo.PolicyWithValueHead(model)
        with torch.no_grad():
            kept = ppo.forward_answer(head, ids, mask, answers, width, 0.7)
            logits = model(input_ids=ids, attention_mask=mask, position_ids=ppo.position_ids(mask)).logits
        full_logprobs, full_entropy = ppo.token_logprobs(logits[:, width - 1: -1], answers, 0.7)
        torch.testing.assert_close(kept[0], full_logprobs)
        torch.testing.assert_close(kept[1], full_entropy)
        assert kept[2].shape == answers.shape
        with torch.no_grad():
            ref = ppo.reference_logprobs(head, policy, ids, mask, answers, width, 0.7)
        torch.testing.assert_close(ref, policy_logprobs(policy, ids, mask, answers, width))


def policy_logprobs(model, ids, mask, answers, width):
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, position_ids=ppo.position_ids(mask)).logits
    return ppo.token_logprobs(logits[:, width - 1: -1], answers, 0.7)[0]
