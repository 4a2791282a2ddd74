"""Encodes chat conversations into a .ltok file with a byte-level BPE tokenizer.json and the ChatML
template (the fixture model's format). For tests, demos and benchmarks; the platform's datasets
service does the general case.

    python3 -m lathe_trainer.encode_chats --model DIR --in chats.jsonl --out data.ltok
    (one JSON object per line: {"messages": [{"role": ..., "content": ...}, ...]})
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from .cli import run_command
from .errors import TrainerError
from .ltok import LtokWriter
from .tokenizer import ByteLevelBPE, encode_chat


def encode_file(model_dir: str, source: str, destination: str) -> dict:
    tokenizer = ByteLevelBPE.from_file(os.path.join(model_dir, "tokenizer.json"))
    examples = tokens = trained = 0
    with open(source, "r", encoding="utf-8") as lines, LtokWriter(destination) as writer:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                messages = json.loads(line)["messages"]
                ids, mask = encode_chat(tokenizer, messages)
            except (ValueError, KeyError, TypeError) as exc:
                raise TrainerError("dataset_invalid", f"{source} line {number}: not a chat ({exc})") from None
            writer.write(ids, mask)
            examples += 1
            tokens += len(ids)
            trained += sum(mask)
    return {"examples": examples, "tokens": tokens, "trained_tokens": trained, "out": os.path.abspath(destination)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m lathe_trainer.encode_chats", description="chats to .ltok")
    parser.add_argument("--model", required=True, help="model folder with tokenizer.json")
    parser.add_argument("--in", dest="source", required=True, help="JSON lines with {messages: [...]}")
    parser.add_argument("--out", required=True, help=".ltok file to write")
    args = parser.parse_args(argv)
    return run_command(lambda: encode_file(args.model, args.source, args.out))


if __name__ == "__main__":
    sys.exit(main())
