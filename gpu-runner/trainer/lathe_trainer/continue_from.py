"""Continuing from a fine-tuned model: its LoRA adapter, not a fresh one, is the starting point.

The adapter decides the LoRA shape (rank, alpha, targets), since its weights must fit; the job's own
dropout applies. Only the weights carry over: the optimizer starts fresh, as a new job should.
"""
from __future__ import annotations

import dataclasses
from typing import List, Tuple

import torch

from . import lora as lora_lib
from .errors import TrainerError
from .model import CausalLM


def start_from_adapter(model: CausalLM, adapter_dir: str, dropout: float) -> Tuple[lora_lib.LoRASpec, List[torch.nn.Parameter]]:
    """Attaches the adapter in `adapter_dir` as the trainable LoRA of `model`; returns its spec and
    the parameters in the same order apply_lora gives them."""
    try:
        spec = lora_lib.load_adapter(model, adapter_dir)
    except TrainerError as exc:
        raise TrainerError("init_adapter_invalid", f"the adapter to continue from cannot be used: {exc.message}") from None
    spec = dataclasses.replace(spec, dropout=dropout)
    params: List[torch.nn.Parameter] = []
    for _name, module in model.lora_modules():
        module.lora_dropout = dropout
        params.extend([module.lora_A, module.lora_B])
    for p in params:
        p.requires_grad_(True)
    return spec, params
