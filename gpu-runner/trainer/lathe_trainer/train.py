"""LoRA fine-tuning entry point; the README documents the command line, the config and every stdout
event.

    python3 -m lathe_trainer.train --model DIR --train FILE.ltok [--valid FILE.ltok]
        --config CONFIG.json --out OUTDIR [--resume CHECKPOINT_DIR]

Under torchrun every process trains on its share of each global batch; gradients are summed across
processes, so the optimisation is the same as one process with the same global batch.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import random
import shutil
import signal
import sys
import time
import traceback
from dataclasses import asdict
from typing import Dict, List, Optional

import numpy as np
import torch

from . import dpo as dpo_lib
from . import lora as lora_lib
from .config import TrainConfig, load_train_config
from .continue_from import start_from_adapter
from .data import PreparedData, epoch_order, make_batch, prepare, split_evenly
from .early_stopping import BestTracker, counts as eval_counts, selection as adapter_selection
from .errors import TrainerError
from .ltok import LtokDataset
from .model import CausalLM, load_model, masked_lm_loss
from .modelconfig import load_model_config
from .runtime import configure_threads
from .safetensors import SafetensorsFile, is_disk_full

PROTOCOL_VERSION = 1
STATE_FILE = "trainer_state.json"
TRAINING_STATE_FILE = "training_state.pt"
METRICS_COLUMNS = ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")


class Events:
    """The JSON-lines protocol on stdout; only the first process of a distributed run writes."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def emit(self, event: str, **fields) -> None:
        if not self.enabled:
            return
        line = json.dumps({"event": event, **fields}, separators=(",", ":"), allow_nan=False, default=_jsonable)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def log(message: str) -> None:
    print(f"[lathe-trainer] {message}", file=sys.stderr, flush=True)


def _finite_or_none(value: Optional[float]) -> Optional[float]:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


class Distributed:
    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.world)))
        use_cuda = torch.cuda.is_available() and os.environ.get("LATHE_DEVICE", "") != "cpu"
        self.device = torch.device(f"cuda:{self.local_rank}" if use_cuda else "cpu")
        self.enabled = self.world > 1
        if self.enabled:
            import torch.distributed as dist

            if use_cuda:
                torch.cuda.set_device(self.device)
            try:
                dist.init_process_group(backend="nccl" if use_cuda else "gloo")
            except Exception as exc:
                raise TrainerError("distributed_error", f"could not join the process group: {exc}") from None
        elif use_cuda:
            torch.cuda.set_device(self.device)

    def sum(self, values: List[float]) -> List[float]:
        if not self.enabled:
            return values
        import torch.distributed as dist

        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def sum_gradients(self, params: List[torch.nn.Parameter]) -> None:
        if not self.enabled:
            return
        import torch.distributed as dist

        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        at = 0
        for p in params:
            n = p.numel()
            p.grad = flat[at : at + n].view_as(p).clone()
            at += n

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


class Cancellation:
    def __init__(self):
        self.requested = False
        signal.signal(signal.SIGTERM, self._handler)
        signal.signal(signal.SIGINT, self._handler)

    def _handler(self, signum, _frame) -> None:
        if not self.requested:
            log(f"received signal {signum}: stopping at the next step boundary")
        self.requested = True


def learning_rate_at(config: TrainConfig, step: int, total_steps: int, warmup: int) -> float:
    """Learning rate of optimizer step `step` (0-based): linear warmup, then cosine/linear decay to 0."""
    if step < warmup:
        return config.learning_rate * (step + 1) / warmup
    if config.scheduler == "constant":
        return config.learning_rate
    progress = (step - warmup) / max(1, total_steps - warmup)
    if config.scheduler == "linear":
        return config.learning_rate * max(0.0, 1.0 - progress)
    return config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _write_text_atomic(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def metrics_csv(rows: Dict[int, Dict[str, Optional[float]]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(METRICS_COLUMNS)
    for step in sorted(rows):
        row = rows[step]
        writer.writerow([step] + ["" if row.get(c) is None else f"{row[c]:.6g}" for c in METRICS_COLUMNS[1:]])
    return out.getvalue()


class Trainer:
    def __init__(self, args, events: Events, dist: Distributed, cancel: Cancellation):
        self.args = args
        self.events = events
        self.dist = dist
        self.cancel = cancel
        self.is_main = dist.rank == 0
        self.out_dir = os.path.abspath(args.out)
        self.checkpoint_root = os.path.join(self.out_dir, "checkpoints")
        self.metrics: Dict[int, Dict[str, Optional[float]]] = {}
        self.last_checkpoint: Optional[str] = None

    # ---- set-up -------------------------------------------------------------------------------
    def setup(self) -> None:
        args = self.args
        self.config = config = load_train_config(args.config)
        threads = config.threads
        if threads is None and self.dist.device.type == "cpu":
            threads = max(1, len(os.sched_getaffinity(0)) // max(1, self.dist.local_world))
        self.threads = configure_threads(threads)
        model_config = load_model_config(args.model)
        context = model_config.max_position_embeddings
        self.sequence_length = config.sequence_length or min(2048, context)
        if self.sequence_length > context:
            raise TrainerError(
                "sequence_length_exceeds_context",
                f"sequence_length {self.sequence_length} exceeds the model's context of {context} tokens",
            )
        if self.is_main:
            os.makedirs(self.out_dir, exist_ok=True)
        self.train_set = LtokDataset(args.train, model_config.vocab_size)
        self.train = prepare(self.train_set, self.sequence_length, config.packing, config.seed, "training")
        if config.method == "dpo":
            self.train = dpo_lib.paired(self.train, "training")
        self.valid: Optional[PreparedData] = None
        if args.valid:
            self.valid_set = LtokDataset(args.valid, model_config.vocab_size)
            self.valid = prepare(self.valid_set, self.sequence_length, False, config.seed, "validation")
            if config.method == "dpo":
                self.valid = dpo_lib.paired(self.valid, "validation")
            if int(self.valid.targets.sum()) == 0:
                log("the validation dataset has no trainable tokens; evaluation is skipped")
                self.valid = None

        device = self.dist.device
        self.precision = config.precision
        if self.precision == "auto":
            self.precision = "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
        if self.precision == "bf16" and device.type != "cuda":
            log("bf16 autocast needs a GPU; training in fp32")
            self.precision = "fp32"
        weight_dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        self.model: CausalLM = load_model(args.model, device=device, dtype=weight_dtype)
        self.model.gradient_checkpointing = config.gradient_checkpointing
        self.lora_spec = config.lora.spec()
        if getattr(args, "init_adapter", None):
            self.lora_spec, self.params = start_from_adapter(self.model, args.init_adapter, config.lora.dropout)
        else:
            self.params = lora_lib.apply_lora(self.model, self.lora_spec, config.seed)
        self.best = BestTracker(config.early_stopping_patience, config.early_stopping_min_delta)
        self.early_stopped = False
        if not self.params:
            raise TrainerError("invalid_config", "no module matched lora.target_modules")
        self.optimizer = torch.optim.AdamW(
            lora_lib.optimizer_groups(self.model, config.lora.lr_ratio), lr=config.learning_rate, betas=(0.9, 0.999), eps=1e-8, weight_decay=config.weight_decay
        )

        self.steps_per_epoch = math.ceil(len(self.train.rows) / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        if config.max_steps is not None:
            self.total_steps = min(self.total_steps, config.max_steps)
        self.warmup = max(config.warmup_steps, math.ceil(config.warmup_ratio * self.total_steps))
        self.base_model_name = config.base_model_name or model_config.raw.get("_name_or_path") or os.path.basename(
            os.path.abspath(args.model)
        )
        self.start_step = 0
        self.trained_tokens = 0
        if args.resume:
            self._resume(args.resume)

        if self.valid is not None:
            order = np.random.default_rng([config.seed, 104729]).permutation(len(self.valid.rows))
            self.eval_sample = sorted(order[: config.eval_samples].tolist())
            self.eval_full = list(range(len(self.valid.rows)))

    def _micro_size(self) -> int:
        per_rank = math.ceil(self.config.batch_size / self.dist.world)
        return max(1, math.ceil(per_rank / self.config.gradient_accumulation_steps))

    # ---- checkpoints --------------------------------------------------------------------------
    def _dataset_identity(self) -> Dict[str, int]:
        return {
            "train_examples": len(self.train_set),
            "train_bytes": os.path.getsize(self.args.train),
            "train_tokens": int(self.train_set.lengths.sum()),
        }

    def save_checkpoint(self, step: int) -> Optional[str]:
        """Writes checkpoints/step-<step>/ through a temporary folder; returns its path."""
        path = None
        if self.is_main:
            os.makedirs(self.checkpoint_root, exist_ok=True)
            final = os.path.join(self.checkpoint_root, f"step-{step}")
            staging = os.path.join(self.checkpoint_root, f".step-{step}.tmp-{os.getpid()}")
            shutil.rmtree(staging, ignore_errors=True)
            os.makedirs(staging)
            try:
                lora_lib.write_adapter_dir(self.model, self.lora_spec, self.base_model_name, staging)
                training_state = {
                    "optimizer": self.optimizer.state_dict(),
                    "rng": {
                        "torch": torch.get_rng_state(),
                        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
                        "python": random.getstate(),
                        "numpy": np.random.get_state(),
                    },
                }
                torch.save(training_state, os.path.join(staging, TRAINING_STATE_FILE))
                state = {
                    "format": "lathe-trainer-checkpoint",
                    "version": 1,
                    "step": step,
                    "total_steps": self.total_steps,
                    "epoch": step // self.steps_per_epoch,
                    "batch_in_epoch": step % self.steps_per_epoch,
                    "steps_per_epoch": self.steps_per_epoch,
                    "config_fingerprint": self.config.fingerprint(),
                    "config": asdict(self.config),
                    "dataset": self._dataset_identity(),
                    "scheduler": {
                        "type": self.config.scheduler,
                        "warmup_steps": self.warmup,
                        "total_steps": self.total_steps,
                        "base_learning_rate": self.config.learning_rate,
                        "next_learning_rate": learning_rate_at(self.config, step, self.total_steps, self.warmup)
                        if step < self.total_steps
                        else 0.0,
                    },
                    "trained_tokens": self.trained_tokens,
                    "best": self.best.state(),
                    "metrics": [{"step": s, **row} for s, row in sorted(self.metrics.items())],
                }
                _write_text_atomic(os.path.join(staging, STATE_FILE), json.dumps(state, indent=1, default=list))
                if os.path.exists(final):
                    shutil.rmtree(final)
                os.replace(staging, final)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self._prune_checkpoints()
            path = final
            self.last_checkpoint = final
            self.events.emit("checkpoint", step=step, path=final)
            log(f"checkpoint written: {final}")
        self.dist.barrier()
        return path

    def _prune_checkpoints(self) -> None:
        steps = []
        for name in os.listdir(self.checkpoint_root):
            if name.startswith("step-") and name[5:].isdigit():
                steps.append(int(name[5:]))
        for step in sorted(steps)[: -self.config.checkpoints_to_keep]:
            if step == self.best.best_step:
                continue  # the best checkpoint by validation loss stays beside the newest ones
            shutil.rmtree(os.path.join(self.checkpoint_root, f"step-{step}"), ignore_errors=True)

    def _resume(self, checkpoint_dir: str) -> None:
        state_path = os.path.join(checkpoint_dir, STATE_FILE)
        try:
            with open(state_path, "r", encoding="utf-8") as f:
                state = json.load(f)
            step = int(state["step"])
        except FileNotFoundError:
            raise TrainerError("checkpoint_invalid", f"{STATE_FILE} not found in {checkpoint_dir}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise TrainerError("checkpoint_invalid", f"{state_path} is unreadable: {exc}") from None
        if state.get("config_fingerprint") != self.config.fingerprint():
            raise TrainerError(
                "checkpoint_invalid",
                "the checkpoint was made with different training settings (epochs, batch size, learning rate,"
                " schedule, sequence length, packing, seed or LoRA shape); resume needs the same job config",
            )
        if state.get("dataset") != self._dataset_identity():
            raise TrainerError("checkpoint_invalid", "the checkpoint was made on a different training dataset")
        if not 0 < step <= self.total_steps:
            raise TrainerError("checkpoint_invalid", f"checkpoint step {step} is outside 1..{self.total_steps}")
        try:
            with SafetensorsFile(os.path.join(checkpoint_dir, lora_lib.ADAPTER_WEIGHTS)) as f:
                for name, module in self.model.lora_modules():
                    for part, param in (("lora_A", module.lora_A), ("lora_B", module.lora_B)):
                        key = f"base_model.model.{name}.{part}.weight"
                        if key not in f or tuple(f.shape(key)) != tuple(param.shape):
                            raise TrainerError("checkpoint_invalid", f"checkpoint adapter lacks {key} with shape {list(param.shape)}")
                        with torch.no_grad():
                            param.copy_(f.get(key, torch.float32))
            # Written by this trainer into the job's own output; it holds NumPy and Python random
            # states, which torch 2.6's default weights_only loading refuses.
            training_state = torch.load(
                os.path.join(checkpoint_dir, TRAINING_STATE_FILE), map_location=self.dist.device, weights_only=False
            )
            self.optimizer.load_state_dict(training_state["optimizer"])
            rng = training_state.get("rng", {})
            if "torch" in rng:
                torch.set_rng_state(rng["torch"].cpu())
            if rng.get("cuda") and torch.cuda.is_available():
                torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])
            if "python" in rng:
                random.setstate(rng["python"])
            if "numpy" in rng:
                np.random.set_state(rng["numpy"])
        except TrainerError as exc:
            if exc.code in ("corrupt_weights", "missing_weights"):
                raise TrainerError("checkpoint_invalid", exc.message) from None
            raise
        except (OSError, RuntimeError, KeyError, ValueError) as exc:
            raise TrainerError("checkpoint_invalid", f"cannot load the checkpoint's training state: {exc}") from None
        self.start_step = step
        self.trained_tokens = int(state.get("trained_tokens", 0))
        self.best.restore(state.get("best"))
        for row in state.get("metrics", []):
            row = dict(row)
            self.metrics[int(row.pop("step"))] = row
        log(f"resumed from {checkpoint_dir} at step {step}")

    # ---- evaluation ---------------------------------------------------------------------------
    def _autocast(self):
        if self.precision == "bf16":
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return torch.autocast(device_type="cpu", enabled=False)

    @torch.no_grad()
    def evaluate(self, rows: List[int]) -> Dict[str, float]:
        if self.config.method == "dpo":
            return dpo_lib.evaluate(self, rows)
        self.model.eval()
        mine = rows[self.dist.rank :: self.dist.world]
        size = self._micro_size() * 2
        loss_sum, correct, count = 0.0, 0.0, 0.0
        for at in range(0, len(mine), size):
            if self.cancel.requested and not self.dist.enabled:
                break
            batch = make_batch(self.valid, mine[at : at + size], False, self.dist.device)
            with self._autocast():
                hidden = self.model.hidden_states(batch.input_ids)
                loss, hits, n = masked_lm_loss(self.model, hidden, batch.labels, batch.label_mask, 1.0)
            loss_sum += float(loss)
            correct += float(hits)
            count += n
        loss_sum, correct, count = self.dist.sum([loss_sum, correct, count])
        self.model.train()
        return {"loss": loss_sum / max(count, 1.0), "accuracy": correct / max(count, 1.0), "tokens": count}

    def run_eval(self, step: int, epoch: float, full: bool) -> None:
        if self.valid is None:
            return
        result = self.evaluate(self.eval_full if full else self.eval_sample)
        if self.cancel.requested and not self.dist.enabled:
            return
        row = self.metrics.setdefault(step, {})
        row["valid_loss"] = _finite_or_none(result["loss"])
        row["valid_mean_token_accuracy"] = _finite_or_none(result["accuracy"])
        log(f"eval at step {step}: valid_loss {row['valid_loss']} ({'full' if full else 'sampled'})")
        self.last_full_eval = result if full else getattr(self, "last_full_eval", None)
        self.events.emit(
            "eval",
            step=step,
            epoch=round(epoch, 4),
            valid_loss=row["valid_loss"],
            valid_mean_token_accuracy=row["valid_mean_token_accuracy"],
            valid_tokens=int(result["tokens"]),
            full=full,
        )
        # ---- best checkpoint and early stopping (early_stopping.py) ----
        keep_best = adapter_selection(self.config.final_adapter, self.config.early_stopping_patience) == "best"
        if eval_counts(full, len(self.eval_sample), len(self.eval_full)) and self.best.observe(step, row["valid_loss"]):
            if keep_best and step < self.total_steps and not (self.last_checkpoint or "").endswith(f"step-{step}"):
                self.save_checkpoint(step)
        if self.best.should_stop and step < self.total_steps:
            self.early_stopped = True
            log(f"early stopping at step {step}: no improvement of the validation loss in {self.best.bad_evals} evaluations"
                f" (best {self.best.best_loss:.4f} at step {self.best.best_step})")

    # ---- training -----------------------------------------------------------------------------
    def train_step(self, step: int) -> Optional[Dict[str, float]]:
        """One optimizer step over the global batch `step`; None when cancelled part-way."""
        if self.config.method == "dpo":
            return dpo_lib.train_step(self, step)
        config = self.config
        epoch, index = divmod(step, self.steps_per_epoch)
        order = self._order(epoch)
        global_rows = order[index * config.batch_size : (index + 1) * config.batch_size].tolist()
        normalizer = float(self.train.row_targets[global_rows].sum())
        mine = global_rows[self.dist.rank :: self.dist.world]
        micro = [chunk for chunk in split_evenly(mine, config.gradient_accumulation_steps) if chunk]
        # Dropout masks depend only on (seed, step, rank), so a resumed run draws the same ones.
        torch.manual_seed(config.seed * 1_000_003 + step * 101 + self.dist.rank)
        loss_sum, correct, tokens = 0.0, 0.0, 0
        for chunk in micro:
            if self.cancel.requested and not self.dist.enabled:
                self.optimizer.zero_grad(set_to_none=True)
                return None
            batch = make_batch(self.train, chunk, config.packing, self.dist.device)
            with self._autocast():
                hidden = self.model.hidden_states(batch.input_ids, batch.position_ids, batch.segment_ids)
                loss, hits, _ = masked_lm_loss(self.model, hidden, batch.labels, batch.label_mask, max(normalizer, 1.0))
            loss.backward()
            loss_sum += float(loss.detach()) * max(normalizer, 1.0)
            correct += float(hits)
            tokens += batch.tokens
        self.dist.sum_gradients(self.params)
        loss_sum, correct, tokens, cancel = self.dist.sum(
            [loss_sum, correct, float(tokens), 1.0 if self.cancel.requested else 0.0]
        )
        if cancel > 0:
            self.cancel.requested = True
        train_loss = loss_sum / max(normalizer, 1.0)
        if not math.isfinite(train_loss):
            raise TrainerError(
                "nan_loss",
                f"the training loss became {train_loss} at step {step + 1}; lower the learning rate"
                f" (now {learning_rate_at(config, step, self.total_steps, self.warmup):.3g}) or check the data",
            )
        if config.max_grad_norm > 0:
            grad_norm = float(torch.nn.utils.clip_grad_norm_(self.params, config.max_grad_norm))
        else:
            grad_norm = float(torch.sqrt(sum((p.grad.float() ** 2).sum() for p in self.params if p.grad is not None)))
        if not math.isfinite(grad_norm):
            raise TrainerError("nan_loss", f"the gradient norm became {grad_norm} at step {step + 1}; lower the learning rate")
        lr = learning_rate_at(config, step, self.total_steps, self.warmup)
        lora_lib.set_learning_rate(self.optimizer, lr)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return {
            "loss": train_loss,
            "accuracy": correct / max(normalizer, 1.0),
            "tokens": tokens,
            "targets": normalizer,
            "lr": lr,
            "grad_norm": grad_norm,
        }

    def _order(self, epoch: int) -> np.ndarray:
        if getattr(self, "_order_epoch", None) != epoch:
            self._order_cache = epoch_order(len(self.train.rows), self.config.seed, epoch)
            self._order_epoch = epoch
        return self._order_cache

    def run(self) -> str:
        config = self.config
        trainable = sum(p.numel() for p in self.params)
        total = sum(p.numel() for p in self.model.parameters())
        self.events.emit(
            "started",
            version=PROTOCOL_VERSION,
            total_steps=self.total_steps,
            steps_per_epoch=self.steps_per_epoch,
            epochs=config.epochs,
            start_step=self.start_step,
            resumed_from=os.path.abspath(self.args.resume) if self.args.resume else None,
            train_examples=len(self.train_set),
            train_rows=len(self.train.rows),
            train_tokens=int(self.train.lengths.sum()),
            trainable_tokens=int(self.train.targets.sum()),
            truncated_examples=self.train.truncated,
            valid_examples=len(self.valid.rows) if self.valid is not None else 0,
            sequence_length=self.sequence_length,
            trainable_parameters=trainable,
            total_parameters=total,
            device=str(self.dist.device),
            precision=self.precision,
            world_size=self.dist.world,
            threads=self.threads,
            method=config.method,
        )
        log(
            f"training {trainable} LoRA parameters of {total} on {self.dist.device} ({self.precision}),"
            f" {self.total_steps} steps, world size {self.dist.world}, LoRA A at 1/{config.lora.lr_ratio:g} of the learning rate"
        )
        self.model.train()
        step_time = 0.0
        timed_steps = 0
        run_tokens = 0
        last: Optional[Dict[str, float]] = None
        step = self.start_step
        while step < self.total_steps:
            if self.cancel.requested:
                break
            started = time.perf_counter()
            result = self.train_step(step)
            if result is None:
                break
            if self.dist.device.type == "cuda":
                torch.cuda.synchronize()
            step_time += time.perf_counter() - started
            timed_steps += 1
            run_tokens += int(result["tokens"])
            self.trained_tokens += int(result["targets"])
            step += 1
            last = result
            epoch_float = step / self.steps_per_epoch
            row = self.metrics.setdefault(step, {})
            row["train_loss"] = _finite_or_none(result["loss"])
            row["train_accuracy"] = _finite_or_none(result["accuracy"])
            if step % config.log_interval == 0 or step == self.total_steps or step == self.start_step + 1:
                per_step = step_time / timed_steps
                self.events.emit(
                    "progress",
                    step=step,
                    total_steps=self.total_steps,
                    epoch=round(epoch_float, 4),
                    train_loss=row["train_loss"],
                    train_accuracy=row["train_accuracy"],
                    learning_rate=result["lr"],
                    grad_norm=_finite_or_none(result["grad_norm"]),
                    tokens_per_s=round(run_tokens / step_time, 1) if step_time > 0 else None,
                    trained_tokens=self.trained_tokens,
                    eta_s=round(per_step * (self.total_steps - step), 1),
                    **{k: _finite_or_none(v) for k, v in result.get("dpo", {}).items()},
                )
                loss_text = "n/a" if row["train_loss"] is None else f"{row['train_loss']:.4f}"
                log(f"step {step}/{self.total_steps} epoch {epoch_float:.2f} train_loss {loss_text} lr {result['lr']:.3g}")
            epoch_end = step % self.steps_per_epoch == 0 or step == self.total_steps
            if epoch_end:
                self.run_eval(step, epoch_float, full=True)
            elif config.eval_interval and step % config.eval_interval == 0:
                self.run_eval(step, epoch_float, full=False)
            if self.cancel.requested or self.early_stopped:
                break
            periodic = config.checkpoint_interval and step % config.checkpoint_interval == 0
            if step < self.total_steps and (periodic or (not config.checkpoint_interval and epoch_end)):
                if not (self.last_checkpoint or "").endswith(f"step-{step}"):
                    self.save_checkpoint(step)

        if self.cancel.requested and step < self.total_steps:
            path = self.last_checkpoint
            if step > self.start_step and (path is None or not path.endswith(f"step-{step}")):
                path = self.save_checkpoint(step)
            self.events.emit("cancelled", step=step, checkpoint=path)
            log(f"cancelled at step {step}")
            return "cancelled"

        metrics_path = os.path.join(self.out_dir, "metrics.csv")
        adapter_path = os.path.join(self.out_dir, "adapter")
        selected = adapter_selection(config.final_adapter, config.early_stopping_patience)
        best_dir = os.path.join(self.checkpoint_root, f"step-{self.best.best_step}") if self.best.best_step is not None else None
        if selected == "best" and (best_dir is None or self.best.best_step == step or not os.path.isdir(best_dir)):
            selected = "last" if best_dir is None else "best"
            best_dir = None  # the last step is the best one, or there is no validation loss: the final weights
        if self.is_main:
            _write_text_atomic(metrics_path, metrics_csv(self.metrics))
            if selected == "best" and best_dir is not None:
                lora_lib.copy_adapter(best_dir, adapter_path)
            else:
                lora_lib.publish_adapter(self.model, self.lora_spec, self.base_model_name, adapter_path)
        self.dist.barrier()
        full = getattr(self, "last_full_eval", None)
        final = self.metrics.get(step, {})
        self.events.emit(
            "done",
            step=step,
            adapter_path=adapter_path,
            metrics_path=metrics_path,
            metrics={
                "steps": step,
                "train_loss": final.get("train_loss") if last is None else _finite_or_none(last["loss"]),
                "train_accuracy": final.get("train_accuracy") if last is None else _finite_or_none(last["accuracy"]),
                "valid_loss": _finite_or_none(full["loss"]) if full else None,
                "valid_mean_token_accuracy": _finite_or_none(full["accuracy"]) if full else None,
                "trained_tokens": self.trained_tokens,
                "train_seconds": round(step_time, 3),
                "tokens_per_s": round(run_tokens / step_time, 1) if step_time > 0 else None,
            },
            adapter_from={"selected": selected, "step": self.best.best_step if selected == "best" else step},
            best_checkpoint=self.best.state() if self.best.best_step is not None else None,
            early_stopped=self.early_stopped,
        )
        return "done"


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        raise TrainerError("invalid_arguments", message)


def parse_args(argv):
    parser = _ArgumentParser(prog="python3 -m lathe_trainer.train", description="LoRA fine-tuning")
    parser.add_argument("--model", required=True, help="Hugging Face model folder")
    parser.add_argument("--train", required=True, help="training data (.ltok)")
    parser.add_argument("--valid", help="validation data (.ltok)")
    parser.add_argument("--config", required=True, help="job config JSON")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--resume", help="checkpoint folder to continue from")
    parser.add_argument("--init-adapter", help="LoRA adapter folder to start from (continue a fine-tuned model)")
    return parser.parse_args(argv)


def _classify(exc: BaseException) -> TrainerError:
    if isinstance(exc, TrainerError):
        return exc
    if is_disk_full(exc):
        return TrainerError("disk_full", f"no space left on the device while writing: {exc}")
    if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "out of memory" in str(exc)):
        return TrainerError("out_of_memory", f"out of memory: {exc}; lower batch_size or sequence_length, or enable gradient_checkpointing")
    return TrainerError("internal_error", f"{type(exc).__name__}: {exc}")


def main(argv=None) -> int:
    events = Events(enabled=int(os.environ.get("RANK", "0")) == 0)
    cancel = Cancellation()
    dist: Optional[Distributed] = None
    try:
        args = parse_args(argv)
        dist = Distributed()
        trainer = Trainer(args, events, dist, cancel)
        trainer.setup()
        if cancel.requested:
            events.emit("cancelled", step=trainer.start_step, checkpoint=None)
            return 0
        trainer.run()
        return 0
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        error = _classify(exc)
        if error.code == "internal_error":
            traceback.print_exc(file=sys.stderr)
        log(f"error {error.code}: {error.message}")
        events.emit("error", code=error.code, message=error.message)
        return 1
    finally:
        if dist is not None:
            dist.close()


if __name__ == "__main__":
    sys.exit(main())
