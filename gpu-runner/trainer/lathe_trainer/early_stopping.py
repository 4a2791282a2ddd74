"""The best checkpoint by validation loss, and early stopping with patience on it.

Every evaluation that counts (see `counts`) is compared with the best so far: a loss lower than the
best by more than `min_delta` is an improvement, and the trainer keeps a checkpoint of that step
(pruning never removes it). With a patience of N, N evaluations in a row without improvement end
the run. The state travels in the checkpoint's trainer_state.json so a resumed run keeps it.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional

SELECTIONS = ("last", "best")


class BestTracker:
    def __init__(self, patience: Optional[int], min_delta: float):
        self.patience = patience
        self.min_delta = min_delta
        self.best_step: Optional[int] = None
        self.best_loss: Optional[float] = None
        self.bad_evals = 0
        self.stopped_at: Optional[int] = None

    def observe(self, step: int, loss: Optional[float]) -> bool:
        """Records the validation loss of `step`; True when it is the best so far."""
        if loss is None or not math.isfinite(loss):
            self.bad_evals += 1
            return False
        if self.best_loss is None or loss < self.best_loss - self.min_delta:
            self.best_loss = loss
            self.best_step = step
            self.bad_evals = 0
            return True
        self.bad_evals += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.bad_evals >= self.patience

    def state(self) -> Dict[str, Any]:
        return {"best_step": self.best_step, "best_loss": self.best_loss, "bad_evals": self.bad_evals}

    def restore(self, state: Optional[Dict[str, Any]]) -> None:
        if not state:
            return
        self.best_step = state.get("best_step")
        self.best_loss = state.get("best_loss")
        self.bad_evals = int(state.get("bad_evals") or 0)


def counts(full: bool, sample_rows: int, all_rows: int) -> bool:
    """Whether an evaluation takes part: full ones always; sampled ones only when the sample is the
    whole validation set, so every compared loss is measured on the same rows."""
    return full or sample_rows >= all_rows


def selection(config_value: str, patience: Optional[int]) -> str:
    """Which adapter becomes the fine-tuned model: as asked; by default the best one when early
    stopping is on, else the last."""
    if config_value in SELECTIONS:
        return config_value
    return "best" if patience is not None else "last"
