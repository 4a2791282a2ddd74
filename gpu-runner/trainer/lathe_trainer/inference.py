"""Logits and greedy generation with the trainer's own model code, optionally with an adapter: the
reference the GGUF export and the learning check compare against."""
from __future__ import annotations

from typing import List, Optional, Sequence

import torch

from .errors import TrainerError
from .lora import load_adapter
from .model import CausalLM, load_model


def load_for_inference(model_dir: str, adapter_dir: Optional[str] = None) -> CausalLM:
    model = load_model(model_dir, dtype=torch.float32)
    if adapter_dir:
        load_adapter(model, adapter_dir)
    model.eval()
    return model


def _check_tokens(model: CausalLM, tokens: Sequence[int]) -> None:
    vocab = model.config.vocab_size
    bad = [t for t in tokens if not 0 <= t < vocab]
    if bad:
        raise TrainerError("token_out_of_range", f"token ids {bad[:5]} are outside the vocabulary of {vocab}")


@torch.no_grad()
def compute_logits(model: CausalLM, tokens: Sequence[int]) -> torch.Tensor:
    """float32 logits [len(tokens), vocab] for every position."""
    _check_tokens(model, tokens)
    ids = torch.tensor([list(tokens)], dtype=torch.long)
    return model(ids)[0].float()


@torch.no_grad()
def generate_greedy(
    model: CausalLM, prompt: Sequence[int], max_new_tokens: int, stop_tokens: Sequence[int] = ()
) -> List[int]:
    """Greedy continuation of `prompt`; stops after a token in `stop_tokens` (which is included)."""
    _check_tokens(model, prompt)
    tokens = list(prompt)
    out: List[int] = []
    limit = model.config.max_position_embeddings
    for _ in range(max_new_tokens):
        if len(tokens) >= limit:
            break
        logits = model(torch.tensor([tokens[-limit:]], dtype=torch.long))[0, -1]
        token = int(logits.argmax())
        out.append(token)
        tokens.append(token)
        if token in stop_tokens:
            break
    return out
