"""LoRA adapters on the decoder, saved and loaded in PEFT's layout (adapter_model.safetensors with
`base_model.model.<module>.lora_A.weight` names, adapter_config.json)."""
from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch

from .errors import TrainerError
from .model import LINEAR_MODULES, CausalLM, LoRALinear
from .safetensors import SafetensorsFile, save_file

# Short names accepted in job configs, mapped to the module names PEFT and checkpoints use.
TARGET_ALIASES = {
    "q": "q_proj",
    "k": "k_proj",
    "v": "v_proj",
    "o": "o_proj",
    "gate": "gate_proj",
    "up": "up_proj",
    "down": "down_proj",
}
ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
_PEFT_PREFIX = "base_model.model."


@dataclass(frozen=True)
class LoRASpec:
    rank: int
    alpha: float
    dropout: float
    target_modules: tuple
    use_rslora: bool = False

    @property
    def scaling(self) -> float:
        return self.alpha / (math.sqrt(self.rank) if self.use_rslora else self.rank)


def normalize_targets(targets: Sequence[str]) -> tuple:
    names = []
    for target in targets:
        name = TARGET_ALIASES.get(target, target)
        if name not in LINEAR_MODULES:
            raise TrainerError(
                "invalid_config",
                f"unknown LoRA target {target!r}; use any of {', '.join(TARGET_ALIASES)} (or their *_proj names)",
            )
        if name not in names:
            names.append(name)
    if not names:
        raise TrainerError("invalid_config", "lora.target_modules is empty")
    return tuple(n for n in LINEAR_MODULES if n in names)


def apply_lora(model: CausalLM, spec: LoRASpec, seed: int) -> List[torch.nn.Parameter]:
    """Freezes the base and adds LoRA to every targeted projection; returns the trainable parameters
    in a fixed order (the optimizer and gradient all-reduce rely on it)."""
    for p in model.parameters():
        p.requires_grad_(False)
    generator = torch.Generator().manual_seed(seed)
    params: List[torch.nn.Parameter] = []
    for name, module in model.named_modules():
        if isinstance(module, LoRALinear) and name.rsplit(".", 1)[-1] in spec.target_modules and ".layers." in f".{name}":
            module.add_lora(spec.rank, spec.scaling, spec.dropout, generator)
            params.extend([module.lora_A, module.lora_B])
    return params


def optimizer_groups(model: CausalLM, lr_ratio: float) -> List[Dict[str, object]]:
    """AdamW parameter groups for LoRA+ (Hayou et al., 2024): every `B` trains at the scheduled
    learning rate, every `A` at that rate / `lr_ratio`. set_learning_rate applies each group's
    `lr_scale`."""
    modules = [module for _name, module in model.lora_modules()]
    return [
        {"params": [m.lora_A for m in modules], "lr_scale": 1.0 / lr_ratio},
        {"params": [m.lora_B for m in modules], "lr_scale": 1.0},
    ]


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Sets the scheduled learning rate of a step on every group, scaled by the group's `lr_scale`."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)


def adapter_state_dict(model: CausalLM) -> Dict[str, torch.Tensor]:
    tensors = {}
    for name, module in model.lora_modules():
        tensors[f"{_PEFT_PREFIX}{name}.lora_A.weight"] = module.lora_A.detach().float().cpu()
        tensors[f"{_PEFT_PREFIX}{name}.lora_B.weight"] = module.lora_B.detach().float().cpu()
    return tensors


def adapter_config(spec: LoRASpec, base_model: str) -> Dict[str, object]:
    return {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base_model,
        "r": spec.rank,
        "lora_alpha": spec.alpha,
        "lora_dropout": spec.dropout,
        "target_modules": list(spec.target_modules),
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "modules_to_save": None,
        "layers_to_transform": None,
        "layers_pattern": None,
        "rank_pattern": {},
        "alpha_pattern": {},
        "use_rslora": spec.use_rslora,
        "use_dora": False,
        "revision": None,
    }


def write_adapter_dir(model: CausalLM, spec: LoRASpec, base_model: str, directory: str) -> None:
    """Writes the adapter files into `directory` (which must exist)."""
    save_file(adapter_state_dict(model), os.path.join(directory, ADAPTER_WEIGHTS), metadata={"format": "pt"})
    config_path = os.path.join(directory, ADAPTER_CONFIG)
    with open(config_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(adapter_config(spec, base_model), f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(config_path + ".tmp", config_path)


def publish_adapter(model: CausalLM, spec: LoRASpec, base_model: str, destination: str) -> None:
    """Writes the adapter beside `destination`, reads it back to verify every tensor, then renames it
    into place, so `destination` only ever holds a complete adapter."""
    parent = os.path.dirname(os.path.abspath(destination))
    staging = os.path.join(parent, f".{os.path.basename(destination)}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        write_adapter_dir(model, spec, base_model, staging)
        expected = adapter_state_dict(model)
        with SafetensorsFile(os.path.join(staging, ADAPTER_WEIGHTS)) as f:
            if set(f.keys()) != set(expected):
                raise TrainerError("internal_error", "adapter verification failed: tensor names differ")
            for name, tensor in expected.items():
                if not torch.equal(f.get(name), tensor):
                    raise TrainerError("internal_error", f"adapter verification failed: {name} differs")
        if os.path.exists(destination):
            shutil.rmtree(destination)
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_adapter_config(adapter_dir: str) -> Dict[str, object]:
    path = os.path.join(adapter_dir, ADAPTER_CONFIG)
    try:
        with open(path, "r", encoding="utf-8") as f:
            config = json.load(f)
    except FileNotFoundError:
        raise TrainerError("adapter_invalid", f"{ADAPTER_CONFIG} not found in {adapter_dir}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrainerError("adapter_invalid", f"{ADAPTER_CONFIG} is not valid JSON: {exc}") from None
    if not isinstance(config, dict) or config.get("peft_type", "LORA") != "LORA":
        raise TrainerError("adapter_invalid", f"{ADAPTER_CONFIG} does not describe a LoRA adapter")
    return config


def load_adapter(model: CausalLM, adapter_dir: str) -> LoRASpec:
    """Attaches a PEFT LoRA adapter from `adapter_dir` to `model`."""
    config = read_adapter_config(adapter_dir)
    try:
        rank = int(config["r"])
        alpha = float(config["lora_alpha"])
        targets = config["target_modules"]
        if isinstance(targets, str):
            targets = [targets]
        spec = LoRASpec(
            rank=rank,
            alpha=alpha,
            dropout=0.0,
            target_modules=normalize_targets(targets),
            use_rslora=bool(config.get("use_rslora", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TrainerError("adapter_invalid", f"{ADAPTER_CONFIG} is missing or has a bad field: {exc}") from None
    if config.get("rank_pattern") or config.get("alpha_pattern") or config.get("use_dora"):
        raise TrainerError("adapter_invalid", "adapters with rank_pattern, alpha_pattern or DoRA are not supported")
    weights = os.path.join(adapter_dir, ADAPTER_WEIGHTS)
    if not os.path.exists(weights):
        raise TrainerError("adapter_invalid", f"{ADAPTER_WEIGHTS} not found in {adapter_dir}")
    apply_lora(model, spec, seed=0)
    try:
        adapter_file = SafetensorsFile(weights)
    except TrainerError as exc:
        raise TrainerError("adapter_invalid", exc.message) from None
    with adapter_file as f:
        names = set(f.keys())
        for name, module in model.lora_modules():
            for part, param in (("lora_A", module.lora_A), ("lora_B", module.lora_B)):
                key = f"{_PEFT_PREFIX}{name}.{part}.weight"
                if key not in names:
                    raise TrainerError("adapter_invalid", f"adapter is missing tensor {key}")
                if tuple(f.shape(key)) != tuple(param.shape):
                    raise TrainerError(
                        "adapter_invalid", f"{key} has shape {list(f.shape(key))}, the model needs {list(param.shape)}"
                    )
                with torch.no_grad():
                    param.copy_(f.get(key, torch.float32))
                names.discard(key)
        if names:
            raise TrainerError("adapter_invalid", f"adapter has tensors this model has no place for: {sorted(names)[:3]}")
    return spec


def copy_adapter(source_dir: str, destination: str) -> None:
    """Publishes the adapter files of a checkpoint folder as `destination`, through a staging folder."""
    parent = os.path.dirname(os.path.abspath(destination))
    staging = os.path.join(parent, f".{os.path.basename(destination)}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        for name in (ADAPTER_WEIGHTS, ADAPTER_CONFIG):
            shutil.copyfile(os.path.join(source_dir, name), os.path.join(staging, name))
        if os.path.exists(destination):
            shutil.rmtree(destination)
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
