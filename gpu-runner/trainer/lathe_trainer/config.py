"""The job config JSON: every field, its default and its bounds (the README documents the same)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional

from .errors import TrainerError
from .lora import LoRASpec, normalize_targets

SCHEDULERS = ("cosine", "linear", "constant")
METHODS = ("supervised", "dpo")
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class LoRAConfig:
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    target_modules: tuple = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    use_rslora: bool = False
    # LoRA+ (Hayou et al., 2024): A learns at learning_rate / lr_ratio, B at learning_rate. 1 is plain LoRA.
    lr_ratio: float = 16.0

    def spec(self) -> LoRASpec:
        return LoRASpec(self.rank, self.alpha, self.dropout, self.target_modules, self.use_rslora)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 3
    batch_size: int = 8
    gradient_accumulation_steps: int = 1
    learning_rate: float = 2e-4
    warmup_steps: int = 0
    warmup_ratio: float = 0.0
    scheduler: str = "cosine"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    sequence_length: Optional[int] = None
    packing: bool = False
    seed: int = 42
    eval_interval: int = 0
    eval_samples: int = 256
    checkpoint_interval: int = 0
    checkpoints_to_keep: int = 3
    log_interval: int = 1
    max_steps: Optional[int] = None
    gradient_checkpointing: bool = False
    precision: str = "auto"
    threads: Optional[int] = None
    base_model_name: Optional[str] = None
    method: str = "supervised"
    dpo_beta: float = 0.1
    dpo_nll_weight: float = 0.0
    lora: LoRAConfig = field(default_factory=LoRAConfig)
    # Early stopping and the best checkpoint (early_stopping.py).
    early_stopping_patience: Optional[int] = None
    early_stopping_min_delta: float = 0.0
    final_adapter: str = "auto"

    def fingerprint(self) -> str:
        """Hash of the fields that decide the optimisation trajectory: a checkpoint only resumes a
        run whose fingerprint matches."""
        excluded = ("threads", "log_interval", "checkpoints_to_keep", "checkpoint_interval", "eval_interval", "eval_samples", "base_model_name", "precision", "gradient_checkpointing", "early_stopping_patience", "early_stopping_min_delta", "final_adapter")
        unused = () if self.method == "dpo" else ("method", "dpo_beta", "dpo_nll_weight")
        relevant = {k: v for k, v in asdict(self).items() if k not in excluded and k not in unused}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=list).encode()).hexdigest()[:16]


_INT_FIELDS = {
    "epochs": 1,
    "batch_size": 1,
    "gradient_accumulation_steps": 1,
    "warmup_steps": 0,
    "eval_interval": 0,
    "eval_samples": 1,
    "checkpoint_interval": 0,
    "checkpoints_to_keep": 1,
    "log_interval": 1,
    "seed": None,
}
_OPTIONAL_INT_FIELDS = {"sequence_length": 2, "max_steps": 1, "threads": 1, "early_stopping_patience": 1}
_FLOAT_FIELDS = {"learning_rate": (0.0, False), "weight_decay": (0.0, True), "max_grad_norm": (0.0, True), "early_stopping_min_delta": (0.0, True)}
FINAL_ADAPTERS = ("auto", "last", "best")


def _bad(key: str, expected: str, value: Any) -> TrainerError:
    return TrainerError("invalid_config", f"{key} must be {expected}, got {json.dumps(value)}")


def _int(key: str, value: Any, minimum: Optional[int]) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(key, "an integer", value)
    if minimum is not None and value < minimum:
        raise _bad(key, f"an integer >= {minimum}", value)
    return value


def _number(key: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value or value in (float("inf"), float("-inf")):
        raise _bad(key, "a finite number", value)
    return float(value)


def _parse_lora(raw: Any) -> LoRAConfig:
    if not isinstance(raw, dict):
        raise _bad("lora", "an object", raw)
    known = {"r", "rank", "alpha", "lora_alpha", "dropout", "lora_dropout", "target_modules", "use_rslora", "lr_ratio"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise TrainerError("invalid_config", f"unknown lora field(s): {', '.join(unknown)}")
    defaults = LoRAConfig()
    rank = _int("lora.rank", raw.get("rank", raw.get("r", defaults.rank)), 1)
    alpha = _number("lora.alpha", raw.get("alpha", raw.get("lora_alpha", defaults.alpha)))
    if alpha <= 0:
        raise _bad("lora.alpha", "> 0", alpha)
    dropout = _number("lora.dropout", raw.get("dropout", raw.get("lora_dropout", defaults.dropout)))
    if not 0 <= dropout < 1:
        raise _bad("lora.dropout", "in [0, 1)", dropout)
    targets = raw.get("target_modules", list(defaults.target_modules))
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise _bad("lora.target_modules", "a list of names", targets)
    use_rslora = raw.get("use_rslora", False)
    if not isinstance(use_rslora, bool):
        raise _bad("lora.use_rslora", "true or false", use_rslora)
    lr_ratio = _number("lora.lr_ratio", raw.get("lr_ratio", defaults.lr_ratio))
    if not 1 <= lr_ratio <= 1024:
        raise _bad("lora.lr_ratio", "in [1, 1024]", lr_ratio)
    return LoRAConfig(rank, alpha, dropout, normalize_targets(targets), use_rslora, lr_ratio)


def parse_train_config(raw: Any) -> TrainConfig:
    if not isinstance(raw, dict):
        raise TrainerError("invalid_config", "the job config must be a JSON object")
    known = set(TrainConfig.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise TrainerError("invalid_config", f"unknown config field(s): {', '.join(unknown)}")
    values: Dict[str, Any] = {}
    for key, minimum in _INT_FIELDS.items():
        if key in raw:
            values[key] = _int(key, raw[key], minimum)
    for key, minimum in _OPTIONAL_INT_FIELDS.items():
        if raw.get(key) is not None:
            values[key] = _int(key, raw[key], minimum)
    for key, (minimum, inclusive) in _FLOAT_FIELDS.items():
        if key in raw:
            value = _number(key, raw[key])
            if value < minimum or (value == minimum and not inclusive):
                raise _bad(key, f"{'>=' if inclusive else '>'} {minimum}", raw[key])
            values[key] = value
    if "warmup_ratio" in raw:
        ratio = _number("warmup_ratio", raw["warmup_ratio"])
        if not 0 <= ratio < 1:
            raise _bad("warmup_ratio", "in [0, 1)", raw["warmup_ratio"])
        values["warmup_ratio"] = ratio
    for key in ("packing", "gradient_checkpointing"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise _bad(key, "true or false", raw[key])
            values[key] = raw[key]
    if "scheduler" in raw:
        if raw["scheduler"] not in SCHEDULERS:
            raise _bad("scheduler", "one of " + ", ".join(SCHEDULERS), raw["scheduler"])
        values["scheduler"] = raw["scheduler"]
    if "precision" in raw:
        if raw["precision"] not in PRECISIONS:
            raise _bad("precision", "one of " + ", ".join(PRECISIONS), raw["precision"])
        values["precision"] = raw["precision"]
    if raw.get("base_model_name") is not None:
        if not isinstance(raw["base_model_name"], str):
            raise _bad("base_model_name", "a string", raw["base_model_name"])
        values["base_model_name"] = raw["base_model_name"]
    if "lora" in raw:
        values["lora"] = _parse_lora(raw["lora"])
    if "final_adapter" in raw:
        if raw["final_adapter"] not in FINAL_ADAPTERS:
            raise _bad("final_adapter", "one of " + ", ".join(FINAL_ADAPTERS), raw["final_adapter"])
        values["final_adapter"] = raw["final_adapter"]
    # Preference tuning (dpo.py): the training data then holds chosen/rejected pairs.
    if "method" in raw:
        if raw["method"] not in METHODS:
            raise _bad("method", "one of " + ", ".join(METHODS), raw["method"])
        values["method"] = raw["method"]
    if "dpo_beta" in raw:
        beta = _number("dpo_beta", raw["dpo_beta"])
        if not 0 < beta <= 10:
            raise _bad("dpo_beta", "in (0, 10]", raw["dpo_beta"])
        values["dpo_beta"] = beta
    if "dpo_nll_weight" in raw:
        weight = _number("dpo_nll_weight", raw["dpo_nll_weight"])
        if weight < 0:
            raise _bad("dpo_nll_weight", ">= 0", raw["dpo_nll_weight"])
        values["dpo_nll_weight"] = weight
    config = TrainConfig(**values)
    if config.method == "dpo" and config.packing:
        raise TrainerError("invalid_config", "packing does not apply to dpo: each pair is compared whole")
    if config.batch_size < config.gradient_accumulation_steps:
        raise TrainerError(
            "invalid_config",
            f"batch_size ({config.batch_size}) must be at least gradient_accumulation_steps ({config.gradient_accumulation_steps})",
        )
    return config


def load_train_config(path: str) -> TrainConfig:
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise TrainerError("invalid_config", f"config file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrainerError("invalid_config", f"config file is not valid JSON: {exc}") from None
    return parse_train_config(raw)
