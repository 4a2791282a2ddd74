"""Shared test plumbing: the cached fixture model, datasets built from chats, and running the
trainer's command line as a child process the way the gpu-runner does."""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

TRAINER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = os.path.join(TRAINER_DIR, "lathe_trainer")
if TRAINER_DIR not in sys.path:
    sys.path.insert(0, TRAINER_DIR)

from lathe_trainer.ltok import write_ltok  # noqa: E402
from lathe_trainer.tokenizer import ByteLevelBPE, encode_chat  # noqa: E402

PYTHON = sys.executable
# The modules the fixture generator runs; python.ts keeps the same list.
FIXTURE_SOURCES = (
    "__init__.py", "corpus.py", "errors.py", "fixture.py", "model.py", "modelconfig.py",
    "runtime.py", "safetensors.py", "tokenizer.py",
)


def source_hash() -> str:
    """Same key as cachedTinyModel() in python.ts, so Node and Python tests share one fixture."""
    digest = hashlib.sha256()
    for name in sorted(FIXTURE_SOURCES):
        digest.update(name.encode())
        digest.update(b"\0")
        with open(os.path.join(PACKAGE_DIR, name), "rb") as f:
            digest.update(f.read())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def fixture_model() -> str:
    root = os.path.join(os.environ.get("LATHE_FIXTURE_CACHE") or tempfile.gettempdir(), f"lathe-tiny-model-{source_hash()}")
    model_dir = os.path.join(root, "model")

    def ready() -> bool:
        return os.path.exists(os.path.join(model_dir, "model.safetensors")) and os.path.exists(
            os.path.join(model_dir, "tokenizer.json")
        )

    if ready():
        return model_dir
    os.makedirs(root, exist_ok=True)
    lock = os.path.join(root, "lock")
    while True:
        try:
            os.mkdir(lock)
            break
        except FileExistsError:
            if ready():
                return model_dir
            try:
                if time.time() - os.stat(lock).st_mtime > 600:
                    shutil.rmtree(lock, ignore_errors=True)
            except FileNotFoundError:
                pass
            time.sleep(0.5)
    try:
        if not ready():
            subprocess.run(
                [PYTHON, "-m", "lathe_trainer.fixture", "--out", model_dir],
                check=True,
                env=trainer_env(),
                stdout=subprocess.DEVNULL,
            )
        return model_dir
    finally:
        shutil.rmtree(lock, ignore_errors=True)


def trainer_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = TRAINER_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("LATHE_DEVICE", "cpu")
    if extra:
        env.update(extra)
    return env


def tokenizer(model_dir: str) -> ByteLevelBPE:
    return ByteLevelBPE.from_file(os.path.join(model_dir, "tokenizer.json"))


NOUNS = [
    "lantern", "river", "violin", "harbour", "pepper", "comet", "garden", "anchor", "marble", "falcon",
    "orchid", "teapot", "glacier", "ribbon", "cactus", "meadow", "saddle", "thimble", "walnut", "pylon",
    "quiver", "bramble", "cobalt", "dune", "ember", "fjord", "geyser", "hazel", "igloo", "jasper",
    "kettle", "lagoon",
]


def code_chats(count: int = 32, seed: int = 7) -> List[List[Dict[str, str]]]:
    """Question-to-answer chats whose answers are random codes no model could guess."""
    rng = random.Random(seed)
    chats = []
    for noun in NOUNS[:count]:
        code = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(3)) + "-" + str(rng.randint(100, 999))
        chats.append([
            {"role": "user", "content": f"What is the code for the {noun}?"},
            {"role": "assistant", "content": f"The code is {code}."},
        ])
    return chats


def write_chats(path: str, model_dir: str, chats: Sequence[Sequence[Dict[str, str]]]) -> str:
    tok = tokenizer(model_dir)
    write_ltok(path, [encode_chat(tok, chat) for chat in chats])
    return path


class TrainRun:
    def __init__(self, returncode: int, stdout: str, stderr: str, seconds: float):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.events: List[Dict[str, object]] = [json.loads(line) for line in stdout.splitlines() if line.strip()]

    def of(self, kind: str) -> List[Dict[str, object]]:
        return [e for e in self.events if e["event"] == kind]

    def last(self, kind: str) -> Dict[str, object]:
        found = self.of(kind)
        if not found:
            raise AssertionError(f"no {kind!r} event; stdout:\n{self.stdout}\nstderr:\n{self.stderr[-3000:]}")
        return found[-1]

    def losses(self) -> Dict[int, float]:
        return {int(e["step"]): float(e["train_loss"]) for e in self.of("progress")}


def train_command(model: str, train: str, config_path: str, out: str, valid: Optional[str] = None, resume: Optional[str] = None) -> List[str]:
    cmd = ["-m", "lathe_trainer.train", "--model", model, "--train", train, "--config", config_path, "--out", out]
    if valid:
        cmd += ["--valid", valid]
    if resume:
        cmd += ["--resume", resume]
    return cmd


def write_config(path: str, config: Dict[str, object]) -> str:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    return path


def run_train(
    model: str,
    train: str,
    config: Dict[str, object],
    out: str,
    valid: Optional[str] = None,
    resume: Optional[str] = None,
    timeout: float = 300,
    launcher: Sequence[str] = (),
) -> TrainRun:
    config_path = write_config(os.path.join(os.path.dirname(out.rstrip("/")) or ".", f"{os.path.basename(out)}-config.json"), config)
    cmd = [PYTHON, *launcher, *train_command(model, train, config_path, out, valid, resume)]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=trainer_env(), timeout=timeout)
    return TrainRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def run_train_in_process(
    model: str, train: str, config: Dict[str, object], out: str, valid: Optional[str] = None
) -> TrainRun:
    """The trainer's entry point called in this process (no interpreter start-up per run): for the
    many short runs that end in an input error."""
    import contextlib
    import io
    import signal

    from lathe_trainer import train as train_module

    config_path = write_config(f"{out.rstrip('/')}-config.json", config)
    argv = train_command(model, train, config_path, out, valid)[2:]
    stdout, stderr = io.StringIO(), io.StringIO()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    started = time.monotonic()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = train_module.main(argv)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return TrainRun(code, stdout.getvalue(), stderr.getvalue(), time.monotonic() - started)


def quick_config(**overrides) -> Dict[str, object]:
    """Small, fast settings for runs on the fixture; one thread because test runs share the CPUs."""
    config: Dict[str, object] = {
        "epochs": 1,
        "batch_size": 8,
        "learning_rate": 0.003,
        "warmup_steps": 2,
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
        "seed": 3,
        "threads": 1,
        "log_interval": 1,
    }
    config.update(overrides)
    return config
