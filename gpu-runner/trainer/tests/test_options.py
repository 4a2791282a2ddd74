"""Job-config options end to end on the fixture: packing, gradient checkpointing, evaluation on a
sample, schedules, metrics CSV and checkpoint retention."""
import csv
import math
import os
import tempfile
import unittest

from helpers import code_chats, fixture_model, quick_config, run_train_in_process, write_chats

from lathe_trainer.config import parse_train_config
from lathe_trainer.errors import TrainerError
from lathe_trainer.train import learning_rate_at


class Options(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = fixture_model()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.train = write_chats(os.path.join(cls.tmp.name, "train.ltok"), cls.model, code_chats(32))
        cls.valid = write_chats(os.path.join(cls.tmp.name, "valid.ltok"), cls.model, code_chats(12, seed=3))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_config(self, name, **config):
        run = run_train_in_process(self.model, self.train, quick_config(**config), os.path.join(self.tmp.name, name), valid=self.valid)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr[-2000:])
        return run

    def test_packing_fills_rows_with_whole_examples(self):
        run = self.run_config("packed", packing=True, sequence_length=128, batch_size=2)
        started = run.last("started")
        self.assertEqual(started["train_examples"], 32)
        self.assertLess(started["train_rows"], 16)
        self.assertEqual(started["truncated_examples"], 0)
        self.assertEqual(started["total_steps"], math.ceil(started["train_rows"] / 2))
        self.assertEqual(run.last("done")["metrics"]["trained_tokens"], started["trainable_tokens"])

    def test_gradient_checkpointing_changes_memory_not_results(self):
        plain = self.run_config("plain", max_steps=3)
        checkpointed = self.run_config("checkpointed", max_steps=3, gradient_checkpointing=True)
        for step, loss in plain.losses().items():
            self.assertAlmostEqual(loss, checkpointed.losses()[step], delta=1e-5)

    def test_sample_and_full_evaluations_and_metrics_csv(self):
        run = self.run_config("evals", epochs=2, eval_interval=3, eval_samples=5, checkpoint_interval=2, checkpoints_to_keep=2)
        evals = run.of("eval")
        self.assertEqual([(e["step"], e["full"]) for e in evals], [(3, False), (4, True), (6, False), (8, True)])
        sample_tokens = {e["valid_tokens"] for e in evals if not e["full"]}
        full_tokens = {e["valid_tokens"] for e in evals if e["full"]}
        self.assertEqual(len(sample_tokens), 1, "the sample is the same examples every time")
        self.assertLess(max(sample_tokens), min(full_tokens))
        out = os.path.join(self.tmp.name, "evals")
        self.assertEqual(sorted(os.listdir(os.path.join(out, "checkpoints"))), ["step-4", "step-6"])
        with open(os.path.join(out, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([int(r["step"]) for r in rows], list(range(1, 9)))
        self.assertEqual([r["step"] for r in rows if r["valid_loss"]], ["3", "4", "6", "8"])
        self.assertTrue(all(r["train_loss"] and r["train_accuracy"] for r in rows))

    def test_schedules(self):
        config = parse_train_config({"learning_rate": 1.0, "scheduler": "linear"})
        self.assertEqual([learning_rate_at(config, s, 10, 2) for s in (0, 1)], [0.5, 1.0])
        self.assertAlmostEqual(learning_rate_at(config, 6, 10, 2), 0.5)
        cosine = parse_train_config({"learning_rate": 1.0})
        self.assertAlmostEqual(learning_rate_at(cosine, 6, 10, 2), 0.5)
        self.assertAlmostEqual(learning_rate_at(cosine, 2, 10, 2), 1.0)
        run = self.run_config("warmup", epochs=2, max_steps=6, warmup_ratio=0.5, scheduler="constant", learning_rate=0.001)
        self.assertEqual([round(e["learning_rate"], 6) for e in run.of("progress")], [0.000333, 0.000667, 0.001, 0.001, 0.001, 0.001])

    def test_lora_plus_ratio(self):
        self.assertEqual(parse_train_config({}).lora.lr_ratio, 16.0)
        self.assertEqual(parse_train_config({"lora": {"lr_ratio": 1}}).lora.lr_ratio, 1.0)
        for bad in (0.5, 2000, "16"):
            with self.assertRaises(TrainerError) as caught:
                parse_train_config({"lora": {"lr_ratio": bad}})
            self.assertEqual(caught.exception.code, "invalid_config")
        self.assertNotEqual(parse_train_config({}).fingerprint(), parse_train_config({"lora": {"lr_ratio": 1}}).fingerprint())
        # B starts at zero, so A's gradient is zero on the first step: the runs part from step 3 on.
        plus = self.run_config("lora-plus", max_steps=4, scheduler="constant", learning_rate=0.002, lora={"r": 8, "alpha": 16, "dropout": 0.0}).losses()
        plain = self.run_config("lora-plain", max_steps=4, scheduler="constant", learning_rate=0.002, lora={"r": 8, "alpha": 16, "dropout": 0.0, "lr_ratio": 1}).losses()
        self.assertAlmostEqual(plus[2], plain[2], delta=1e-6)
        self.assertNotAlmostEqual(plus[4], plain[4], delta=1e-4)


if __name__ == "__main__":
    unittest.main()
