"""A trainer interpreter started before its job, so that the job does not wait for torch to import.

    python3 -m lathe_trainer.spare [--control-fd N] [--cmdline-room SPACES]

It imports torch and the trainer, then waits for one JSON line on stdin:

    {"argv": ["--model", DIR, "--train", F.ltok, ...], "env": {"NAME": "value", ...}}

`argv` is the trainer's command line without `-m lathe_trainer.train`; `env` replaces the
environment. From there it is `python3 -m lathe_trainer.train ARGV`: the same events on stdout, exit
codes and SIGTERM handling. Stdin closing before a line arrives is a quiet exit 0, so a spare whose
runner is gone does not outlive it. Nothing is written to stdout before the job.

With --control-fd, it writes `ready` on that descriptor once the imports are done and `took` when it
has read its job, then closes it: the executor knows a spare that died before taking the job and
starts that job cold instead.

Settings read when the interpreter or torch's native libraries load (PYTHON*, OMP_*, MALLOC_*,
LD_*, ...) are those of the spare's own environment; the executor only hands a spare the jobs that
agree with it on those. Nothing here touches CUDA or runs a torch operation, so the thread pools and
CUDA_VISIBLE_DEVICES are settled by the job's environment.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
from typing import Optional

import torch  # noqa: F401  (the point of a spare: this import is paid before the job arrives)

from . import train
from .errors import TrainerError
from .runtime import configure_threads

TRAIN_MODULE = "lathe_trainer.train"


def _signal(fd: Optional[int], message: str) -> None:
    if fd is None:
        return
    try:
        os.write(fd, f"{message}\n".encode())
    except OSError:
        # The executor is gone; stdin will be closed too and the spare exits.
        pass


def _show_command_line(args) -> None:
    """Rewrites /proc/self/cmdline (what ps and process finders read) to the job's command line, as
    a cold `python3 -m lathe_trainer.train ...` would have it, within the room the spare was started
    with (--cmdline-room). A command line that does not fit is left as it is."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        # Fields 48 and 49 of proc(5), counted from 3 after the command name.
        arg_start, arg_end = int(fields[45]), int(fields[46])
        with open("/proc/self/cmdline", "rb") as f:
            program = f.read().split(b"\0", 1)[0]
    except (OSError, IndexError, ValueError):
        return
    # argv[0] is kept as it is: glibc's program_invocation_name points at it.
    text = b"\0".join([program, b"-m", TRAIN_MODULE.encode()] + [os.fsencode(a) for a in args]) + b"\0"
    room = arg_end - arg_start
    if len(text) > room:
        return
    ctypes.memmove(arg_start, text + b"\0" * (room - len(text)), room)


def _read_job(line: str):
    try:
        job = json.loads(line)
        argv, env = job["argv"], job["env"]
    except (ValueError, TypeError, KeyError) as exc:
        raise TrainerError("invalid_arguments", f"the spare trainer's job line is not valid: {exc}") from None
    if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv)):
        raise TrainerError("invalid_arguments", "the spare trainer's job line needs `argv`, a list of strings")
    if not (isinstance(env, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())):
        raise TrainerError("invalid_arguments", "the spare trainer's job line needs `env`, an object of strings")
    return argv, env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m lathe_trainer.spare", description="a trainer waiting for its job")
    parser.add_argument("--control-fd", type=int, help="descriptor that receives `ready` and `took`")
    parser.add_argument("--cmdline-room", default="", help="blank room for the job's command line")
    options = parser.parse_args(argv)
    control = options.control_fd
    _signal(control, "ready")

    line = sys.stdin.readline()
    if not line.strip():
        return 0
    _signal(control, "took")
    if control is not None:
        os.close(control)
    # A cold trainer's stdin is /dev/null.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)

    events = train.Events(enabled=True)
    try:
        job_argv, env = _read_job(line)
    except TrainerError as exc:
        train.log(f"error {exc.code}: {exc.message}")
        events.emit("error", code=exc.code, message=exc.message)
        return 1
    os.environ.clear()
    os.environ.update(env)
    # As the package's __init__ did when the spare imported it (the executor has checked that the
    # job's OMP_* settings are the spare's).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    sys.argv = [train.__file__, *job_argv]
    _show_command_line(job_argv)
    configure_threads()
    return train.main(job_argv)


if __name__ == "__main__":
    sys.exit(main())
