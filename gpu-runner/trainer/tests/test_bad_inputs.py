"""Bad input ends in one `error` event with a stable code and a readable message, exit code 1, and no
adapter where the platform would publish it. Most cases call the trainer's entry point in this
process; the command line itself is checked by the missing-arguments and full-disk cases."""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

import torch

from helpers import PYTHON, code_chats, fixture_model, quick_config, run_train, run_train_in_process, trainer_env, write_chats

from lathe_trainer.ltok import HEADER, MAGIC, write_ltok
from lathe_trainer.safetensors import load_file, save_file


class BadInputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = fixture_model()
        cls.tmp = tempfile.mkdtemp(prefix="lathe-bad-inputs-")
        cls.train = write_chats(os.path.join(cls.tmp, "train.ltok"), cls.model, code_chats(8))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def model_copy(self, name):
        path = os.path.join(self.tmp, name)
        shutil.copytree(self.model, path)
        return path

    def expect_error(self, code, model=None, train=None, config=None, valid=None, contains=()):
        out = os.path.join(self.tmp, f"out-{self.id().rsplit('.', 1)[-1]}-{code}")
        run = run_train_in_process(model or self.model, train or self.train, config or quick_config(), out, valid=valid)
        self.assertEqual(run.returncode, 1, f"expected failure {code}; stdout:\n{run.stdout}\nstderr:\n{run.stderr[-2000:]}")
        error = run.last("error")
        self.assertEqual(error["code"], code, error)
        self.assertEqual(run.events[-1], error, "the error is the last event")
        self.assertFalse(any(e["event"] == "done" for e in run.events))
        for fragment in contains:
            self.assertIn(fragment, error["message"])
        self.assertFalse(os.path.exists(os.path.join(out, "adapter")), "no adapter may be published after an error")
        if os.path.isdir(out):
            leftovers = [n for n in os.listdir(out) if ".tmp" in n]
            self.assertEqual(leftovers, [], "temporary files are cleaned up")
        return error

    def test_missing_model_folder(self):
        self.expect_error("model_not_found", model=os.path.join(self.tmp, "no-such-model"))

    def test_missing_weights(self):
        model = self.model_copy("no-weights")
        os.unlink(os.path.join(model, "model.safetensors"))
        self.expect_error("missing_weights", model=model)

    def test_truncated_safetensors(self):
        model = self.model_copy("truncated")
        path = os.path.join(model, "model.safetensors")
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        self.expect_error("corrupt_weights", model=model, contains=("truncated",))

    def test_garbage_safetensors_header(self):
        model = self.model_copy("garbage")
        with open(os.path.join(model, "model.safetensors"), "r+b") as f:
            f.seek(8)
            f.write(b"\x00not json at all")
        self.expect_error("corrupt_weights", model=model)

    def test_shapes_that_contradict_config(self):
        model = self.model_copy("wrong-shape")
        with open(os.path.join(model, "config.json")) as f:
            config = json.load(f)
        config["intermediate_size"] = 256
        with open(os.path.join(model, "config.json"), "w") as f:
            json.dump(config, f)
        self.expect_error("weight_shape_mismatch", model=model, contains=("mlp", "256"))

    def test_unsupported_architecture(self):
        model = self.model_copy("gpt2")
        with open(os.path.join(model, "config.json")) as f:
            config = json.load(f)
        config["architectures"] = ["GPT2LMHeadModel"]
        with open(os.path.join(model, "config.json"), "w") as f:
            json.dump(config, f)
        error = self.expect_error("unsupported_architecture", model=model)
        for name in ("GPT2LMHeadModel", "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"):
            self.assertIn(name, error["message"])

    def test_empty_dataset(self):
        path = os.path.join(self.tmp, "empty.ltok")
        with open(path, "wb") as f:
            f.write(HEADER.pack(MAGIC, 1, 0))
        self.expect_error("empty_dataset", train=path)

    def test_dataset_without_trainable_tokens(self):
        path = os.path.join(self.tmp, "unmasked.ltok")
        write_ltok(path, [([1, 40, 41, 42], [0, 0, 0, 0]), ([1, 50], [0, 0])])
        self.expect_error("empty_dataset", train=path, contains=("trainable",))

    def test_truncated_dataset_names_the_offset(self):
        path = os.path.join(self.tmp, "truncated.ltok")
        shutil.copy(self.train, path)
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(size - 3)
        self.expect_error("dataset_invalid", train=path, contains=("byte offset",))

    def test_misaligned_dataset(self):
        path = os.path.join(self.tmp, "misaligned.ltok")
        with open(path, "wb") as f:
            f.write(HEADER.pack(MAGIC, 1, 0))
            f.write(struct.pack("<I3I3B", 3, 1, 2, 3, 0, 1, 1))
            f.write(b"\x07")
        self.expect_error("dataset_invalid", train=path, contains=("byte offset 35",))

    def test_token_outside_vocabulary(self):
        path = os.path.join(self.tmp, "oov.ltok")
        write_ltok(path, [([1, 40, 99999], [0, 1, 1])])
        self.expect_error("token_out_of_range", train=path, contains=("99999",))

    def test_sequence_length_over_context(self):
        self.expect_error(
            "sequence_length_exceeds_context", config=quick_config(sequence_length=4096), contains=("4096", "1024")
        )

    def test_invalid_config(self):
        self.expect_error("invalid_config", config=quick_config(learning_rate=-1), contains=("learning_rate",))
        self.expect_error("invalid_config", config=dict(quick_config(), epochs_typo=2), contains=("epochs_typo",))
        self.expect_error("invalid_config", config=quick_config(lora={"target_modules": ["qkv"]}), contains=("qkv",))

    def test_missing_arguments(self):
        proc = subprocess.run(
            [PYTHON, "-m", "lathe_trainer.train", "--model", self.model],
            capture_output=True,
            text=True,
            env=trainer_env(),
        )
        self.assertEqual(proc.returncode, 1)
        event = json.loads(proc.stdout.strip().splitlines()[-1])
        self.assertEqual((event["event"], event["code"]), ("error", "invalid_arguments"))

    def test_nan_loss(self):
        model = self.model_copy("nan")
        tensors, metadata = load_file(os.path.join(model, "model.safetensors"))
        tensors["model.norm.weight"][0] = float("nan")
        save_file(tensors, os.path.join(model, "model.safetensors"), metadata)
        error = self.expect_error("nan_loss", model=model, config=quick_config(checkpoint_interval=1))
        self.assertIn("step 1", error["message"])

    def test_full_disk(self):
        mount_point = os.path.join(self.tmp, "small-disk")
        os.makedirs(mount_point)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", mount_point], capture_output=True)
        if mounted.returncode != 0:
            self.skipTest(f"cannot mount a small tmpfs to fill (needs root): {mounted.stderr.decode().strip()}")
        try:
            out = os.path.join(mount_point, "out")
            run = run_train(self.model, self.train, quick_config(checkpoint_interval=1, epochs=2), out)
            self.assertEqual(run.returncode, 1, run.stdout)
            error = run.last("error")
            self.assertEqual(error["code"], "disk_full", error)
            self.assertFalse(os.path.exists(os.path.join(out, "adapter")))
            leftovers = []
            for root, dirs, files in os.walk(out):
                leftovers += [n for n in dirs + files if ".tmp" in n]
            self.assertEqual(leftovers, [], "half-written files are removed")
        finally:
            subprocess.run(["umount", mount_point], check=False)


if __name__ == "__main__":
    unittest.main()
