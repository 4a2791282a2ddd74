"""The fixture tokenizer: GPT-2 pre-tokenization rules, BPE round trips, ChatML rendering and the
loss mask over assistant turns."""
import json
import os
import unittest

from helpers import fixture_model, tokenizer

from lathe_trainer.tokenizer import encode_chat, encode_prompt, pretokenize, render_chatml


def pieces(text):
    return [text[s:e] for s, e in pretokenize(text)]


class PreTokenizer(unittest.TestCase):
    def test_gpt2_split_rules(self):
        self.assertEqual(pieces("Hello world"), ["Hello", " world"])
        self.assertEqual(pieces("don't they'll"), ["don", "'t", " they", "'ll"])
        self.assertEqual(pieces("a  b"), ["a", " ", " b"])
        self.assertEqual(pieces("x\n\ny"), ["x", "\n", "\n", "y"])
        self.assertEqual(pieces("end  "), ["end", "  "])
        self.assertEqual(pieces("12 apples!!"), ["12", " apples", "!!"])
        self.assertEqual(pieces("café 日本"), ["café", " 日本"])

    def test_whitespace_before_a_word_keeps_one_space_with_the_word(self):
        self.assertEqual(pieces("a   b"), ["a", "  ", " b"])
        self.assertEqual(pieces("a\n\n b"), ["a", "\n\n", " b"])
        self.assertEqual(pieces("tab\t x"), ["tab", "\t", " x"])


class FixtureTokenizer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = fixture_model()
        cls.tok = tokenizer(cls.model)

    def test_special_tokens_and_files(self):
        self.assertEqual(self.tok.token_to_id("<|endoftext|>"), 0)
        self.assertEqual(self.tok.token_to_id("<|im_start|>"), 1)
        self.assertEqual(self.tok.token_to_id("<|im_end|>"), 2)
        with open(os.path.join(self.model, "tokenizer_config.json")) as f:
            config = json.load(f)
        self.assertEqual((config["bos_token"], config["eos_token"], config["pad_token"]), ("<|im_start|>", "<|im_end|>", "<|endoftext|>"))
        self.assertIn("add_generation_prompt", config["chat_template"])
        with open(os.path.join(self.model, "config.json")) as f:
            self.assertEqual(json.load(f)["vocab_size"], self.tok.vocab_size)

    def test_round_trip_across_scripts(self):
        for text in ["Hello, world!", "Ça va? Größe. ¿Qué?", "Привет мир", "今日は天気がいい", "🚀 ok", "  spaced\n\n\ttext  ", "<|im_start|>user\nhi<|im_end|>"]:
            self.assertEqual(self.tok.decode(self.tok.encode(text)), text)
        ids = self.tok.encode("<|im_start|>user\nhi<|im_end|>")
        self.assertEqual((ids[0], ids[-1]), (1, 2))
        self.assertEqual(self.tok.decode(ids, skip_special_tokens=True), "user\nhi")

    def test_chat_mask_covers_assistant_content_and_its_end_token(self):
        chat = [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of Peru?"},
            {"role": "assistant", "content": "Lima."},
            {"role": "user", "content": "And Norway?"},
            {"role": "assistant", "content": "Oslo.", "weight": 0},
            {"role": "user", "content": "Kenya?"},
            {"role": "assistant", "content": "Nairobi."},
        ]
        ids, mask = encode_chat(self.tok, chat)
        self.assertEqual(ids, self.tok.encode(render_chatml(chat)))
        trained = []
        current = []
        for token, flag in zip(ids, mask):
            if flag:
                current.append(token)
            elif current:
                trained.append(current)
                current = []
        self.assertEqual([self.tok.decode(t) for t in trained], ["Lima.<|im_end|>", "Nairobi.<|im_end|>"])
        prompt = encode_prompt(self.tok, chat[:2])
        self.assertEqual(self.tok.decode(prompt), render_chatml(chat[:2]) + "<|im_start|>assistant\n")


if __name__ == "__main__":
    unittest.main()
