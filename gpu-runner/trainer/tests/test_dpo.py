"""Preference tuning (dpo.py): the reference is the base with the adapter switched off, the first
step's loss is log 2, and DPO (with the chosen-output NLL term the platform sets) on pairs whose
preferred answer is invented makes greedy answers follow the preferred output, which the base does
not produce."""
import math
import os
import tempfile
import unittest

import torch

from helpers import code_chats, fixture_model, run_train, run_train_in_process, tokenizer, write_chats

from lathe_trainer import dpo
from lathe_trainer.inference import generate_greedy, load_for_inference
from lathe_trainer.lora import LoRASpec, apply_lora
from lathe_trainer.model import load_model
from lathe_trainer.tokenizer import encode_prompt

IM_END = 2
LORA = {"r": 16, "alpha": 32, "dropout": 0.0, "target_modules": ["q", "k", "v", "o", "gate", "up", "down"]}


def greedy_answers(model_dir, adapter_dir, chats):
    model = load_for_inference(model_dir, adapter_dir)
    tok = tokenizer(model_dir)
    return [
        tok.decode(generate_greedy(model, encode_prompt(tok, chat[:1]), 24, stop_tokens=[IM_END]), skip_special_tokens=True)
        for chat in chats
    ]


def pairs_file(path, model_dir, chats, rejected_answers):
    """Chosen then rejected records, as the platform's tokenizer writes preference data."""
    records = []
    for chat, rejected in zip(chats, rejected_answers):
        records.append(chat)
        records.append([chat[0], {"role": "assistant", "content": rejected}])
    return write_chats(path, model_dir, records)


class Reference(unittest.TestCase):
    def test_adapter_off_gives_the_base_exactly_and_comes_back(self):
        torch.set_num_threads(1)
        model = load_model(fixture_model(), device=torch.device("cpu"), dtype=torch.float32)
        ids = torch.tensor([[1, 5, 9, 40, 2, 7]])
        with torch.no_grad():
            base = model(ids)
            apply_lora(model, LoRASpec(4, 8.0, 0.0, ("q_proj", "v_proj", "down_proj")), seed=3)
            for _name, module in model.lora_modules():
                module.lora_B.data.normal_(0, 0.5)
            tuned = model(ids)
            with dpo.adapter_disabled(model):
                reference = model(ids)
            again = model(ids)
        self.assertGreater(float((tuned - base).abs().max()), 1e-3)
        self.assertTrue(torch.equal(reference, base))
        self.assertTrue(torch.equal(again, tuned))
        self.assertEqual(len(list(model.lora_modules())), 12)


class Training(unittest.TestCase):
    def test_first_step_is_log_two_and_odd_record_counts_are_refused(self):
        model = fixture_model()
        chats = code_chats(4)
        with tempfile.TemporaryDirectory() as tmp:
            train = pairs_file(os.path.join(tmp, "pairs.ltok"), model, chats, ["No idea."] * 4)
            run = run_train_in_process(model, train, {"method": "dpo", "dpo_beta": 0.5, "epochs": 1, "batch_size": 2, "threads": 1, "lora": LORA}, os.path.join(tmp, "out"))
            self.assertEqual(run.returncode, 0, run.stderr[-3000:])
            first = run.of("progress")[0]
            self.assertAlmostEqual(first["train_loss"], math.log(2), places=5)
            self.assertEqual(first["rewards_chosen"], 0.0)
            self.assertEqual(first["reward_margin"], 0.0)
            self.assertEqual(run.last("started")["method"], "dpo")
            self.assertEqual(run.last("started")["total_steps"], 2)

            odd = write_chats(os.path.join(tmp, "odd.ltok"), model, chats[:3])
            bad = run_train_in_process(model, odd, {"method": "dpo", "threads": 1}, os.path.join(tmp, "odd-out"))
            self.assertEqual(bad.returncode, 1)
            self.assertEqual(bad.last("error")["code"], "dataset_invalid")
            packed = run_train_in_process(model, train, {"method": "dpo", "packing": True}, os.path.join(tmp, "packed-out"))
            self.assertEqual(packed.last("error")["code"], "invalid_config")
            beta = run_train_in_process(model, train, {"method": "dpo", "dpo_beta": 0}, os.path.join(tmp, "beta-out"))
            self.assertEqual(beta.last("error")["code"], "invalid_config")

    def test_dpo_makes_greedy_answers_follow_the_preferred_output(self):
        torch.set_num_threads(1)
        model = fixture_model()
        chats = code_chats(24, seed=11)
        preferred = [chat[1]["content"] for chat in chats]
        base_replies = greedy_answers(model, None, chats)
        with tempfile.TemporaryDirectory() as tmp:
            # The rejected side is what the base says now: DPO has to move away from it.
            train = pairs_file(os.path.join(tmp, "pairs.ltok"), model, chats, [r or "I do not know." for r in base_replies])
            run = run_train(
                model,
                train,
                # What the platform sends for these 24 pairs with every hyperparameter on "auto"
                # (batch 1, 42 epochs, the width-scaled rate, the trainer's default LoRA with LoRA+).
                {
                    "method": "dpo",
                    "dpo_beta": 0.1,
                    "dpo_nll_weight": 1.0,
                    "epochs": 42,
                    "batch_size": 1,
                    "learning_rate": 0.00226,
                    "scheduler": "cosine",
                    "warmup_ratio": 0.03,
                    "seed": 1,
                    "threads": 1,
                    "log_interval": 10,
                    "checkpoint_interval": 1000,
                },
                os.path.join(tmp, "out"),
                timeout=900,
            )
            self.assertEqual(run.returncode, 0, run.stderr[-3000:])
            tuned_replies = greedy_answers(model, os.path.join(tmp, "out", "adapter"), chats)
        last = run.of("progress")[-1]
        base_hits = sum(r == e for r, e in zip(base_replies, preferred))
        tuned_hits = sum(r == e for r, e in zip(tuned_replies, preferred))
        print(f"dpo check: tuned {tuned_hits}/24, base {base_hits}/24, last step {last}, {run.seconds:.1f} s")
        self.assertEqual(base_hits, 0)
        # Most prompts (17/24 when this was written); the rejected answers must not come back.
        self.assertGreaterEqual(tuned_hits, 13, list(zip(tuned_replies, preferred)))
        self.assertEqual(sum(r == b for r, b in zip(tuned_replies, base_replies)), 0)
        self.assertGreater(last["reward_margin"], 0)
        self.assertGreaterEqual(last["preference_accuracy"], 0.9)


if __name__ == "__main__":
    unittest.main()
