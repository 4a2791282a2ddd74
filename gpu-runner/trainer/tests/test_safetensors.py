"""Our safetensors reader and writer: exact round trips, validation of damaged files, sharded
checkpoints, half-precision weights, and adapters in PEFT's layout."""
import json
import os
import struct
import tempfile
import unittest

import torch

from helpers import fixture_model

from lathe_trainer.errors import TrainerError
from lathe_trainer.inference import compute_logits, load_for_inference
from lathe_trainer.lora import LoRASpec, apply_lora, load_adapter, publish_adapter
from lathe_trainer.model import load_model
from lathe_trainer.safetensors import SafetensorsFile, load_file, save_file


class RoundTrip(unittest.TestCase):
    def test_every_dtype_round_trips_exactly(self):
        g = torch.Generator().manual_seed(0)
        tensors = {
            "f32": torch.randn(3, 5, generator=g),
            "f16": torch.randn(7, generator=g).half(),
            "bf16": torch.randn(2, 2, 2, generator=g).bfloat16(),
            "f64": torch.randn(4, generator=g).double(),
            "i64": torch.arange(-3, 9),
            "i32": torch.arange(5, dtype=torch.int32),
            "u8": torch.arange(250, 256, dtype=torch.uint8),
            "bool": torch.tensor([True, False, True]),
            "scalar": torch.tensor(3.5),
            "empty": torch.zeros(0, 4),
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.safetensors")
            save_file(tensors, path, metadata={"format": "pt", "note": "x"})
            loaded, metadata = load_file(path)
            self.assertEqual(metadata, {"format": "pt", "note": "x"})
            self.assertEqual(set(loaded), set(tensors))
            for name, tensor in tensors.items():
                self.assertEqual(loaded[name].dtype, tensor.dtype, name)
                self.assertEqual(loaded[name].shape, tensor.shape, name)
                self.assertTrue(torch.equal(loaded[name], tensor), name)
            with open(path, "rb") as f:
                (header_len,) = struct.unpack("<Q", f.read(8))
                header = json.loads(f.read(header_len))
            self.assertEqual(header_len % 8, 0, "the header is padded to 8 bytes")
            self.assertEqual(header["f16"]["dtype"], "F16")
            self.assertEqual(header["bf16"]["dtype"], "BF16")
            self.assertEqual([n for n in os.listdir(tmp)], ["t.safetensors"])

    def test_damaged_files_are_refused_with_a_reason(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "t.safetensors")
            save_file({"a": torch.ones(16)}, path)
            with open(path, "rb") as f:
                good = f.read()
            cases = {
                "short": good[:5],
                "huge header": struct.pack("<Q", 1 << 40) + good[8:],
                "not json": good[:8] + b"{" * (len(good) - 8),
                "truncated data": good[:-4],
            }
            for name, data in cases.items():
                with open(path, "wb") as f:
                    f.write(data)
                with self.assertRaises(TrainerError, msg=name) as caught:
                    SafetensorsFile(path)
                self.assertEqual(caught.exception.code, "corrupt_weights", name)
            header = json.dumps({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}).encode()
            with open(path, "wb") as f:
                f.write(struct.pack("<Q", len(header)) + header + b"\0" * 12)
            with self.assertRaises(TrainerError) as caught:
                SafetensorsFile(path)
            self.assertIn("needs 16 bytes", caught.exception.message)


class CheckpointLayouts(unittest.TestCase):
    def test_sharded_and_half_precision_checkpoints_load(self):
        model_dir = fixture_model()
        tokens = [1, 20, 300, 41, 5, 600, 2]
        reference = compute_logits(load_for_inference(model_dir), tokens)
        tensors, _ = load_file(os.path.join(model_dir, "model.safetensors"))
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("config.json", "tokenizer.json"):
                with open(os.path.join(model_dir, name), "rb") as src, open(os.path.join(tmp, name), "wb") as dst:
                    dst.write(src.read())
            names = sorted(tensors)
            half = len(names) // 2
            shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
            weight_map = {}
            for shard, members in shards.items():
                save_file({n: tensors[n].to(torch.bfloat16) for n in members}, os.path.join(tmp, shard))
                weight_map.update({n: shard for n in members})
            with open(os.path.join(tmp, "model.safetensors.index.json"), "w") as f:
                json.dump({"metadata": {}, "weight_map": weight_map}, f)
            logits = compute_logits(load_for_inference(tmp), tokens)
            self.assertEqual(logits.dtype, torch.float32)
            self.assertLess(float((logits - reference).abs().max()), 0.25, "bf16 weights give nearly the same logits")
            os.unlink(os.path.join(tmp, "model-00002-of-00002.safetensors"))
            with self.assertRaises(TrainerError) as caught:
                load_model(tmp)
            self.assertEqual(caught.exception.code, "missing_weights")
            self.assertIn("model-00002-of-00002.safetensors", caught.exception.message)

    def test_adapter_uses_peft_layout_and_round_trips(self):
        model_dir = fixture_model()
        model = load_model(model_dir)
        spec = LoRASpec(rank=4, alpha=8.0, dropout=0.0, target_modules=("q_proj", "v_proj", "down_proj"))
        apply_lora(model, spec, seed=5)
        with torch.no_grad():
            for _name, module in model.lora_modules():
                module.lora_B.normal_(0, 0.02)
        tokens = [1, 33, 44, 55, 66]
        expected = compute_logits(model, tokens)
        with tempfile.TemporaryDirectory() as tmp:
            adapter = os.path.join(tmp, "adapter")
            publish_adapter(model, spec, "lathe-tiny-chat", adapter)
            self.assertEqual(sorted(os.listdir(adapter)), ["adapter_config.json", "adapter_model.safetensors"])
            with open(os.path.join(adapter, "adapter_config.json")) as f:
                config = json.load(f)
            self.assertEqual(config["peft_type"], "LORA")
            self.assertEqual(config["task_type"], "CAUSAL_LM")
            self.assertEqual((config["r"], config["lora_alpha"]), (4, 8.0))
            self.assertEqual(config["target_modules"], ["q_proj", "v_proj", "down_proj"])
            tensors, _ = load_file(os.path.join(adapter, "adapter_model.safetensors"))
            self.assertIn("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", tensors)
            self.assertIn("base_model.model.model.layers.3.mlp.down_proj.lora_B.weight", tensors)
            self.assertEqual(tuple(tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].shape), (4, 128))
            self.assertEqual(tuple(tensors["base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"].shape), (64, 4))
            self.assertEqual(len(tensors), 4 * 3 * 2)
            reloaded = load_for_inference(model_dir, adapter)
            self.assertLess(float((compute_logits(reloaded, tokens) - expected).abs().max()), 1e-5)
            base = compute_logits(load_for_inference(model_dir), tokens)
            self.assertGreater(float((base - expected).abs().max()), 1e-3, "the adapter changes the output")


if __name__ == "__main__":
    unittest.main()
