"""The learning check: LoRA on the fixture memorises 32 arbitrary question-to-answer pairs that the
base model cannot produce."""
import os
import tempfile
import unittest

import torch

from helpers import code_chats, fixture_model, run_train, tokenizer, write_chats

from lathe_trainer.inference import generate_greedy, load_for_inference
from lathe_trainer.tokenizer import encode_prompt

IM_END = 2


def answers(model_dir, adapter_dir, chats):
    torch.set_num_threads(1)
    model = load_for_inference(model_dir, adapter_dir)
    tok = tokenizer(model_dir)
    replies = []
    for chat in chats:
        prompt = encode_prompt(tok, chat[:1])
        replies.append(tok.decode(generate_greedy(model, prompt, 24, stop_tokens=[IM_END]), skip_special_tokens=True))
    return replies


class LearningCheck(unittest.TestCase):
    def test_lora_learns_answers_the_base_cannot_guess(self):
        model = fixture_model()
        chats = code_chats(32)
        expected = [chat[1]["content"] for chat in chats]
        with tempfile.TemporaryDirectory() as tmp:
            train = write_chats(os.path.join(tmp, "train.ltok"), model, chats)
            valid = write_chats(os.path.join(tmp, "valid.ltok"), model, chats[:8])
            run = run_train(
                model,
                train,
                {
                    "epochs": 80,
                    "batch_size": 8,
                    "learning_rate": 0.002,
                    "scheduler": "constant",
                    "warmup_steps": 10,
                    "lora": {"r": 16, "alpha": 32, "dropout": 0.0, "target_modules": ["q", "k", "v", "o", "gate", "up", "down"]},
                    "seed": 1,
                    "threads": 1,
                    "log_interval": 20,
                    "checkpoint_interval": 1000,
                },
                os.path.join(tmp, "out"),
                valid=valid,
            )
            self.assertEqual(run.returncode, 0, run.stderr[-3000:])
            done = run.last("done")
            adapter = os.path.join(tmp, "out", "adapter")

            base_replies = answers(model, None, chats)
            tuned_replies = answers(model, adapter, chats)

        base_hits = sum(r == e for r, e in zip(base_replies, expected))
        tuned_hits = sum(r == e for r, e in zip(tuned_replies, expected))
        print(f"learning check: tuned {tuned_hits}/32, base {base_hits}/32, final train loss {done['metrics']['train_loss']}, {run.seconds:.1f} s")
        self.assertEqual(base_hits, 0, f"the base already knows answers: {base_replies}")
        for reply in base_replies:
            self.assertTrue(reply.strip(), "the base model should still reply with something")
        self.assertGreaterEqual(tuned_hits, 29, f"only {tuned_hits}/32 learnt: {list(zip(tuned_replies, expected))}")
        losses = run.losses()
        self.assertLess(losses[max(losses)], losses[min(losses)] / 3)


if __name__ == "__main__":
    unittest.main()
