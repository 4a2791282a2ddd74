"""SIGTERM: the trainer writes a checkpoint, reports `cancelled` and exits 0 within seconds; the
checkpoint then resumes to the same result as an uninterrupted run."""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from helpers import PYTHON, code_chats, fixture_model, quick_config, run_train, train_command, trainer_env, write_chats, write_config


class Cancel(unittest.TestCase):
    def test_sigterm_checkpoints_and_exits_cleanly(self):
        model = fixture_model()
        config = quick_config(epochs=40, max_steps=20, batch_size=4)
        with tempfile.TemporaryDirectory() as tmp:
            train = write_chats(os.path.join(tmp, "train.ltok"), model, code_chats(32))
            out = os.path.join(tmp, "out")
            config_path = write_config(os.path.join(tmp, "config.json"), config)
            proc = subprocess.Popen(
                [PYTHON, *train_command(model, train, config_path, out)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=trainer_env(),
            )
            events = []
            try:
                for line in proc.stdout:
                    event = json.loads(line)
                    events.append(event)
                    if event["event"] == "progress" and event["step"] >= 3:
                        break
                signalled = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                rest, stderr = proc.communicate(timeout=30)
                stopped = time.monotonic() - signalled
            finally:
                if proc.poll() is None:
                    proc.kill()
            events += [json.loads(line) for line in rest.splitlines() if line.strip()]
            self.assertEqual(proc.returncode, 0, stderr[-3000:])
            self.assertLess(stopped, 15.0)
            cancelled = [e for e in events if e["event"] == "cancelled"]
            self.assertEqual(len(cancelled), 1, events)
            self.assertFalse(any(e["event"] in ("done", "error") for e in events))
            checkpoint = cancelled[0]["checkpoint"]
            step = cancelled[0]["step"]
            self.assertGreaterEqual(step, 3)
            self.assertLess(step, 20)
            self.assertTrue(checkpoint.endswith(f"step-{step}"), checkpoint)
            self.assertTrue(os.path.exists(os.path.join(checkpoint, "trainer_state.json")))
            self.assertFalse(os.path.exists(os.path.join(out, "adapter")), "a cancelled run publishes no adapter")
            self.assertEqual([n for n in os.listdir(os.path.join(out, "checkpoints")) if n.startswith(".")], [])

            resumed = run_train(model, train, config, os.path.join(tmp, "resumed"), resume=checkpoint)
            self.assertEqual(resumed.returncode, 0, resumed.stderr[-3000:])
            straight = run_train(model, train, config, os.path.join(tmp, "straight"))
            self.assertEqual(straight.returncode, 0, straight.stderr[-3000:])
            self.assertAlmostEqual(
                resumed.last("done")["metrics"]["train_loss"], straight.last("done")["metrics"]["train_loss"], delta=1e-5
            )
            print(f"cancel: stopped {stopped:.2f} s after SIGTERM at step {step}")


if __name__ == "__main__":
    unittest.main()
