"""The .ltok tokenized dataset: a 16-byte header (b"LATHETOK", u32 version 1, u32 reserved 0), then
records of u32 n, n x u32 token ids, n x u8 loss mask, zero padding to a 4-byte boundary; all
little-endian. mask[i] = 1 means token i is a training target (predicted from tokens < i)."""
from __future__ import annotations

import mmap
import os
import struct
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .errors import TrainerError

MAGIC = b"LATHETOK"
VERSION = 1
HEADER = struct.Struct("<8sII")


def _padding(n: int) -> int:
    return -n % 4


class LtokDataset:
    """A validated, memory-mapped .ltok file. The constructor scans it once, checking every record
    (length, alignment, padding, mask values, token range) and building an index."""

    def __init__(self, path: str, vocab_size: Optional[int] = None):
        self.path = path
        name = os.path.basename(path)
        try:
            self._file = open(path, "rb")
        except FileNotFoundError:
            raise TrainerError("dataset_not_found", f"dataset file not found: {path}") from None
        except IsADirectoryError:
            raise TrainerError("dataset_invalid", f"{path} is a folder, not a .ltok file") from None
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size < HEADER.size:
                raise TrainerError("dataset_invalid", f"{name}: file is {size} bytes, shorter than the 16-byte header")
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
            magic, version, _reserved = HEADER.unpack_from(self._map, 0)
            if magic != MAGIC:
                raise TrainerError("dataset_invalid", f"{name}: not a .ltok file (bad magic at byte offset 0)")
            if version != VERSION:
                raise TrainerError("dataset_invalid", f"{name}: unsupported .ltok version {version} at byte offset 8")
            self._buf = np.frombuffer(self._map, dtype=np.uint8)
            self.offsets, self.lengths = self._scan(name, size, vocab_size)
        except BaseException:
            self.close()
            raise

    def _scan(self, name: str, size: int, vocab_size: Optional[int]) -> Tuple[np.ndarray, np.ndarray]:
        offsets: List[int] = []
        lengths: List[int] = []
        pos = HEADER.size
        buf = self._buf
        while pos < size:
            if size - pos < 4:
                raise TrainerError(
                    "dataset_invalid", f"{name}: truncated record at byte offset {pos}: {size - pos} bytes left, need 4"
                )
            (n,) = struct.unpack_from("<I", self._map, pos)
            if n == 0:
                raise TrainerError("dataset_invalid", f"{name}: record {len(offsets)} at byte offset {pos} has 0 tokens")
            end = pos + 4 + 5 * n
            padded_end = end + _padding(5 * n)
            if padded_end > size:
                raise TrainerError(
                    "dataset_invalid",
                    f"{name}: truncated record {len(offsets)} at byte offset {pos}: it needs {padded_end - pos} bytes,"
                    f" the file has {size - pos} left",
                )
            if end != padded_end and buf[end:padded_end].any():
                raise TrainerError(
                    "dataset_invalid",
                    f"{name}: misaligned record {len(offsets)}: non-zero padding at byte offset {end}",
                )
            mask = buf[pos + 4 + 4 * n : end]
            if mask.max() > 1:
                bad = int(np.argmax(mask > 1))
                raise TrainerError(
                    "dataset_invalid",
                    f"{name}: record {len(offsets)} has loss-mask value {int(mask[bad])} at byte offset"
                    f" {pos + 4 + 4 * n + bad} (must be 0 or 1)",
                )
            if vocab_size is not None:
                ids = buf[pos + 4 : pos + 4 + 4 * n].view("<u4")
                top = int(ids.max())
                if top >= vocab_size:
                    raise TrainerError(
                        "token_out_of_range",
                        f"{name}: record {len(offsets)} (byte offset {pos}) has token id {top},"
                        f" outside the model's vocabulary of {vocab_size}",
                    )
            offsets.append(pos)
            lengths.append(n)
            pos = padded_end
        return np.asarray(offsets, dtype=np.int64), np.asarray(lengths, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.offsets)

    def example(self, index: int) -> Tuple[np.ndarray, np.ndarray]:
        """(token ids as int64, loss mask as bool) of one record."""
        pos = int(self.offsets[index])
        n = int(self.lengths[index])
        ids = self._buf[pos + 4 : pos + 4 + 4 * n].view("<u4").astype(np.int64)
        mask = self._buf[pos + 4 + 4 * n : pos + 4 + 5 * n].astype(bool)
        return ids, mask

    def close(self) -> None:
        self._buf = None
        if getattr(self, "_map", None) is not None:
            try:
                self._map.close()
            except BufferError:
                pass
            self._map = None
        self._file.close()


class LtokWriter:
    """Streams records into `path` through a temporary file that is renamed on close()."""

    def __init__(self, path: str):
        self.path = path
        self._tmp = f"{path}.tmp-{os.getpid()}"
        self._file = open(self._tmp, "wb")
        self._file.write(HEADER.pack(MAGIC, VERSION, 0))
        self.count = 0

    def write(self, ids: Sequence[int], mask: Sequence[int]) -> None:
        if len(ids) != len(mask) or not ids:
            raise ValueError("a record needs at least one token and one mask value per token")
        n = len(ids)
        self._file.write(struct.pack("<I", n))
        self._file.write(np.asarray(ids, dtype="<u4").tobytes())
        self._file.write(np.asarray(mask, dtype=np.uint8).tobytes())
        self._file.write(b"\0" * _padding(5 * n))
        self.count += 1

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._file.close()
        try:
            os.unlink(self._tmp)
        except OSError:
            pass

    def __enter__(self) -> "LtokWriter":
        return self

    def __exit__(self, exc_type, *_rest) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_ltok(path: str, records: Iterable[Tuple[Sequence[int], Sequence[int]]]) -> int:
    with LtokWriter(path) as writer:
        for ids, mask in records:
            writer.write(ids, mask)
    return writer.count
