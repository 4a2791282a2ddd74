"""Checkpoints hold adapter, optimizer, schedule, RNG and data position: resuming from one gives the
same trajectory and final loss as never stopping."""
import json
import os
import tempfile
import unittest

from helpers import code_chats, fixture_model, quick_config, run_train, write_chats

from lathe_trainer.safetensors import load_file


class Resume(unittest.TestCase):
    def test_resume_matches_uninterrupted_run(self):
        model = fixture_model()
        # Dropout is on so the test also covers the random state across the restart.
        config = quick_config(
            epochs=2,
            batch_size=4,
            checkpoint_interval=5,
            checkpoints_to_keep=5,
            lora={"r": 8, "alpha": 16, "dropout": 0.1},
        )
        with tempfile.TemporaryDirectory() as tmp:
            train = write_chats(os.path.join(tmp, "train.ltok"), model, code_chats(32))
            valid = write_chats(os.path.join(tmp, "valid.ltok"), model, code_chats(8, seed=11))
            full = run_train(model, train, config, os.path.join(tmp, "full"), valid=valid)
            self.assertEqual(full.returncode, 0, full.stderr[-3000:])
            self.assertEqual(full.last("done")["step"], 16)
            checkpoints = [e["path"] for e in full.of("checkpoint")]
            self.assertEqual([os.path.basename(p) for p in checkpoints], ["step-5", "step-10", "step-15"])
            checkpoint = checkpoints[0]
            for name in ("adapter_model.safetensors", "adapter_config.json", "trainer_state.json", "training_state.pt"):
                self.assertTrue(os.path.exists(os.path.join(checkpoint, name)), name)
            with open(os.path.join(checkpoint, "trainer_state.json")) as f:
                state = json.load(f)
            self.assertEqual((state["step"], state["epoch"], state["batch_in_epoch"]), (5, 0, 5))

            resumed = run_train(model, train, config, os.path.join(tmp, "resumed"), valid=valid, resume=checkpoint)
            self.assertEqual(resumed.returncode, 0, resumed.stderr[-3000:])
            started = resumed.last("started")
            self.assertEqual(started["start_step"], 5)
            full_losses, resumed_losses = full.losses(), resumed.losses()
            self.assertEqual(sorted(resumed_losses), list(range(6, 17)))
            for step, loss in resumed_losses.items():
                self.assertAlmostEqual(loss, full_losses[step], delta=1e-5, msg=f"step {step}")
            a = full.last("done")["metrics"]
            b = resumed.last("done")["metrics"]
            self.assertAlmostEqual(a["train_loss"], b["train_loss"], delta=1e-5)
            self.assertAlmostEqual(a["valid_loss"], b["valid_loss"], delta=1e-5)
            self.assertEqual(a["trained_tokens"], b["trained_tokens"])

            tensors_a, _ = load_file(os.path.join(tmp, "full", "adapter", "adapter_model.safetensors"))
            tensors_b, _ = load_file(os.path.join(tmp, "resumed", "adapter", "adapter_model.safetensors"))
            self.assertEqual(set(tensors_a), set(tensors_b))
            for name in tensors_a:
                self.assertLess(float((tensors_a[name] - tensors_b[name]).abs().max()), 1e-5, name)
            with open(os.path.join(tmp, "resumed", "metrics.csv")) as f:
                rows = f.read().splitlines()
            self.assertEqual(rows[0], "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy")
            self.assertEqual(len(rows), 17, "the resumed run's metrics keep the steps before the checkpoint")

    def test_resume_refuses_a_different_config(self):
        model = fixture_model()
        with tempfile.TemporaryDirectory() as tmp:
            train = write_chats(os.path.join(tmp, "train.ltok"), model, code_chats(16))
            first = run_train(model, train, quick_config(epochs=2, checkpoint_interval=1), os.path.join(tmp, "a"))
            self.assertEqual(first.returncode, 0, first.stderr[-2000:])
            checkpoint = first.of("checkpoint")[0]["path"]
            other = run_train(model, train, quick_config(epochs=2, learning_rate=0.01), os.path.join(tmp, "b"), resume=checkpoint)
            self.assertEqual(other.returncode, 1)
            self.assertEqual(other.last("error")["code"], "checkpoint_invalid")
            missing = run_train(model, train, quick_config(epochs=2), os.path.join(tmp, "c"), resume=os.path.join(tmp, "nope"))
            self.assertEqual(missing.last("error")["code"], "checkpoint_invalid")


if __name__ == "__main__":
    unittest.main()
