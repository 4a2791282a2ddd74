"""torchrun for the trainer: `python3 -m lathe_trainer.launch [torchrun options] -m lathe_trainer.train ...`.

It is torch.distributed.run, plus a fix for torch 1.13 on Python 3.11+, where iterating the
`Std` IntFlag skips its zero member, so the default `--redirects 0` / `--tee 0` parse to None and
the launcher crashes before starting any worker. On versions without the bug nothing is changed.
"""
from __future__ import annotations

import re
import sys


def _patch_std_parsing() -> None:
    from torch.distributed.elastic.multiprocessing import api

    if api.Std.from_str("0") is not None:
        return

    def from_str(vm: str):
        if re.fullmatch(r"\d", vm):
            return api.Std(int(vm))
        return {int(i): api.Std(int(v)) for i, v in (part.split(":") for part in vm.split(","))}

    api.Std.from_str = staticmethod(from_str)


def main(argv=None) -> None:
    _patch_std_parsing()
    from torch.distributed import run

    run.main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
