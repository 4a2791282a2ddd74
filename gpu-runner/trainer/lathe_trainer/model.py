"""Llama-family decoder (Llama 2/3, Mistral, Qwen2, SmolLM2) in plain PyTorch, with LoRA layers.

Parameter names follow the Hugging Face checkpoints (model.layers.N.self_attn.q_proj.weight, ...),
so weights load by name and adapters save under PEFT's names.
"""
from __future__ import annotations

import glob
import json
import math
import os
from typing import Dict, Iterable, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint

from .errors import TrainerError
from .modelconfig import ModelConfig, load_model_config
from .safetensors import SafetensorsFile

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
ATTENTION_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj")
MLP_MODULES = ("gate_proj", "up_proj", "down_proj")
LINEAR_MODULES = ATTENTION_MODULES + MLP_MODULES


class LoRALinear(nn.Module):
    """A frozen linear layer with an optional low-rank update: y = xW^T + b + s * drop(x) A^T B^T.
    `weight` and `bias` may be given as views into a larger fused matrix (see `FusedLinears`)."""

    def __init__(self, in_features: int, out_features: int, bias: bool, device=None, dtype=None, weight=None, bias_view=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        if weight is None:
            weight = torch.empty(out_features, in_features, device=device, dtype=dtype)
        self.weight = nn.Parameter(weight, requires_grad=False)
        if bias and bias_view is None:
            bias_view = torch.empty(out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(bias_view, requires_grad=False) if bias else None
        self.lora_A: Optional[nn.Parameter] = None
        self.lora_B: Optional[nn.Parameter] = None
        self.scaling = 0.0
        self.lora_dropout = 0.0

    def add_lora(self, rank: int, scaling: float, dropout: float, generator: torch.Generator) -> None:
        # PEFT's default init: A ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)), B = 0.
        bound = 1.0 / math.sqrt(self.in_features)
        a = torch.rand(rank, self.in_features, generator=generator, dtype=torch.float32) * (2 * bound) - bound
        self.lora_A = nn.Parameter(a.to(self.weight.device))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, rank, device=self.weight.device))
        self.scaling = scaling
        self.lora_dropout = dropout

    def with_lora(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """y + s * drop(x) A^T B^T, with the scaling folded into B and the addition done by the
        second matrix multiply (addmm), which saves two passes over y."""
        if self.lora_A is None:
            return y
        h = F.dropout(x, self.lora_dropout, self.training) if self.lora_dropout > 0 else x
        lora_a, lora_b = self.lora_A, self.lora_B
        if not torch.is_autocast_enabled() and lora_a.dtype != h.dtype:
            lora_a, lora_b = lora_a.to(h.dtype), lora_b.to(h.dtype)
        low_rank = F.linear(h, lora_a).reshape(-1, lora_a.shape[0])
        out = torch.addmm(y.reshape(-1, self.out_features), low_rank, (lora_b * self.scaling).t())
        return out.view(y.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.with_lora(F.linear(x, self.weight, self.bias), x)


class FusedLinears(nn.Module):
    """Several frozen projections of the same input (q/k/v, gate/up) stored as row blocks of one
    matrix, so the base product is one large matrix multiply; each block stays a `LoRALinear`
    under its own name with its own LoRA. The blocks are views: no extra memory."""

    def __init__(self, in_features: int, sizes: Dict[str, int], bias: bool, device=None, dtype=None):
        super().__init__()
        total = sum(sizes.values())
        self.register_buffer("fused_weight", torch.empty(total, in_features, device=device, dtype=dtype), persistent=False)
        self.register_buffer(
            "fused_bias", torch.empty(total, device=device, dtype=dtype) if bias else None, persistent=False
        )
        self.names = list(sizes)
        self.sizes = [sizes[n] for n in self.names]
        at = 0
        for name, size in sizes.items():
            bias_view = self.fused_bias[at : at + size] if bias else None
            self.add_module(
                name,
                LoRALinear(in_features, size, bias, weight=self.fused_weight[at : at + size], bias_view=bias_view),
            )
            at += size

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        outputs = F.linear(x, self.fused_weight, self.fused_bias).split(self.sizes, dim=-1)
        return [getattr(self, name).with_lora(out, x) for name, out in zip(self.names, outputs)]


class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(size, device=device, dtype=dtype), requires_grad=False)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        normed = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * normed.to(x.dtype)


def rope_inv_freq(config: ModelConfig) -> torch.Tensor:
    dim = config.head_dim
    inv_freq = 1.0 / (config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    scaling = config.rope_scaling
    if scaling:
        kind = scaling.get("rope_type", scaling.get("type"))
        factor = float(scaling.get("factor", 1.0))
        if kind == "linear":
            inv_freq = inv_freq / factor
        elif kind == "llama3":
            low_freq_factor = float(scaling.get("low_freq_factor", 1.0))
            high_freq_factor = float(scaling.get("high_freq_factor", 4.0))
            old_context = float(scaling.get("original_max_position_embeddings", 8192))
            low_freq_wavelen = old_context / low_freq_factor
            high_freq_wavelen = old_context / high_freq_factor
            wavelen = 2 * math.pi / inv_freq
            scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
            smooth = (old_context / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            smoothed = (1 - smooth) * scaled / factor + smooth * scaled
            medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
            inv_freq = torch.where(medium, smoothed, scaled)
    return inv_freq.float()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, config: ModelConfig, device=None, dtype=None):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = config.num_key_value_heads
        self.head_dim = config.head_dim
        h = config.hidden_size
        q_out, kv_out = self.num_heads * self.head_dim, self.num_kv_heads * self.head_dim
        self.qkv = FusedLinears(h, {"q_proj": q_out, "k_proj": kv_out, "v_proj": kv_out}, config.qkv_bias, device, dtype)
        self.o_proj = LoRALinear(q_out, h, config.o_bias, device, dtype)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        batch, length, _ = x.shape
        heads, kv_heads, dim = self.num_heads, self.num_kv_heads, self.head_dim
        repeat = heads // kv_heads
        q, k, v = self.qkv(x)
        k = k.view(batch, length, kv_heads, dim).transpose(1, 2)
        v = v.view(batch, length, kv_heads, dim).transpose(1, 2)
        k = k * cos + rotate_half(k) * sin
        if HAS_SDPA:
            q = q.view(batch, length, heads, dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            if repeat > 1:
                k = k[:, :, None].expand(batch, kv_heads, repeat, length, dim).reshape(batch, heads, length, dim)
                v = v[:, :, None].expand(batch, kv_heads, repeat, length, dim).reshape(batch, heads, length, dim)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None)
            out = out.transpose(1, 2).reshape(batch, length, heads * dim)
        else:
            # Query heads grouped under their key/value head: one larger product per group and no
            # copies of k and v (q head h reads kv head h // repeat, as in Hugging Face's repeat_kv).
            q = q.view(batch, length, kv_heads, repeat, dim).permute(0, 2, 3, 1, 4)
            q = q * cos.unsqueeze(2) + rotate_half(q) * sin.unsqueeze(2)
            q = q.reshape(batch * kv_heads, repeat * length, dim)
            # One fused product: scaled scores plus the mask as an additive bias (0 or -inf).
            bias = torch.zeros(mask.shape, dtype=q.dtype, device=q.device).masked_fill_(~mask, float("-inf"))
            bias = bias.unsqueeze(2).expand(mask.shape[0], kv_heads, repeat, length, length)
            if mask.shape[0] == 1:
                bias = bias[0, :1].reshape(1, repeat * length, length)
            else:
                bias = bias.reshape(batch * kv_heads, repeat * length, length)
            scores = torch.baddbmm(bias, q, k.reshape(batch * kv_heads, length, dim).transpose(1, 2), alpha=1.0 / math.sqrt(dim))
            probs = scores.float().softmax(-1).to(v.dtype)
            out = torch.bmm(probs, v.reshape(batch * kv_heads, length, dim)).view(batch, kv_heads, repeat, length, dim)
            out = out.permute(0, 3, 1, 2, 4).reshape(batch, length, heads * dim)
        return self.o_proj(out)

    @property
    def q_proj(self) -> LoRALinear:
        return self.qkv.q_proj

    @property
    def k_proj(self) -> LoRALinear:
        return self.qkv.k_proj

    @property
    def v_proj(self) -> LoRALinear:
        return self.qkv.v_proj


class MLP(nn.Module):
    def __init__(self, config: ModelConfig, device=None, dtype=None):
        super().__init__()
        h, i = config.hidden_size, config.intermediate_size
        self.gate_up = FusedLinears(h, {"gate_proj": i, "up_proj": i}, config.mlp_bias, device, dtype)
        self.down_proj = LoRALinear(i, h, config.mlp_bias, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(x)
        return self.down_proj(F.silu(gate) * up)

    @property
    def gate_proj(self) -> LoRALinear:
        return self.gate_up.gate_proj

    @property
    def up_proj(self) -> LoRALinear:
        return self.gate_up.up_proj


class DecoderLayer(nn.Module):
    def __init__(self, config: ModelConfig, device=None, dtype=None):
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps, device, dtype)
        self.self_attn = Attention(config, device, dtype)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps, device, dtype)
        self.mlp = MLP(config, device, dtype)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Decoder(nn.Module):
    def __init__(self, config: ModelConfig, device=None, dtype=None):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size, device=device, dtype=dtype)
        self.embed_tokens.weight.requires_grad_(False)
        self.layers = nn.ModuleList([DecoderLayer(config, device, dtype) for _ in range(config.num_hidden_layers)])
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps, device, dtype)


class CausalLM(nn.Module):
    def __init__(self, config: ModelConfig, device=None, dtype=None):
        super().__init__()
        self.config = config
        self.model = Decoder(config, device, dtype)
        self.lm_head = (
            None if config.tie_word_embeddings else LoRALinear(config.hidden_size, config.vocab_size, False, device, dtype)
        )
        self.register_buffer("inv_freq", rope_inv_freq(config).to(device), persistent=False)
        self.gradient_checkpointing = False

    @property
    def output_weight(self) -> torch.Tensor:
        return self.model.embed_tokens.weight if self.lm_head is None else self.lm_head.weight

    def hidden_states(
        self,
        input_ids: torch.Tensor,
        position_ids: Optional[torch.Tensor] = None,
        segment_ids: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Final normed hidden states [batch, length, hidden]. `segment_ids` (packed rows) keep
        attention inside each example; `position_ids` restart at each example."""
        batch, length = input_ids.shape
        if length > self.config.max_position_embeddings:
            raise TrainerError(
                "sequence_length_exceeds_context",
                f"sequence of {length} tokens exceeds the model's context of {self.config.max_position_embeddings}",
            )
        device = input_ids.device
        if position_ids is None:
            position_ids = torch.arange(length, device=device).unsqueeze(0).expand(batch, length)
        freqs = position_ids.to(torch.float32).unsqueeze(-1) * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)
        x = self.model.embed_tokens(input_ids)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = self._attention_mask(length, segment_ids, device)
        for layer in self.model.layers:
            if self.gradient_checkpointing and self.training and torch.is_grad_enabled():
                x = torch.utils.checkpoint.checkpoint(layer, x, cos, sin, mask, use_reentrant=False)
            else:
                x = layer(x, cos, sin, mask)
        return self.model.norm(x)

    def _attention_mask(self, length: int, segment_ids: Optional[torch.Tensor], device) -> Optional[torch.Tensor]:
        """Boolean [batch or 1, 1, length, length], true where attention is allowed; None means
        plain causal attention, which scaled_dot_product_attention does without a mask."""
        window = self.config.sliding_window
        if HAS_SDPA and segment_ids is None and (window is None or length <= window):
            return None
        pos = torch.arange(length, device=device)
        allowed = pos[None, :] <= pos[:, None]
        if window is not None and length > window:
            allowed = allowed & (pos[:, None] - pos[None, :] < window)
        allowed = allowed[None, None]
        if segment_ids is not None:
            allowed = allowed & (segment_ids[:, None, :, None] == segment_ids[:, None, None, :])
        return allowed

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        if self.lm_head is not None:
            return self.lm_head(hidden)
        return F.linear(hidden, self.output_weight)

    def forward(self, input_ids: torch.Tensor, position_ids=None, segment_ids=None) -> torch.Tensor:
        return self.logits(self.hidden_states(input_ids, position_ids, segment_ids))

    def lora_modules(self) -> Iterable[Tuple[str, LoRALinear]]:
        """LoRA-carrying projections under their Hugging Face module names."""
        for name, module in self.named_modules():
            if isinstance(module, LoRALinear) and module.lora_A is not None:
                yield hf_name(name), module

    def hf_parameters(self) -> Iterable[Tuple[str, nn.Parameter]]:
        """Parameters under their Hugging Face checkpoint names."""
        for name, param in self.named_parameters():
            yield hf_name(name), param


def hf_name(name: str) -> str:
    """Checkpoint name of a parameter or module: the fused containers do not appear in it."""
    return name.replace(".qkv.", ".").replace(".gate_up.", ".")


# Rows of logits materialised at once in the loss: bounds memory for large vocabularies.
_LOSS_CHUNK_ELEMENTS = 1 << 27


def masked_lm_loss(
    model: CausalLM, hidden: torch.Tensor, labels: torch.Tensor, label_mask: torch.Tensor, normalizer: float
) -> Tuple[torch.Tensor, torch.Tensor, int]:
    """Sum of token cross-entropies over positions where `label_mask` is set, divided by
    `normalizer`; logits are computed only for those positions. Returns (loss, correct, count)."""
    flat_hidden = hidden.reshape(-1, hidden.shape[-1])
    index = label_mask.reshape(-1).nonzero().squeeze(-1)
    count = int(index.numel())
    if count == 0:
        return hidden.sum() * 0.0, torch.zeros((), dtype=torch.long), 0
    if count == flat_hidden.shape[0]:
        selected, targets = flat_hidden, labels.reshape(-1)
    else:
        selected = flat_hidden.index_select(0, index)
        targets = labels.reshape(-1).index_select(0, index)
    rows = max(1, _LOSS_CHUNK_ELEMENTS // model.config.vocab_size)
    total = None
    correct = torch.zeros((), dtype=torch.long, device=hidden.device)
    fused = _cpu_fused_loss(model, hidden)
    for start in range(0, count, rows):
        chunk_h = selected[start : start + rows]
        chunk_t = targets[start : start + rows]
        if fused:
            with_grad = torch.is_grad_enabled() and chunk_h.requires_grad
            part, hits = _LinearCrossEntropySum.apply(chunk_h, model.output_weight, chunk_t, with_grad)
        elif count > rows and torch.is_grad_enabled():
            part, hits = torch.utils.checkpoint.checkpoint(_chunk_loss, model, chunk_h, chunk_t, use_reentrant=False)
        else:
            part, hits = _chunk_loss(model, chunk_h, chunk_t)
        total = part if total is None else total + part
        correct = correct + hits
    return total / normalizer, correct, count


class _CrossEntropySum(torch.autograd.Function):
    """Summed token cross-entropy and the number of argmax hits in one pass over the logits: the
    softmax kept for the backward pass is computed in place, and the row maxima give the
    predictions, so neither a log-softmax copy nor a zero-filled gradient is needed."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, targets: torch.Tensor):
        maxima, predicted = logits.max(-1)
        exp = logits - maxima.unsqueeze(1)
        exp.exp_()
        sums = exp.sum(-1)
        picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
        loss = (maxima + sums.log() - picked).sum()
        hits = (predicted == targets).sum()
        ctx.save_for_backward(exp, sums, targets)
        ctx.mark_non_differentiable(hits)
        return loss, hits

    @staticmethod
    def backward(ctx, grad_loss: torch.Tensor, _grad_hits):
        exp, sums, targets = ctx.saved_tensors
        grad = exp.mul_((grad_loss / sums).unsqueeze(1))
        grad.scatter_add_(1, targets.unsqueeze(1), (-grad_loss).to(grad.dtype).expand(targets.shape[0], 1))
        return grad, None


class _LogitsWorkspace:
    """One reusable buffer for the logits on the CPU. Allocations of that size (vocabulary x
    tokens, hundreds of MB) come fresh from the kernel each time and their page faults cost as much
    as the softmax itself."""

    def __init__(self):
        self.buffer: Optional[torch.Tensor] = None

    def get(self, rows: int, cols: int, dtype: torch.dtype) -> torch.Tensor:
        if self.buffer is None or self.buffer.numel() < rows * cols or self.buffer.dtype != dtype:
            self.buffer = None
            self.buffer = torch.empty(rows * cols, dtype=dtype)
        return self.buffer[: rows * cols].view(rows, cols)


_WORKSPACE = _LogitsWorkspace()


class _LinearCrossEntropySum(torch.autograd.Function):
    """CPU path for a frozen output matrix W: logits = hidden W^T in the reused workspace, the
    cross-entropy in place, and, when training, the gradient for the hidden states at once
    ((softmax - one_hot) W), so no logits outlive the call and the workspace serves every chunk."""

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, with_grad: bool):
        logits = _WORKSPACE.get(hidden.shape[0], weight.shape[0], hidden.dtype)
        torch.mm(hidden, weight.t(), out=logits)
        maxima, predicted = logits.max(-1)
        picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
        logits.sub_(maxima.unsqueeze(1)).exp_()
        sums = logits.sum(-1)
        loss = (maxima + sums.log() - picked).sum()
        hits = (predicted == targets).sum()
        ctx.mark_non_differentiable(hits)
        if with_grad:
            logits.div_(sums.unsqueeze(1))
            logits.scatter_add_(1, targets.unsqueeze(1), torch.full_like(picked, -1.0).unsqueeze(1))
            ctx.save_for_backward(torch.mm(logits, weight))
        return loss, hits

    @staticmethod
    def backward(ctx, grad_loss: torch.Tensor, _grad_hits):
        (grad_hidden,) = ctx.saved_tensors
        return grad_hidden * grad_loss, None, None, None


def _cpu_fused_loss(model: CausalLM, hidden: torch.Tensor) -> bool:
    weight = model.output_weight
    return (
        hidden.device.type == "cpu"
        and hidden.dtype == weight.dtype == torch.float32
        and not weight.requires_grad
        and (model.lm_head is None or model.lm_head.lora_A is None)
    )


def _chunk_loss(model: CausalLM, hidden: torch.Tensor, targets: torch.Tensor):
    return _CrossEntropySum.apply(model.logits(hidden).float(), targets)


def _weight_files(model_dir: str) -> List[str]:
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(index_path):
        try:
            with open(index_path, "r", encoding="utf-8") as f:
                weight_map = json.load(f)["weight_map"]
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise TrainerError("corrupt_weights", f"model.safetensors.index.json is malformed: {exc}") from None
        files = sorted(set(weight_map.values()))
        missing = [name for name in files if not os.path.exists(os.path.join(model_dir, name))]
        if missing:
            raise TrainerError("missing_weights", f"weight shards listed in the index are missing: {', '.join(missing)}")
        return [os.path.join(model_dir, name) for name in files]
    if os.path.exists(single):
        return [single]
    shards = sorted(glob.glob(os.path.join(model_dir, "*.safetensors")))
    if shards:
        return shards
    raise TrainerError("missing_weights", f"no model.safetensors (or sharded safetensors with an index) in {model_dir}")


def _ignored_weight(name: str) -> bool:
    return name.endswith("rotary_emb.inv_freq")


def load_model(
    model_dir: str, device: torch.device = torch.device("cpu"), dtype: torch.dtype = torch.float32
) -> CausalLM:
    """Reads config.json and the safetensors weights, checking every tensor against the config."""
    config = load_model_config(model_dir)
    model = CausalLM(config, device=device, dtype=dtype)
    expected: Dict[str, torch.Tensor] = {
        name: p for name, p in model.hf_parameters() if not (config.tie_word_embeddings and name == "lm_head.weight")
    }
    loaded = set()
    for path in _weight_files(model_dir):
        with SafetensorsFile(path) as f:
            for name in f.keys():
                if _ignored_weight(name):
                    continue
                target = expected.get(name)
                if target is None:
                    if name == "lm_head.weight" and config.tie_word_embeddings:
                        continue
                    raise TrainerError(
                        "weight_shape_mismatch",
                        f"{os.path.basename(path)} holds {name!r}, which a {config.architecture} with this config.json does not have",
                    )
                shape = f.shape(name)
                if tuple(shape) != tuple(target.shape):
                    raise TrainerError(
                        "weight_shape_mismatch",
                        f"{name} has shape {list(shape)} in {os.path.basename(path)} but config.json implies {list(target.shape)}",
                    )
                with torch.no_grad():
                    target.copy_(f.get(name).to(device=device, dtype=dtype))
                loaded.add(name)
    missing = sorted(set(expected) - loaded)
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise TrainerError("missing_weights", f"weights missing from the checkpoint: {', '.join(missing[:5])}{more}")
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def init_random_weights(model: CausalLM, generator: torch.Generator, std: float = 0.02) -> None:
    """Normal(0, std) for matrices, ones for norms, zeros for biases; deterministic for the generator."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                continue
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=generator) * std)


def base_state_dict(model: CausalLM) -> Dict[str, torch.Tensor]:
    """Base weights under Hugging Face names (without LoRA tensors, without a tied lm_head)."""
    return {
        name: p.detach()
        for name, p in model.hf_parameters()
        if "lora_" not in name and not (model.config.tie_word_embeddings and name == "lm_head.weight")
    }
