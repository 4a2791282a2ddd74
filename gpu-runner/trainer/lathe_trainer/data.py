"""Turns .ltok examples into training rows and padded micro-batches.

A row is one example, or with packing several whole examples laid end to end; a row never exceeds
the sequence length (longer examples are truncated first). Every row is fed as inputs tokens[:-1]
with labels tokens[1:], so the label mask is mask[1:], and in a packed row the first token of each
example is never a target (its context would belong to another example).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np
import torch

from .errors import TrainerError
from .ltok import LtokDataset


@dataclass
class PreparedData:
    dataset: LtokDataset
    lengths: np.ndarray  # tokens per example after truncation
    targets: np.ndarray  # trainable tokens per example (mask[1:] after truncation)
    truncated: int
    rows: List[List[int]]  # example indices per row
    row_tokens: np.ndarray
    row_targets: np.ndarray


def prepare(dataset: LtokDataset, sequence_length: int, packing: bool, seed: int, name: str) -> PreparedData:
    count = len(dataset)
    if count == 0:
        raise TrainerError("empty_dataset", f"the {name} dataset has no examples")
    lengths = np.minimum(dataset.lengths, sequence_length)
    truncated = int((dataset.lengths > sequence_length).sum())
    targets = np.zeros(count, dtype=np.int64)
    for i in range(count):
        _ids, mask = dataset.example(i)
        targets[i] = int(mask[1 : lengths[i]].sum())
    if name == "training" and int(targets.sum()) == 0:
        raise TrainerError(
            "empty_dataset",
            "the training dataset has no trainable tokens (every loss-mask value is 0 after truncation)",
        )
    if packing:
        order = np.random.default_rng([seed, 7919]).permutation(count)
        rows: List[List[int]] = []
        current: List[int] = []
        used = 0
        for i in order.tolist():
            if current and used + lengths[i] > sequence_length:
                rows.append(current)
                current, used = [], 0
            current.append(i)
            used += int(lengths[i])
        if current:
            rows.append(current)
    else:
        rows = [[i] for i in range(count)]
    row_tokens = np.array([int(lengths[r].sum()) for r in rows], dtype=np.int64)
    row_targets = np.array([int(targets[r].sum()) for r in rows], dtype=np.int64)
    return PreparedData(dataset, lengths, targets, truncated, rows, row_tokens, row_targets)


@dataclass
class MicroBatch:
    input_ids: torch.Tensor
    labels: torch.Tensor
    label_mask: torch.Tensor
    position_ids: Optional[torch.Tensor]
    segment_ids: Optional[torch.Tensor]
    tokens: int
    targets: int


def make_batch(data: PreparedData, rows: Sequence[int], packing: bool, device: torch.device) -> MicroBatch:
    width = int(max(data.row_tokens[r] for r in rows))
    n = len(rows)
    ids = np.zeros((n, width), dtype=np.int64)
    mask = np.zeros((n, width), dtype=bool)
    positions = np.zeros((n, width), dtype=np.int64)
    segments = np.full((n, width), -1, dtype=np.int64)
    for b, row in enumerate(rows):
        at = 0
        for segment, example in enumerate(data.rows[row]):
            length = int(data.lengths[example])
            tokens, loss_mask = data.dataset.example(example)
            ids[b, at : at + length] = tokens[:length]
            mask[b, at + 1 : at + length] = loss_mask[1:length]
            positions[b, at : at + length] = np.arange(length)
            segments[b, at : at + length] = segment
            at += length
    as_tensor = lambda a: torch.from_numpy(a).to(device)
    return MicroBatch(
        input_ids=as_tensor(ids[:, :-1]),
        labels=as_tensor(ids[:, 1:]),
        label_mask=as_tensor(mask[:, 1:]),
        position_ids=as_tensor(positions[:, :-1]) if packing else None,
        segment_ids=as_tensor(segments[:, :-1]) if packing else None,
        tokens=int(sum(data.row_tokens[r] for r in rows)),
        targets=int(mask.sum()),
    )


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """Row order of an epoch: a function of (seed, epoch) only, so a resumed run sees the same order."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def split_evenly(items: Sequence[int], parts: int) -> List[List[int]]:
    items = list(items)
    size, extra = divmod(len(items), parts)
    out, at = [], 0
    for k in range(parts):
        take = size + (1 if k < extra else 0)
        out.append(items[at : at + take])
        at += take
    return out
