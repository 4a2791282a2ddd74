"""The Hugging Face config.json of a Llama-family decoder, read into one typed shape."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from .errors import TrainerError

# Architecture name in config.json -> the attention projections that carry a bias by default.
SUPPORTED_ARCHITECTURES = {
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "mistral",
    "Qwen2ForCausalLM": "qwen2",
}
SUPPORTED_ROPE_SCALING = ("default", "linear", "llama3")


@dataclass
class ModelConfig:
    architecture: str
    family: str
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    max_position_embeddings: int
    rms_norm_eps: float
    rope_theta: float
    rope_scaling: Optional[Dict[str, Any]]
    tie_word_embeddings: bool
    qkv_bias: bool
    o_bias: bool
    mlp_bias: bool
    sliding_window: Optional[int]
    torch_dtype: Optional[str]
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)


def _require(raw: Dict[str, Any], key: str, kind=int) -> Any:
    value = raw.get(key)
    if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise TrainerError("invalid_model_config", f"config.json: {key} must be a positive integer, got {value!r}")
    if kind is float and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
        raise TrainerError("invalid_model_config", f"config.json: {key} must be a positive number, got {value!r}")
    return value


def parse_model_config(raw: Dict[str, Any]) -> ModelConfig:
    architectures = raw.get("architectures") or []
    if not isinstance(architectures, list) or not architectures:
        raise TrainerError(
            "unsupported_architecture",
            "config.json names no architecture; supported: " + ", ".join(SUPPORTED_ARCHITECTURES),
        )
    architecture = architectures[0]
    family = SUPPORTED_ARCHITECTURES.get(architecture)
    if family is None:
        raise TrainerError(
            "unsupported_architecture",
            f"architecture {architecture!r} is not supported; supported: " + ", ".join(SUPPORTED_ARCHITECTURES),
        )
    hidden = _require(raw, "hidden_size")
    heads = _require(raw, "num_attention_heads")
    kv_heads = raw.get("num_key_value_heads") or heads
    if not isinstance(kv_heads, int) or kv_heads <= 0 or heads % kv_heads:
        raise TrainerError(
            "invalid_model_config",
            f"config.json: num_key_value_heads {kv_heads!r} must divide num_attention_heads {heads}",
        )
    head_dim = raw.get("head_dim") or hidden // heads
    if not isinstance(head_dim, int) or head_dim <= 0 or head_dim % 2:
        raise TrainerError("invalid_model_config", f"config.json: head_dim {head_dim!r} must be a positive even integer")
    if raw.get("head_dim") is None and hidden % heads:
        raise TrainerError(
            "invalid_model_config", f"config.json: hidden_size {hidden} is not divisible by num_attention_heads {heads}"
        )
    act = raw.get("hidden_act", "silu")
    if act not in ("silu", "swish"):
        raise TrainerError("invalid_model_config", f"config.json: hidden_act {act!r} is not supported (only silu)")
    rope_scaling = raw.get("rope_scaling")
    if rope_scaling is not None:
        kind = rope_scaling.get("rope_type", rope_scaling.get("type"))
        if kind not in SUPPORTED_ROPE_SCALING:
            raise TrainerError(
                "invalid_model_config",
                f"config.json: rope_scaling type {kind!r} is not supported; supported: "
                + ", ".join(SUPPORTED_ROPE_SCALING),
            )
        if kind == "default":
            rope_scaling = None
    attention_bias = bool(raw.get("attention_bias", False))
    sliding_window = raw.get("sliding_window")
    if family == "qwen2" and not raw.get("use_sliding_window", False):
        sliding_window = None
    return ModelConfig(
        architecture=architecture,
        family=family,
        vocab_size=_require(raw, "vocab_size"),
        hidden_size=hidden,
        intermediate_size=_require(raw, "intermediate_size"),
        num_hidden_layers=_require(raw, "num_hidden_layers"),
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        head_dim=head_dim,
        max_position_embeddings=_require(raw, "max_position_embeddings"),
        rms_norm_eps=float(raw.get("rms_norm_eps", 1e-6)),
        rope_theta=float(raw.get("rope_theta", 10000.0)),
        rope_scaling=rope_scaling,
        tie_word_embeddings=bool(raw.get("tie_word_embeddings", False)),
        qkv_bias=family == "qwen2" or attention_bias,
        o_bias=attention_bias and family != "qwen2",
        mlp_bias=bool(raw.get("mlp_bias", False)),
        sliding_window=sliding_window if isinstance(sliding_window, int) and sliding_window > 0 else None,
        torch_dtype=raw.get("torch_dtype"),
        raw=raw,
    )


def load_model_config(model_dir: str) -> ModelConfig:
    path = os.path.join(model_dir, "config.json")
    if not os.path.isdir(model_dir):
        raise TrainerError("model_not_found", f"model folder not found: {model_dir}")
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise TrainerError("model_not_found", f"config.json not found in {model_dir}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrainerError("invalid_model_config", f"config.json is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise TrainerError("invalid_model_config", "config.json is not a JSON object")
    return parse_model_config(raw)
