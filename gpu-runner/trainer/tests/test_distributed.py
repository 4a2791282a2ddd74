"""Data parallel under torchrun (gloo on CPU): two processes follow the same loss curve as one
process with the same global batch."""
import os
import tempfile
import unittest

from helpers import code_chats, fixture_model, quick_config, run_train, write_chats

TORCHRUN = ("-m", "lathe_trainer.launch", "--standalone", "--nnodes=1", "--nproc_per_node=2")


class DataParallel(unittest.TestCase):
    def test_two_processes_match_one(self):
        model = fixture_model()
        config = quick_config(epochs=2, batch_size=8, max_steps=8, checkpoint_interval=100)
        with tempfile.TemporaryDirectory() as tmp:
            train = write_chats(os.path.join(tmp, "train.ltok"), model, code_chats(32))
            valid = write_chats(os.path.join(tmp, "valid.ltok"), model, code_chats(6, seed=5))
            single = run_train(model, train, config, os.path.join(tmp, "one"), valid=valid)
            self.assertEqual(single.returncode, 0, single.stderr[-3000:])
            double = run_train(model, train, config, os.path.join(tmp, "two"), valid=valid, launcher=TORCHRUN)
            self.assertEqual(double.returncode, 0, double.stderr[-3000:])
            self.assertEqual(double.last("started")["world_size"], 2)
            self.assertEqual(len(double.of("started")), 1, "only the first process writes events")
            one, two = single.losses(), double.losses()
            self.assertEqual(sorted(one), list(range(1, 9)))
            self.assertEqual(sorted(one), sorted(two))
            for step in one:
                self.assertAlmostEqual(one[step], two[step], delta=1e-4 * max(1.0, one[step]), msg=f"step {step}")
            self.assertAlmostEqual(
                single.last("eval")["valid_loss"], double.last("eval")["valid_loss"], delta=1e-4
            )
            accumulated = run_train(
                model, train, dict(config, gradient_accumulation_steps=4), os.path.join(tmp, "accumulated")
            )
            self.assertEqual(accumulated.returncode, 0, accumulated.stderr[-3000:])
            for step, loss in accumulated.losses().items():
                self.assertAlmostEqual(loss, one[step], delta=1e-4 * max(1.0, loss), msg=f"accumulation, step {step}")
            print("data parallel: losses", [round(one[s], 5) for s in sorted(one)], "vs", [round(two[s], 5) for s in sorted(two)])


if __name__ == "__main__":
    unittest.main()
