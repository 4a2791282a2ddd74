"""Early stopping on validation loss and the best checkpoint: on data whose validation answers cannot
be learned from the training answers, the validation loss turns up as the model memorises; the run
stops before its last epoch and the published adapter is the best checkpoint's."""
import json
import os
import tempfile
import unittest

from helpers import code_chats, fixture_model, quick_config, run_train, write_chats

from lathe_trainer.safetensors import load_file


class EarlyStopping(unittest.TestCase):
    def test_stops_on_rising_validation_loss_and_publishes_the_best_checkpoint(self):
        model = fixture_model()
        config = quick_config(epochs=30, batch_size=8, learning_rate=0.004, early_stopping_patience=2, checkpoints_to_keep=1, lora={"r": 8, "alpha": 16, "dropout": 0.0})
        with tempfile.TemporaryDirectory() as tmp:
            train = write_chats(os.path.join(tmp, "train.ltok"), model, code_chats(16))
            # Same questions, other codes: memorising the training codes makes these less likely.
            valid = write_chats(os.path.join(tmp, "valid.ltok"), model, code_chats(16, seed=99))
            run = run_train(model, train, config, os.path.join(tmp, "out"), valid=valid)
            self.assertEqual(run.returncode, 0, run.stderr[-3000:])
            done = run.last("done")
            total = run.last("started")["total_steps"]
            self.assertTrue(done["early_stopped"])
            self.assertLess(done["step"], total - 2, "stopped before the last epoch")
            best = done["best_checkpoint"]
            losses = {e["step"]: e["valid_loss"] for e in run.of("eval")}
            self.assertEqual(best["best_step"], min(losses, key=losses.get))
            self.assertAlmostEqual(best["best_loss"], min(losses.values()), places=5)
            self.assertEqual(done["adapter_from"], {"selected": "best", "step": best["best_step"]})
            self.assertIn("early stopping at step", run.stderr)
            # The best checkpoint survives pruning beside the newest one, and is what was published.
            kept = sorted(os.listdir(os.path.join(tmp, "out", "checkpoints")))
            self.assertIn(f"step-{best['best_step']}", kept)
            published, _ = load_file(os.path.join(tmp, "out", "adapter", "adapter_model.safetensors"))
            checkpoint, _ = load_file(os.path.join(tmp, "out", "checkpoints", f"step-{best['best_step']}", "adapter_model.safetensors"))
            for name in published:
                self.assertTrue((published[name] == checkpoint[name]).all(), name)
            with open(os.path.join(tmp, "out", "checkpoints", f"step-{best['best_step']}", "trainer_state.json")) as f:
                self.assertEqual(json.load(f)["best"]["best_step"], best["best_step"])

    def test_last_adapter_when_asked(self):
        model = fixture_model()
        config = quick_config(epochs=30, batch_size=8, learning_rate=0.004, early_stopping_patience=2, final_adapter="last", lora={"r": 8, "alpha": 16, "dropout": 0.0})
        with tempfile.TemporaryDirectory() as tmp:
            train = write_chats(os.path.join(tmp, "train.ltok"), model, code_chats(16))
            valid = write_chats(os.path.join(tmp, "valid.ltok"), model, code_chats(16, seed=99))
            run = run_train(model, train, config, os.path.join(tmp, "out"), valid=valid)
            self.assertEqual(run.returncode, 0, run.stderr[-3000:])
            done = run.last("done")
            self.assertTrue(done["early_stopped"])
            self.assertEqual(done["adapter_from"], {"selected": "last", "step": done["step"]})


class ContinueFrom(unittest.TestCase):
    def test_starts_from_the_given_adapter(self):
        model = fixture_model()
        with tempfile.TemporaryDirectory() as tmp:
            train = write_chats(os.path.join(tmp, "train.ltok"), model, code_chats(16))
            first = run_train(model, train, quick_config(epochs=8, lora={"r": 8, "alpha": 16, "dropout": 0.0}), os.path.join(tmp, "first"))
            self.assertEqual(first.returncode, 0, first.stderr[-3000:])
            adapter = os.path.join(tmp, "first", "adapter")
            # The job's own LoRA shape differs: the adapter's shape wins, since its weights must fit.
            config = quick_config(epochs=1, learning_rate=1e-9, lora={"r": 4, "alpha": 4, "dropout": 0.0})
            cmd_out = os.path.join(tmp, "second")
            import subprocess
            from helpers import PYTHON, train_command, trainer_env, write_config
            cmd = [PYTHON, *train_command(model, train, write_config(os.path.join(tmp, "c.json"), config), cmd_out), "--init-adapter", adapter]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=trainer_env(), timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
            events = [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]
            first_loss = next(e for e in events if e["event"] == "progress")["train_loss"]
            # Starting from the trained adapter, the first loss is where the first job ended, not the base's.
            losses = first.losses()
            self.assertLess(first_loss, losses[1] - 0.5 * (losses[1] - losses[max(losses)]))
            a, _ = load_file(os.path.join(adapter, "adapter_model.safetensors"))
            b, _ = load_file(os.path.join(cmd_out, "adapter", "adapter_model.safetensors"))
            self.assertEqual(set(a), set(b))
            self.assertLess(max(float((a[k] - b[k]).abs().max()) for k in a), 1e-3)

            broken = os.path.join(tmp, "missing")
            proc = subprocess.run([PYTHON, *train_command(model, train, os.path.join(tmp, "c.json"), os.path.join(tmp, "third")), "--init-adapter", broken], capture_output=True, text=True, env=trainer_env(), timeout=300)
            self.assertEqual(proc.returncode, 1)
            error = [json.loads(l) for l in proc.stdout.splitlines() if l.strip()][-1]
            self.assertEqual(error["code"], "init_adapter_invalid")


if __name__ == "__main__":
    unittest.main()
