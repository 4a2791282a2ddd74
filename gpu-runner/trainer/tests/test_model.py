"""The decoder against a plain reference written from the Llama/Mistral/Qwen2 equations, for each
supported config shape, plus architecture checks and LoRA semantics."""
import math
import os
import tempfile
import unittest

import torch
import torch.nn.functional as F

import helpers  # noqa: F401  (puts lathe_trainer on the path)

from lathe_trainer.errors import TrainerError
from lathe_trainer.lora import LoRASpec, apply_lora, optimizer_groups, set_learning_rate
from lathe_trainer.model import CausalLM, base_state_dict, init_random_weights, load_model, masked_lm_loss, rope_inv_freq
from lathe_trainer.modelconfig import parse_model_config
from lathe_trainer.safetensors import save_file

BASE = {
    "architectures": ["LlamaForCausalLM"],
    "vocab_size": 97,
    "hidden_size": 48,
    "intermediate_size": 80,
    "num_hidden_layers": 2,
    "num_attention_heads": 6,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
    "rms_norm_eps": 1e-5,
    "rope_theta": 500.0,
    "tie_word_embeddings": False,
}


def reference_logits(weights, cfg, ids):
    """Token-by-token Llama forward pass in float64 with explicit loops over heads."""
    w = {k: v.double() for k, v in weights.items()}
    heads, kv_heads = cfg.num_attention_heads, cfg.num_key_value_heads
    hd = cfg.head_dim
    inv = rope_inv_freq(cfg).double()
    T = len(ids)

    def norm(x, weight):
        return weight * x / torch.sqrt((x * x).mean(-1, keepdim=True) + cfg.rms_norm_eps)

    def rope(x, pos):
        angles = pos * inv
        cos, sin = torch.cos(angles), torch.sin(angles)
        first, second = x[: hd // 2], x[hd // 2 :]
        return torch.cat([first * cos - second * sin, second * cos + first * sin])

    def proj(x, prefix):
        y = x @ w[prefix + ".weight"].T
        return y + w[prefix + ".bias"] if prefix + ".bias" in w else y

    x = w["model.embed_tokens.weight"][ids]
    for layer in range(cfg.num_hidden_layers):
        p = f"model.layers.{layer}."
        h = norm(x, w[p + "input_layernorm.weight"])
        q, k, v = proj(h, p + "self_attn.q_proj"), proj(h, p + "self_attn.k_proj"), proj(h, p + "self_attn.v_proj")
        out = torch.zeros(T, heads * hd, dtype=torch.float64)
        for head in range(heads):
            kv = head // (heads // kv_heads)
            for t in range(T):
                qt = rope(q[t, head * hd : (head + 1) * hd], t)
                lo = 0 if cfg.sliding_window is None else max(0, t - cfg.sliding_window + 1)
                scores = torch.stack([
                    qt @ rope(k[s, kv * hd : (kv + 1) * hd], s) / math.sqrt(hd) for s in range(lo, t + 1)
                ])
                probs = torch.softmax(scores, 0)
                out[t, head * hd : (head + 1) * hd] = sum(
                    probs[i] * v[s, kv * hd : (kv + 1) * hd] for i, s in enumerate(range(lo, t + 1))
                )
        x = x + proj(out, p + "self_attn.o_proj")
        h = norm(x, w[p + "post_attention_layernorm.weight"])
        x = x + proj(F.silu(proj(h, p + "mlp.gate_proj")) * proj(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = norm(x, w["model.norm.weight"])
    head_weight = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x @ head_weight.T


def random_model(raw, seed=0):
    cfg = parse_model_config(raw)
    model = CausalLM(cfg)
    init_random_weights(model, torch.Generator().manual_seed(seed), std=0.2)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias") or name.endswith("norm.weight"):
                p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(len(name))) * 0.3 + (1.0 if "norm" in name else 0.0))
    return model


class Architectures(unittest.TestCase):
    def check_against_reference(self, raw, length=12):
        model = random_model(raw)
        ids = torch.randint(0, raw["vocab_size"], (length,), generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            ours = model(ids[None])[0].double()
        expected = reference_logits(base_state_dict(model), model.config, ids)
        self.assertLess(float((ours - expected).abs().max()), 2e-4)
        return model

    def test_llama_with_grouped_query_attention(self):
        self.check_against_reference(BASE)

    def test_tied_embeddings(self):
        model = self.check_against_reference(dict(BASE, tie_word_embeddings=True))
        self.assertIsNone(model.lm_head)

    def test_qwen2_has_qkv_bias(self):
        model = self.check_against_reference(dict(BASE, architectures=["Qwen2ForCausalLM"], sliding_window=4, use_sliding_window=False))
        names = {n for n, _ in model.hf_parameters()}
        self.assertIn("model.layers.0.self_attn.q_proj.bias", names)
        self.assertNotIn("model.layers.0.self_attn.o_proj.bias", names)

    def test_mistral_sliding_window(self):
        model = self.check_against_reference(dict(BASE, architectures=["MistralForCausalLM"], sliding_window=5), length=14)
        self.assertEqual(model.config.sliding_window, 5)

    def test_llama3_rope_scaling(self):
        scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16}
        raw = dict(BASE, rope_theta=500000.0, rope_scaling=scaling)
        self.check_against_reference(raw)
        cfg = parse_model_config(raw)
        plain = rope_inv_freq(parse_model_config(dict(BASE, rope_theta=500000.0)))
        scaled = rope_inv_freq(cfg)
        wavelength = 2 * math.pi / plain
        high = wavelength < 16 / 4.0
        low = wavelength > 16 / 1.0
        self.assertTrue(torch.allclose(scaled[high], plain[high]))
        self.assertTrue(torch.allclose(scaled[low], plain[low] / 8.0))
        middle = ~(high | low)
        self.assertTrue(bool(((scaled[middle] <= plain[middle]) & (scaled[middle] >= plain[middle] / 8.0)).all()))

    def test_explicit_head_dim(self):
        self.check_against_reference(dict(BASE, head_dim=16))

    def test_packed_rows_match_separate_examples(self):
        model = random_model(BASE)
        a = torch.randint(0, 97, (5,), generator=torch.Generator().manual_seed(2))
        b = torch.randint(0, 97, (7,), generator=torch.Generator().manual_seed(3))
        packed = torch.cat([a, b])[None]
        positions = torch.cat([torch.arange(5), torch.arange(7)])[None]
        segments = torch.tensor([[0] * 5 + [1] * 7])
        with torch.no_grad():
            together = model(packed, positions, segments)[0]
            self.assertLess(float((together[:5] - model(a[None])[0]).abs().max()), 1e-5)
            self.assertLess(float((together[5:] - model(b[None])[0]).abs().max()), 1e-5)

    def test_unsupported_architecture_is_named(self):
        for arch in (["GPT2LMHeadModel"], []):
            with self.assertRaises(TrainerError) as caught:
                parse_model_config(dict(BASE, architectures=arch))
            self.assertEqual(caught.exception.code, "unsupported_architecture")
            self.assertIn("LlamaForCausalLM", caught.exception.message)
        with self.assertRaises(TrainerError) as caught:
            parse_model_config(dict(BASE, rope_scaling={"type": "yarn", "factor": 4.0}))
        self.assertIn("yarn", caught.exception.message)
        with self.assertRaises(TrainerError):
            parse_model_config(dict(BASE, num_key_value_heads=4))


class Loss(unittest.TestCase):
    def test_masked_loss_matches_cross_entropy(self):
        model = random_model(BASE)
        hidden = torch.randn(3, 9, BASE["hidden_size"], dtype=torch.float64).float().requires_grad_()
        labels = torch.randint(0, BASE["vocab_size"], (3, 9))
        mask = torch.rand(3, 9) > 0.4
        loss, hits, count = masked_lm_loss(model, hidden, labels, mask, normalizer=7.0)
        loss.backward()
        ours = hidden.grad.clone()
        hidden.grad = None
        logits = model.logits(hidden)[mask]
        expected = F.cross_entropy(logits, labels[mask], reduction="sum") / 7.0
        expected.backward()
        self.assertEqual(count, int(mask.sum()))
        self.assertAlmostEqual(float(loss), float(expected), places=4)
        self.assertEqual(int(hits), int((logits.argmax(-1) == labels[mask]).sum()))
        self.assertLess(float((hidden.grad - ours).abs().max()), 1e-5)


class LoRA(unittest.TestCase):
    def test_lora_equals_merged_weights_and_only_adapters_train(self):
        model = random_model(BASE)
        spec = LoRASpec(rank=4, alpha=12.0, dropout=0.0, target_modules=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"))
        params = apply_lora(model, spec, seed=0)
        self.assertEqual(len(params), 2 * 7 * BASE["num_hidden_layers"])
        self.assertTrue(all(p.requires_grad for p in params))
        frozen = [n for n, p in model.hf_parameters() if p.requires_grad and "lora_" not in n]
        self.assertEqual(frozen, [])
        with torch.no_grad():
            for _, module in model.lora_modules():
                module.lora_B.normal_(0, 0.1)
        ids = torch.arange(10)[None]
        with torch.no_grad():
            with_lora = model(ids)
            for _, module in model.lora_modules():
                module.weight += spec.scaling * module.lora_B @ module.lora_A
                module.lora_A = None
            merged = model(ids)
        self.assertAlmostEqual(spec.scaling, 3.0)
        self.assertLess(float((with_lora - merged).abs().max()), 1e-4)

    def test_lora_plus_trains_a_slower_than_b(self):
        model = random_model(BASE)
        apply_lora(model, LoRASpec(rank=4, alpha=8.0, dropout=0.0, target_modules=("q_proj", "down_proj")), seed=0)
        optimizer = torch.optim.AdamW(optimizer_groups(model, 16.0), lr=1.0)
        set_learning_rate(optimizer, 1e-3)
        a_group, b_group = optimizer.param_groups
        modules = [module for _, module in model.lora_modules()]
        self.assertEqual(len(modules), 2 * BASE["num_hidden_layers"])
        self.assertEqual([id(p) for p in a_group["params"]], [id(m.lora_A) for m in modules])
        self.assertEqual([id(p) for p in b_group["params"]], [id(m.lora_B) for m in modules])
        self.assertAlmostEqual(a_group["lr"], 1e-3 / 16)
        self.assertAlmostEqual(b_group["lr"], 1e-3)
        set_learning_rate(optimizer, 2e-3)
        self.assertAlmostEqual(a_group["lr"], 2e-3 / 16)

    def test_checkpoint_round_trip_through_files(self):
        model = random_model(dict(BASE, architectures=["Qwen2ForCausalLM"]))
        with tempfile.TemporaryDirectory() as tmp:
            save_file({k: v.half() for k, v in base_state_dict(model).items()}, os.path.join(tmp, "model.safetensors"))
            import json

            with open(os.path.join(tmp, "config.json"), "w") as f:
                json.dump(dict(BASE, architectures=["Qwen2ForCausalLM"]), f)
            loaded = load_model(tmp)
            ids = torch.arange(8)[None]
            with torch.no_grad():
                self.assertLess(float((loaded(ids) - model(ids)).abs().max()), 0.05)


if __name__ == "__main__":
    unittest.main()
