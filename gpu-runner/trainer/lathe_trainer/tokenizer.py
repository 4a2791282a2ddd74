"""Byte-level BPE (GPT-2 style) for tokenizer.json files: training a vocabulary, encoding, decoding,
and turning ChatML conversations into token ids with a loss mask. It implements exactly what the
fixture's tokenizer.json declares (ByteLevel pre-tokenizer with the GPT-2 split pattern, BPE merges,
special added tokens), so it agrees with the Hugging Face tokenizers library on that file."""
from __future__ import annotations

import json
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
# Unicode White_Space, which is what \s means in the GPT-2 pattern as the tokenizers library runs it.
_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


@lru_cache(maxsize=None)
def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


@lru_cache(maxsize=None)
def _unicode_to_bytes() -> Dict[str, int]:
    return {c: b for b, c in bytes_to_unicode().items()}


def _is_space(ch: str) -> bool:
    return ch in _WHITESPACE


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "L"


def _is_number(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "N"


def pretokenize(text: str) -> List[Tuple[int, int]]:
    """Character spans of the GPT-2 pattern
    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
    matched left to right, alternatives tried in order."""
    spans = []
    i, n = 0, len(text)
    while i < n:
        end = _match_at(text, i, n)
        spans.append((i, end))
        i = end
    return spans


def _match_at(text: str, i: int, n: int) -> int:
    for c in _CONTRACTIONS:
        if text.startswith(c, i):
            return i + len(c)
    j = i + 1 if text[i] == " " and i + 1 < n else i
    for test in (_is_letter, _is_number):
        if j < n and test(text[j]):
            k = j + 1
            while k < n and test(text[k]):
                k += 1
            return k
    if j < n and not (_is_space(text[j]) or _is_letter(text[j]) or _is_number(text[j])):
        k = j + 1
        while k < n and not (_is_space(text[k]) or _is_letter(text[k]) or _is_number(text[k])):
            k += 1
        return k
    k = i
    while k < n and _is_space(text[k]):
        k += 1
    if k == n or k - i == 1:
        return k
    # \s+(?!\S) gives back the last whitespace character when a non-space follows.
    return k - 1


def _byte_chars(piece: str) -> str:
    table = bytes_to_unicode()
    return "".join(table[b] for b in piece.encode("utf-8"))


def train_bpe(texts: Iterable[str], vocab_size: int, special_tokens: Sequence[str]) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """Learns merges until the vocabulary (specials, 256 byte symbols, merged symbols) reaches
    `vocab_size`. Ties between equally frequent pairs go to the lexicographically smallest pair,
    so the result depends only on the texts."""
    words: Counter = Counter()
    for text in texts:
        for start, end in pretokenize(text):
            words[_byte_chars(text[start:end])] += 1
    vocab: Dict[str, int] = {}
    for token in special_tokens:
        vocab[token] = len(vocab)
    for b in range(256):
        vocab[bytes_to_unicode()[b]] = len(vocab)
    sequences = {word: list(word) for word in words}
    merges: List[Tuple[str, str]] = []
    while len(vocab) < vocab_size:
        pairs: Counter = Counter()
        for word, count in words.items():
            symbols = sequences[word]
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = min(pairs.items(), key=lambda item: (-item[1], item[0]))[0]
        merged = best[0] + best[1]
        merges.append(best)
        vocab[merged] = len(vocab)
        for word in words:
            symbols = sequences[word]
            if len(symbols) < 2:
                continue
            out, k = [], 0
            while k < len(symbols):
                if k + 1 < len(symbols) and symbols[k] == best[0] and symbols[k + 1] == best[1]:
                    out.append(merged)
                    k += 2
                else:
                    out.append(symbols[k])
                    k += 1
            sequences[word] = out
    return vocab, merges


class ByteLevelBPE:
    """Encoder and decoder for a byte-level BPE tokenizer.json."""

    def __init__(self, vocab: Dict[str, int], merges: Sequence[Tuple[str, str]], special_tokens: Dict[str, int]):
        self.vocab = dict(vocab)
        self.ranks = {tuple(pair): rank for rank, pair in enumerate(merges)}
        self.special_tokens = dict(special_tokens)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        for token, i in self.special_tokens.items():
            self.id_to_token[i] = token
        # Longest first, so a special token that prefixes another never wins over it.
        self._specials_by_length = sorted(self.special_tokens, key=len, reverse=True)
        self._cache: Dict[str, List[int]] = {}

    @classmethod
    def from_file(cls, path: str) -> "ByteLevelBPE":
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
        model = data["model"]
        if model.get("type") != "BPE":
            raise ValueError(f"{path}: only BPE tokenizers are supported")
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        specials = {t["content"]: t["id"] for t in data.get("added_tokens", [])}
        return cls(model["vocab"], merges, specials)

    @property
    def vocab_size(self) -> int:
        return max(self.id_to_token) + 1

    def token_to_id(self, token: str) -> int:
        if token in self.special_tokens:
            return self.special_tokens[token]
        return self.vocab[token]

    def _bpe(self, word: str) -> List[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        symbols = list(word)
        while len(symbols) > 1:
            best_rank, best_at = None, -1
            for k in range(len(symbols) - 1):
                rank = self.ranks.get((symbols[k], symbols[k + 1]))
                if rank is not None and (best_rank is None or rank < best_rank):
                    best_rank, best_at = rank, k
            if best_rank is None:
                break
            first, second = symbols[best_at], symbols[best_at + 1]
            out, k = [], 0
            while k < len(symbols):
                if k + 1 < len(symbols) and symbols[k] == first and symbols[k + 1] == second:
                    out.append(first + second)
                    k += 2
                else:
                    out.append(symbols[k])
                    k += 1
            symbols = out
        ids = [self.vocab[s] for s in symbols]
        self._cache[word] = ids
        return ids

    def _split_specials(self, text: str) -> List[Tuple[int, int, bool]]:
        pieces, start, i = [], 0, 0
        while i < len(text):
            found = None
            if text[i] == "<":
                for token in self._specials_by_length:
                    if text.startswith(token, i):
                        found = token
                        break
            if found is None:
                i += 1
                continue
            if start < i:
                pieces.append((start, i, False))
            pieces.append((i, i + len(found), True))
            i += len(found)
            start = i
        if start < len(text):
            pieces.append((start, len(text), False))
        return pieces

    def encode_with_offsets(self, text: str) -> Tuple[List[int], List[Tuple[int, int]]]:
        """Token ids and, for each, the character span of `text` it came from (a character split
        across tokens belongs to each of them)."""
        ids: List[int] = []
        offsets: List[Tuple[int, int]] = []
        for start, end, special in self._split_specials(text):
            if special:
                ids.append(self.special_tokens[text[start:end]])
                offsets.append((start, end))
                continue
            for ps, pe in pretokenize(text[start:end]):
                piece = text[start + ps : start + pe]
                byte_owner = []
                for idx, ch in enumerate(piece):
                    byte_owner.extend([start + ps + idx] * len(ch.encode("utf-8")))
                pos = 0
                for token_id in self._bpe(_byte_chars(piece)):
                    length = len(self.id_to_token[token_id])
                    offsets.append((byte_owner[pos], byte_owner[pos + length - 1] + 1))
                    ids.append(token_id)
                    pos += length
        return ids, offsets

    def encode(self, text: str) -> List[int]:
        return self.encode_with_offsets(text)[0]

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        table = _unicode_to_bytes()
        out: List[str] = []
        pending = bytearray()
        for token_id in ids:
            token = self.id_to_token[int(token_id)]
            if token in self.special_tokens:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
                if not skip_special_tokens:
                    out.append(token)
                continue
            pending.extend(table[c] for c in token)
        out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)


IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
END_OF_TEXT = "<|endoftext|>"

# Jinja source stored in tokenizer_config.json; render_chatml below produces the same text.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def render_chatml(messages: Sequence[Dict[str, str]], add_generation_prompt: bool = False) -> str:
    text = "".join(f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n" for m in messages)
    if add_generation_prompt:
        text += f"{IM_START}assistant\n"
    return text


def encode_chat(
    tokenizer: ByteLevelBPE, messages: Sequence[Dict[str, str]]
) -> Tuple[List[int], List[int]]:
    """Token ids of the rendered conversation and the loss mask: 1 on the tokens of assistant
    contents and on the <|im_end|> that closes each assistant turn, 0 elsewhere."""
    text = render_chatml(messages)
    trained: List[Tuple[int, int]] = []
    cursor = 0
    for message in messages:
        prefix = f"{IM_START}{message['role']}\n"
        start = cursor + len(prefix)
        end = start + len(message["content"])
        if message["role"] == "assistant" and message.get("weight", 1) != 0:
            trained.append((start, end + len(IM_END)))
        cursor = end + len(IM_END) + 1
    ids, offsets = tokenizer.encode_with_offsets(text)
    mask = [1 if any(s < e2 and e > s2 for s2, e2 in trained) else 0 for s, e in offsets]
    return ids, mask


def encode_prompt(tokenizer: ByteLevelBPE, messages: Sequence[Dict[str, str]]) -> List[int]:
    return tokenizer.encode(render_chatml(messages, add_generation_prompt=True))


def tokenizer_json(vocab: Dict[str, int], merges: Sequence[Tuple[str, str]], special_tokens: Sequence[str]) -> Dict[str, object]:
    """A tokenizer.json in the Hugging Face tokenizers schema for this byte-level BPE."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": vocab[token],
                "content": token,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for token in special_tokens
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }
