"""Helpers for `npm run bench:trainer`: a random-weight model of a known shape, random token data,
the FLOP count of one LoRA training step, and the f32 matrix-multiply rate of this machine.

    python3 -m lathe_trainer.benchmark make-model --out DIR [--shape smollm2-135m]
    python3 -m lathe_trainer.benchmark make-data --out FILE.ltok --examples N --length 256 --vocab V
    python3 -m lathe_trainer.benchmark flops --model DIR --length 256 --rank 16 [--targets q,k,...]
    python3 -m lathe_trainer.benchmark matmul [--threads N] [--size 4096]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Dict, Sequence

import numpy as np
import torch

from .cli import run_command
from .lora import normalize_targets
from .ltok import LtokWriter
from .model import CausalLM, base_state_dict, init_random_weights
from .modelconfig import ModelConfig, load_model_config, parse_model_config
from .runtime import configure_threads
from .safetensors import save_file

SHAPES: Dict[str, Dict[str, object]] = {
    "smollm2-135m": {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "_name_or_path": "smollm2-135m-shape-random",
        "vocab_size": 49152,
        "hidden_size": 576,
        "intermediate_size": 1536,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "max_position_embeddings": 2048,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "bos_token_id": 0,
        "eos_token_id": 0,
    },
}


def make_model(out_dir: str, shape: str) -> Dict[str, object]:
    raw = dict(SHAPES[shape])
    model = CausalLM(parse_model_config(raw))
    init_random_weights(model, torch.Generator().manual_seed(0))
    os.makedirs(out_dir, exist_ok=True)
    save_file(base_state_dict(model), os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(raw, f, indent=2)
    return {"out": out_dir, "parameters": sum(p.numel() for p in model.parameters())}


def make_data(path: str, examples: int, length: int, vocab: int) -> Dict[str, object]:
    rng = np.random.default_rng(0)
    with LtokWriter(path) as writer:
        for _ in range(examples):
            writer.write(rng.integers(0, vocab, size=length).tolist(), [1] * length)
    return {"out": path, "examples": examples, "tokens": examples * length}


def step_flops_per_token(config: ModelConfig, length: int, rank: int, targets: Sequence[str]) -> Dict[str, float]:
    """Forward and backward FLOPs per token of one LoRA step (frozen base): forward matmuls, the
    input gradients of every frozen matmul that has a trainable parameter upstream, the LoRA
    weight and input gradients, and attention counted over the full sequence (as PaLM's MFU does)."""
    h, inter, vocab = config.hidden_size, config.intermediate_size, config.vocab_size
    q_out = config.num_attention_heads * config.head_dim
    kv_out = config.num_key_value_heads * config.head_dim
    shapes = {
        "q_proj": (h, q_out),
        "k_proj": (h, kv_out),
        "v_proj": (h, kv_out),
        "o_proj": (q_out, h),
        "gate_proj": (h, inter),
        "up_proj": (h, inter),
        "down_proj": (inter, h),
    }
    layers = config.num_hidden_layers
    base_forward = 2 * sum(i * o for i, o in shapes.values()) * layers
    attention_forward = 2 * 2 * length * q_out * layers
    lora_forward = 2 * sum(rank * (shapes[t][0] + shapes[t][1]) for t in targets) * layers
    head_forward = 2 * h * vocab
    # Layer 0's input projections read the embedding output, which needs no gradient.
    first_layer_inputs = 2 * sum(i * o for name, (i, o) in shapes.items() if name in ("q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"))
    backward = (base_forward - first_layer_inputs) + 2 * attention_forward + 2 * lora_forward + head_forward
    forward = base_forward + attention_forward + lora_forward + head_forward
    return {"forward": float(forward), "backward": float(backward), "total": float(forward + backward)}


def matmul_rate(threads: int, size: int, seconds: float = 3.0) -> Dict[str, float]:
    configure_threads(threads)
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    out = torch.empty(size, size)
    torch.mm(a, b, out=out)
    best = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        torch.mm(a, b, out=out)
        best = max(best, 2 * size**3 / (time.perf_counter() - started))
    return {"flops_per_s": best, "threads": torch.get_num_threads(), "size": size}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m lathe_trainer.benchmark")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make-model")
    p.add_argument("--out", required=True)
    p.add_argument("--shape", default="smollm2-135m", choices=sorted(SHAPES))
    p = sub.add_parser("make-data")
    p.add_argument("--out", required=True)
    p.add_argument("--examples", type=int, required=True)
    p.add_argument("--length", type=int, default=256)
    p.add_argument("--vocab", type=int, required=True)
    p = sub.add_parser("flops")
    p.add_argument("--model", required=True)
    p.add_argument("--length", type=int, default=256)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--targets", default="q,k,v,o,gate,up,down")
    p = sub.add_parser("matmul")
    p.add_argument("--threads", type=int)
    p.add_argument("--size", type=int, default=4096)
    args = parser.parse_args(argv)

    def body():
        if args.command == "make-model":
            return make_model(args.out, args.shape)
        if args.command == "make-data":
            return make_data(args.out, args.examples, args.length, args.vocab)
        if args.command == "flops":
            targets = normalize_targets(args.targets.split(","))
            return step_flops_per_token(load_model_config(args.model), args.length, args.rank, targets)
        return matmul_rate(args.threads or 0, args.size)

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
