"""Shared plumbing for the command-line entry points: one JSON error line and a stable exit code."""
from __future__ import annotations

import json
import sys
import traceback
from typing import Callable

from .errors import TrainerError


def run_command(body: Callable[[], object]) -> int:
    """Runs `body`, printing its result as one JSON line on stdout; a failure prints
    {"error": {"code", "message"}} on stdout instead and exits 1."""
    try:
        result = body()
    except TrainerError as exc:
        print(json.dumps({"error": {"code": exc.code, "message": exc.message}}), flush=True)
        return 1
    except MemoryError:
        print(json.dumps({"error": {"code": "out_of_memory", "message": "out of memory"}}), flush=True)
        return 1
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        print(json.dumps({"error": {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}}), flush=True)
        return 1
    sys.stdout.write(json.dumps(result, separators=(",", ":")))
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0
