"""Greedy generation from token ids:

    python3 -m lathe_trainer.generate --model DIR [--adapter DIR] --prompt-tokens 1,2,3 --max-new-tokens N
    -> {"tokens": [...new token ids...]}

Generation stops early after the model's eos_token_id (from generation_config.json or config.json),
which is then the last token returned.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List

from .cli import run_command
from .errors import TrainerError
from .inference import generate_greedy, load_for_inference
from .runtime import configure_threads, parse_token_list


def eos_token_ids(model_dir: str) -> List[int]:
    for name in ("generation_config.json", "config.json"):
        try:
            with open(os.path.join(model_dir, name), "r", encoding="utf-8") as f:
                value = json.load(f).get("eos_token_id")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, int):
            return [value]
        if isinstance(value, list):
            return [v for v in value if isinstance(v, int)]
    return []


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m lathe_trainer.generate", description="greedy generation")
    parser.add_argument("--model", required=True)
    parser.add_argument("--adapter")
    parser.add_argument("--prompt-tokens", required=True, help="comma-separated token ids")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)
    configure_threads(args.threads)

    def body():
        try:
            prompt = parse_token_list(args.prompt_tokens)
        except ValueError as exc:
            raise TrainerError("invalid_arguments", str(exc)) from None
        if args.max_new_tokens < 0:
            raise TrainerError("invalid_arguments", "--max-new-tokens must be >= 0")
        model = load_for_inference(args.model, args.adapter)
        return {"tokens": generate_greedy(model, prompt, args.max_new_tokens, eos_token_ids(args.model))}

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
