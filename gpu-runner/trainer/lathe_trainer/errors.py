"""Errors the trainer reports to the platform with a stable code."""
from __future__ import annotations


class TrainerError(Exception):
    """A failure the platform shows to the user: `code` is stable, `message` is readable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


# Every code the trainer can emit in an `error` event; the README documents each one.
ERROR_CODES = (
    "invalid_arguments",
    "invalid_config",
    "model_not_found",
    "unsupported_architecture",
    "invalid_model_config",
    "corrupt_weights",
    "missing_weights",
    "weight_shape_mismatch",
    "dataset_not_found",
    "dataset_invalid",
    "empty_dataset",
    "token_out_of_range",
    "sequence_length_exceeds_context",
    "adapter_invalid",
    "checkpoint_invalid",
    "nan_loss",
    "disk_full",
    "out_of_memory",
    "distributed_error",
    "internal_error",
)
