"""Prints the float32 logits of a model (optionally with a LoRA adapter) for a token sequence:

    python3 -m lathe_trainer.logits --model DIR [--adapter DIR] --tokens 1,2,3
    -> {"logits": [[...vocab floats...], ...one row per position...]}
"""
from __future__ import annotations

import argparse
import sys

from .cli import run_command
from .errors import TrainerError
from .inference import compute_logits, load_for_inference
from .runtime import configure_threads, parse_token_list


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m lathe_trainer.logits", description="float32 logits per position")
    parser.add_argument("--model", required=True)
    parser.add_argument("--adapter")
    parser.add_argument("--tokens", required=True, help="comma-separated token ids")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)
    configure_threads(args.threads)

    def body():
        try:
            tokens = parse_token_list(args.tokens)
        except ValueError as exc:
            raise TrainerError("invalid_arguments", str(exc)) from None
        model = load_for_inference(args.model, args.adapter)
        return {"logits": compute_logits(model, tokens).tolist()}

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
