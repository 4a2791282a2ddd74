"""Process-level settings shared by the trainer's entry points."""
from __future__ import annotations

import os

import torch


def configure_threads(threads: int | None = None) -> int:
    """torch defaults to one thread in some environments; use the CPUs this process may run on."""
    if threads is None or threads <= 0:
        env = os.environ.get("LATHE_THREADS") or os.environ.get("OMP_NUM_THREADS")
        threads = int(env) if env and env.isdigit() and int(env) > 0 else len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    return threads


def parse_token_list(text: str) -> list:
    try:
        tokens = [int(t) for t in text.split(",") if t.strip() != ""]
    except ValueError:
        raise ValueError(f"token list must be comma-separated integers, got {text!r}") from None
    if not tokens:
        raise ValueError("token list is empty")
    return tokens
