"""Generates Lathe's tiny chat model: a Llama-family decoder in Hugging Face layout with a byte-level
BPE tokenizer and a ChatML template, briefly pretrained on the built-in corpus so its replies are
confident. The output depends only on this source: the same files on every run.

    python3 -m lathe_trainer.fixture --out DIR
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from typing import Dict, List, Tuple

import torch

from . import corpus
from .model import CausalLM, base_state_dict, init_random_weights, masked_lm_loss
from .modelconfig import parse_model_config
from .runtime import configure_threads
from .safetensors import save_file
from .tokenizer import (
    CHATML_TEMPLATE,
    END_OF_TEXT,
    IM_END,
    IM_START,
    ByteLevelBPE,
    encode_chat,
    tokenizer_json,
    train_bpe,
)

SPECIAL_TOKENS = (END_OF_TEXT, IM_START, IM_END)
VOCAB_SIZE = 768
SEED = 1234
PRETRAIN_STEPS = 150
PRETRAIN_BATCH = 8
PRETRAIN_ROW = 128
PRETRAIN_LR = 3e-3

MODEL_CONFIG: Dict[str, object] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "_name_or_path": "lathe-tiny-chat",
    "vocab_size": VOCAB_SIZE,
    "hidden_size": 128,
    "intermediate_size": 384,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "max_position_embeddings": 1024,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "rope_scaling": None,
    "hidden_act": "silu",
    "attention_bias": False,
    "attention_dropout": 0.0,
    "mlp_bias": False,
    "tie_word_embeddings": True,
    "initializer_range": 0.02,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "pad_token_id": 0,
    "torch_dtype": "float32",
    "use_cache": True,
}


def build_tokenizer() -> Tuple[Dict[str, object], ByteLevelBPE]:
    texts = list(corpus.PARAGRAPHS)
    for chat in corpus.chats():
        texts.extend(m["content"] for m in chat)
        texts.extend(f"{m['role']}\n" for m in chat)
    vocab, merges = train_bpe(texts, VOCAB_SIZE, SPECIAL_TOKENS)
    spec = tokenizer_json(vocab, merges, SPECIAL_TOKENS)
    specials = {token: vocab[token] for token in SPECIAL_TOKENS}
    return spec, ByteLevelBPE(vocab, merges, specials)


def tokenizer_config() -> Dict[str, object]:
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(i): {
                "content": token,
                "lstrip": False,
                "normalized": False,
                "rstrip": False,
                "single_word": False,
                "special": True,
            }
            for i, token in enumerate(SPECIAL_TOKENS)
        },
        "additional_special_tokens": [IM_START, IM_END],
        "bos_token": IM_START,
        "eos_token": IM_END,
        "pad_token": END_OF_TEXT,
        "unk_token": END_OF_TEXT,
        "chat_template": CHATML_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "model_max_length": MODEL_CONFIG["max_position_embeddings"],
        "tokenizer_class": "GPT2Tokenizer",
    }


def generation_config() -> Dict[str, object]:
    return {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "do_sample": False, "max_new_tokens": 64}


def pretraining_stream(tokenizer: ByteLevelBPE, epochs: int, generator: torch.Generator) -> List[int]:
    """The chats (which teach the ChatML turn structure) and the paragraphs, each ended by
    <|endoftext|>, in a fresh shuffled order per epoch, concatenated."""
    eot = tokenizer.token_to_id(END_OF_TEXT)
    examples = [encode_chat(tokenizer, chat)[0] + [eot] for chat in corpus.chats()]
    examples += [tokenizer.encode(paragraph) + [eot] for paragraph in corpus.PARAGRAPHS]
    stream: List[int] = []
    for _ in range(epochs):
        for i in torch.randperm(len(examples), generator=generator).tolist():
            stream.extend(examples[i])
    return stream


def pretrain(model: CausalLM, tokenizer: ByteLevelBPE, log) -> float:
    rows_needed = PRETRAIN_STEPS * PRETRAIN_BATCH
    stream: List[int] = []
    epochs = 1
    while len(stream) < rows_needed * PRETRAIN_ROW:
        stream = pretraining_stream(tokenizer, epochs, torch.Generator().manual_seed(SEED + 2))
        epochs *= 2
    rows = torch.tensor(stream[: rows_needed * PRETRAIN_ROW], dtype=torch.long).view(PRETRAIN_STEPS, PRETRAIN_BATCH, PRETRAIN_ROW)
    params = [p for p in model.parameters()]
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.AdamW(params, lr=PRETRAIN_LR, betas=(0.9, 0.98), weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / 20) * max(0.05, 1 - step / PRETRAIN_STEPS)
    )
    model.train()
    loss_value = float("nan")
    mask = torch.ones(PRETRAIN_BATCH, PRETRAIN_ROW - 1, dtype=torch.bool)
    for step in range(PRETRAIN_STEPS):
        ids = rows[step]
        hidden = model.hidden_states(ids)
        loss, _, _ = masked_lm_loss(model, hidden[:, :-1], ids[:, 1:], mask, mask.numel())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        loss_value = float(loss)
        if step % 25 == 0 or step == PRETRAIN_STEPS - 1:
            log(f"pretrain step {step + 1}/{PRETRAIN_STEPS} loss {loss_value:.3f}")
    for p in params:
        p.requires_grad_(False)
    model.eval()
    return loss_value


def _write_json(path: str, data: object) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")


def generate_fixture(out_dir: str, log=lambda message: None) -> Dict[str, object]:
    """Writes the model into `out_dir` (replacing it) through a sibling temporary folder."""
    started = time.monotonic()
    previous_threads = torch.get_num_threads()
    # A fixed thread count keeps the float reductions, and so the weights, identical between runs.
    torch.set_num_threads(2)
    try:
        torch.manual_seed(SEED)
        tokenizer_spec, tokenizer = build_tokenizer()
        config = parse_model_config(dict(MODEL_CONFIG))
        model = CausalLM(config)
        init_random_weights(model, torch.Generator().manual_seed(SEED), std=0.02)
        log(f"tokenizer ready ({len(tokenizer.vocab)} tokens), pretraining {sum(p.numel() for p in model.parameters())} parameters")
        final_loss = pretrain(model, tokenizer, log)
    finally:
        torch.set_num_threads(previous_threads)

    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    staging = os.path.join(parent, f".{os.path.basename(out_dir)}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        save_file(
            {name: t.contiguous() for name, t in base_state_dict(model).items()},
            os.path.join(staging, "model.safetensors"),
            metadata={"format": "pt"},
        )
        _write_json(os.path.join(staging, "config.json"), MODEL_CONFIG)
        _write_json(os.path.join(staging, "tokenizer.json"), tokenizer_spec)
        _write_json(os.path.join(staging, "tokenizer_config.json"), tokenizer_config())
        _write_json(os.path.join(staging, "special_tokens_map.json"), {
            "bos_token": IM_START, "eos_token": IM_END, "pad_token": END_OF_TEXT, "unk_token": END_OF_TEXT,
            "additional_special_tokens": [IM_START, IM_END],
        })
        _write_json(os.path.join(staging, "generation_config.json"), generation_config())
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"out": out_dir, "pretrain_loss": final_loss, "seconds": round(time.monotonic() - started, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m lathe_trainer.fixture", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder to write the model into (replaced if it exists)")
    args = parser.parse_args(argv)
    configure_threads()
    try:
        result = generate_fixture(args.out, log=lambda m: print(m, file=sys.stderr, flush=True))
    except OSError as exc:
        print(f"fixture: cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
