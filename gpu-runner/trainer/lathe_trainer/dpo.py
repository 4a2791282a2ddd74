"""Direct preference optimisation (DPO, Rafailov et al. 2023) over LoRA.

A preference `.ltok` holds pairs as consecutive records: the chosen conversation, then the rejected
one (same input, other output), each masked on its own output. The loss of a pair is

    -log sigmoid(beta * ((log pi(chosen) - log ref(chosen)) - (log pi(rejected) - log ref(rejected))))

where log pi is the summed log-probability of the masked tokens under the policy (base + LoRA) and
log ref the same under the reference. The reference is the base model itself with the adapter
switched off, so the weights are held once; its forward passes run without gradients.

Rewards reported are beta * (log pi - log ref) of each side; the margin is chosen minus rejected, and
preference accuracy is the share of pairs whose chosen reward is above the rejected one.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Dict, Iterator, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import lora as lora_lib
from .data import PreparedData, make_batch, split_evenly
from .errors import TrainerError
from .model import CausalLM, LoRALinear

# Positions whose vocabulary logits are materialised at once (bounds memory on large vocabularies).
_LOGIT_CHUNK_ELEMENTS = 1 << 26


@dataclass
class PairedData(PreparedData):
    """Rows are pairs; `source` keeps one row per record, from which micro-batches are cut."""

    source: PreparedData


def paired(data: PreparedData, name: str) -> PairedData:
    """A view whose rows are the pairs (2i, 2i+1): steps, epochs and data order then count pairs."""
    count = len(data.rows)
    if count % 2 != 0:
        raise TrainerError(
            "dataset_invalid",
            f"the {name} dataset has {count} records; preference data holds chosen/rejected pairs, an even number",
        )
    rows = [[2 * i, 2 * i + 1] for i in range(count // 2)]
    for pair, (chosen, rejected) in enumerate(rows):
        if data.targets[chosen] == 0 or data.targets[rejected] == 0:
            raise TrainerError(
                "empty_dataset",
                f"pair {pair + 1} of the {name} dataset has a side with no trainable token after truncation",
            )
    row_tokens = np.array([int(data.lengths[r].sum()) for r in rows], dtype=np.int64)
    row_targets = np.array([int(data.targets[r].sum()) for r in rows], dtype=np.int64)
    return PairedData(data.dataset, data.lengths, data.targets, data.truncated, rows, row_tokens, row_targets, data)


@contextlib.contextmanager
def adapter_disabled(model: CausalLM) -> Iterator[None]:
    """The reference model: every LoRA update removed for the duration, nothing copied."""
    held = []
    for _name, module in model.lora_modules():
        held.append((module, module._parameters["lora_A"]))
        module._parameters["lora_A"] = None
    try:
        yield
    finally:
        for module, lora_a in held:
            module._parameters["lora_A"] = lora_a


def sequence_logprobs(model: CausalLM, hidden: torch.Tensor, labels: torch.Tensor, label_mask: torch.Tensor) -> torch.Tensor:
    """Summed log-probability of the masked labels of each row, in float32: [rows]."""
    rows = hidden.shape[0]
    flat_hidden = hidden.reshape(-1, hidden.shape[-1])
    index = label_mask.reshape(-1).nonzero().squeeze(-1)
    owner = torch.div(index, label_mask.shape[1], rounding_mode="floor")
    selected = flat_hidden.index_select(0, index)
    targets = labels.reshape(-1).index_select(0, index)
    chunk = max(1, _LOGIT_CHUNK_ELEMENTS // model.config.vocab_size)
    parts = []
    for start in range(0, selected.shape[0], chunk):
        logits = model.logits(selected[start : start + chunk]).float()
        parts.append(-F.cross_entropy(logits, targets[start : start + chunk], reduction="none"))
    token_logprobs = torch.cat(parts) if parts else selected.new_zeros(0, dtype=torch.float32)
    out = torch.zeros(rows, dtype=torch.float32, device=hidden.device)
    return out.index_add(0, owner, token_logprobs)


def pair_terms(trainer, data: PairedData, pairs: Sequence[int], with_grad: bool) -> Dict[str, torch.Tensor]:
    """Policy and reference log-ratios of `pairs` (pair indices of the paired view)."""
    rows: List[int] = [r for p in pairs for r in data.rows[p]]
    batch = make_batch(data.source, rows, False, trainer.dist.device)
    model = trainer.model
    with torch.no_grad(), adapter_disabled(model), trainer._autocast():
        reference = sequence_logprobs(model, model.hidden_states(batch.input_ids), batch.labels, batch.label_mask)
    with torch.set_grad_enabled(with_grad), trainer._autocast():
        policy = sequence_logprobs(model, model.hidden_states(batch.input_ids), batch.labels, batch.label_mask)
    ratio = policy - reference
    targets_per_row = batch.label_mask.sum(dim=1).float()
    return {
        "chosen": ratio[0::2],
        "rejected": ratio[1::2],
        # Per-token negative log-likelihood of each chosen output under the policy (the NLL term).
        "chosen_nll": -policy[0::2] / targets_per_row[0::2].clamp(min=1.0),
        "tokens": torch.tensor(float(batch.tokens)),
        "targets": torch.tensor(float(batch.targets)),
    }


def _metrics(beta: float, terms: Dict[str, torch.Tensor], nll_weight: float = 0.0):
    logits = beta * (terms["chosen"] - terms["rejected"])
    losses = -F.logsigmoid(logits)
    if nll_weight > 0:
        losses = losses + nll_weight * terms["chosen_nll"]
    chosen_rewards = beta * terms["chosen"].detach()
    rejected_rewards = beta * terms["rejected"].detach()
    return losses, chosen_rewards, rejected_rewards


def train_step(trainer, step: int):
    """One optimizer step over the pairs of global batch `step`: the same contract as
    `Trainer.train_step`, with the DPO metrics added. None when cancelled part-way."""
    config = trainer.config
    beta = config.dpo_beta
    epoch, index = divmod(step, trainer.steps_per_epoch)
    order = trainer._order(epoch)
    global_pairs = order[index * config.batch_size : (index + 1) * config.batch_size].tolist()
    normalizer = float(len(global_pairs))
    mine = global_pairs[trainer.dist.rank :: trainer.dist.world]
    micro = [chunk for chunk in split_evenly(mine, config.gradient_accumulation_steps) if chunk]
    torch.manual_seed(config.seed * 1_000_003 + step * 101 + trainer.dist.rank)
    sums = {"loss": 0.0, "chosen": 0.0, "rejected": 0.0, "correct": 0.0, "tokens": 0.0, "targets": 0.0}
    for chunk in micro:
        if trainer.cancel.requested and not trainer.dist.enabled:
            trainer.optimizer.zero_grad(set_to_none=True)
            return None
        terms = pair_terms(trainer, trainer.train, chunk, with_grad=True)
        losses, chosen, rejected = _metrics(beta, terms, config.dpo_nll_weight)
        (losses.sum() / normalizer).backward()
        sums["loss"] += float(losses.detach().sum())
        sums["chosen"] += float(chosen.sum())
        sums["rejected"] += float(rejected.sum())
        sums["correct"] += float((chosen > rejected).sum())
        sums["tokens"] += float(terms["tokens"])
        sums["targets"] += float(terms["targets"])
    trainer.dist.sum_gradients(trainer.params)
    keys = list(sums)
    totals = trainer.dist.sum([sums[k] for k in keys] + [1.0 if trainer.cancel.requested else 0.0])
    if totals[-1] > 0:
        trainer.cancel.requested = True
    sums = dict(zip(keys, totals[:-1]))
    train_loss = sums["loss"] / normalizer
    lr, grad_norm = _optimizer_step(trainer, step, train_loss)
    chosen_mean = sums["chosen"] / normalizer
    rejected_mean = sums["rejected"] / normalizer
    return {
        "loss": train_loss,
        "lr": lr,
        "grad_norm": grad_norm,
        "accuracy": sums["correct"] / normalizer,
        "tokens": sums["tokens"],
        "targets": sums["targets"],
        "dpo": {
            "rewards_chosen": chosen_mean,
            "rewards_rejected": rejected_mean,
            "reward_margin": chosen_mean - rejected_mean,
            "preference_accuracy": sums["correct"] / normalizer,
        },
    }


def _optimizer_step(trainer, step: int, train_loss: float):
    """NaN guard, clipping, the scheduled learning rate and the AdamW step, as supervised steps do."""
    from .train import learning_rate_at

    config = trainer.config
    lr = learning_rate_at(config, step, trainer.total_steps, trainer.warmup)
    if not math.isfinite(train_loss):
        raise TrainerError("nan_loss", f"the DPO loss became {train_loss} at step {step + 1}; lower the learning rate (now {lr:.3g}) or beta")
    params = trainer.params
    if config.max_grad_norm > 0:
        grad_norm = float(torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm))
    else:
        grad_norm = float(torch.sqrt(sum((p.grad.float() ** 2).sum() for p in params if p.grad is not None)))
    if not math.isfinite(grad_norm):
        raise TrainerError("nan_loss", f"the gradient norm became {grad_norm} at step {step + 1}; lower the learning rate")
    lora_lib.set_learning_rate(trainer.optimizer, lr)
    trainer.optimizer.step()
    trainer.optimizer.zero_grad(set_to_none=True)
    return lr, grad_norm


@torch.no_grad()
def evaluate(trainer, pairs: List[int]) -> Dict[str, float]:
    """Mean DPO loss and preference accuracy of validation pairs (in `loss` and `accuracy`)."""
    trainer.model.eval()
    beta = trainer.config.dpo_beta
    mine = pairs[trainer.dist.rank :: trainer.dist.world]
    size = max(1, trainer._micro_size())
    loss_sum, correct, count, targets = 0.0, 0.0, 0.0, 0.0
    for at in range(0, len(mine), size):
        if trainer.cancel.requested and not trainer.dist.enabled:
            break
        terms = pair_terms(trainer, trainer.valid, mine[at : at + size], with_grad=False)
        losses, chosen, rejected = _metrics(beta, terms)
        loss_sum += float(losses.sum())
        correct += float((chosen > rejected).sum())
        count += float(losses.numel())
        targets += float(terms["targets"])
    loss_sum, correct, count, targets = trainer.dist.sum([loss_sum, correct, count, targets])
    trainer.model.train()
    return {"loss": loss_sum / max(count, 1.0), "accuracy": correct / max(count, 1.0), "tokens": targets}
