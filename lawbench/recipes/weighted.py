"""SFT with one weight per example: the loss is ``sum_i w_i * l_i / sum_i w_i``.

``l_i`` is example i's mean cross-entropy over its answer tokens (labels != -100) and the sums run over
the whole optimizer step — every micro-batch of the gradient accumulation and, with
``average_tokens_across_devices``, every process — so the weighting is exact however the batch is split.
Rejection-sampling SFT gives each of a case's n accepted answers the weight 1/n, so that every case
counts once whatever its acceptance count.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from trl import SFTTrainer
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

WEIGHT = "weight"


def per_example_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of each sequence over its labelled positions, shape ``(batch,)``."""
    targets = labels[:, 1:]
    token_loss = F.cross_entropy(logits[:, :-1].transpose(1, 2).float(), targets, ignore_index=-100, reduction="none")
    mask = (targets != -100).to(token_loss.dtype)
    return (token_loss * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)


def weighted_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor,
                  total_weight: torch.Tensor | float | None = None) -> torch.Tensor:
    """``sum(w_i * l_i) / total_weight`` (``total_weight`` defaults to this batch's ``sum(w_i)``)."""
    losses = per_example_loss(logits, labels)
    denominator = weights.sum() if total_weight is None else torch.as_tensor(total_weight, device=losses.device)
    return (weights.to(losses.dtype) * losses).sum() / denominator.clamp(min=1e-12)


class WeightedCollator:
    """TRL's padding collator plus a ``weight`` tensor."""

    def __init__(self, pad_token_id: int):
        self.base = DataCollatorForLanguageModeling(pad_token_id=pad_token_id)

    def __call__(self, examples: list[dict]) -> dict:
        weights = torch.tensor([float(example[WEIGHT]) for example in examples])
        batch = self.base([{k: v for k, v in example.items() if k != WEIGHT} for example in examples])
        batch[WEIGHT] = weights
        return batch


class WeightedSFTTrainer(SFTTrainer):
    """``SFTTrainer`` whose loss is the weighted mean above (no packing: examples keep their weights)."""

    def __init__(self, *args, processing_class=None, **kwargs):
        kwargs.setdefault("data_collator", WeightedCollator(processing_class.pad_token_id))
        super().__init__(*args, processing_class=processing_class, **kwargs)
        # The loss below is already normalised over the whole accumulated batch.
        self.loss_is_scaled_for_ga = True

    def _set_signature_columns_if_needed(self):
        super()._set_signature_columns_if_needed()
        if WEIGHT not in self._signature_columns:
            self._signature_columns = [*self._signature_columns, WEIGHT]

    def _get_num_items_in_batch(self, batch_samples: list, device: torch.device):
        # transformers calls this once per optimizer step with all micro-batches: return their total weight.
        total = sum(batch[WEIGHT].sum() for batch in batch_samples).to(device)
        if self.args.average_tokens_across_devices and self.args.world_size > 1:
            total = self.accelerator.gather(total).sum()
        return total

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        weights = inputs.pop(WEIGHT)
        labels = inputs.pop("labels")
        outputs = model(**inputs, use_cache=False)
        loss = weighted_loss(outputs.logits, labels, weights, num_items_in_batch)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * self.accelerator.num_processes  # DDP averages gradients; the sum of weights spans ranks
        return (loss, outputs) if return_outputs else loss
