"""Reader and writer for the safetensors format (8-byte little-endian header length, JSON header,
raw little-endian tensor bytes), so checkpoints load without the safetensors package."""
from __future__ import annotations

import errno
import json
import mmap
import os
import struct
from typing import Dict, Iterable, Mapping, Optional, Tuple

import torch

from .errors import TrainerError

_DTYPES: Dict[str, torch.dtype] = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}
_MAX_HEADER_BYTES = 100 * 1024 * 1024


def _element_size(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


class SafetensorsFile:
    """A validated, memory-mapped safetensors file whose tensors are read on demand."""

    def __init__(self, path: str):
        self.path = path
        try:
            self._file = open(path, "rb")
        except FileNotFoundError:
            raise TrainerError("missing_weights", f"weights file not found: {path}") from None
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size < 8:
                raise self._corrupt(f"file is {size} bytes, too short for a header")
            (header_len,) = struct.unpack("<Q", self._file.read(8))
            if header_len > _MAX_HEADER_BYTES or 8 + header_len > size:
                raise self._corrupt(f"header length {header_len} does not fit a file of {size} bytes")
            try:
                header = json.loads(self._file.read(header_len).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise self._corrupt(f"header is not valid JSON ({exc})") from None
            if not isinstance(header, dict):
                raise self._corrupt("header is not a JSON object")
            self.metadata: Dict[str, str] = header.pop("__metadata__", None) or {}
            self._data_start = 8 + header_len
            data_len = size - self._data_start
            self._entries: Dict[str, Tuple[torch.dtype, Tuple[int, ...], int, int]] = {}
            spans = []
            for name, info in header.items():
                dtype, shape, begin, end = self._parse_entry(name, info, data_len)
                self._entries[name] = (dtype, shape, begin, end)
                spans.append((begin, end, name))
            spans.sort()
            for (b0, e0, n0), (b1, _e1, n1) in zip(spans, spans[1:]):
                if b1 < e0:
                    raise self._corrupt(f"tensors {n0!r} and {n1!r} overlap")
            self._map: Optional[mmap.mmap] = (
                mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_COPY) if size > 0 else None
            )
        except BaseException:
            self._file.close()
            raise

    def _corrupt(self, detail: str) -> TrainerError:
        return TrainerError("corrupt_weights", f"{os.path.basename(self.path)}: {detail}")

    def _parse_entry(self, name, info, data_len):
        if not isinstance(info, dict):
            raise self._corrupt(f"entry {name!r} is not an object")
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise self._corrupt(f"tensor {name!r} has unsupported dtype {info.get('dtype')!r}")
        shape = info.get("shape")
        offsets = info.get("data_offsets")
        if (
            not isinstance(shape, list)
            or not all(isinstance(d, int) and d >= 0 for d in shape)
            or not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) for o in offsets)
        ):
            raise self._corrupt(f"tensor {name!r} has a malformed shape or data_offsets")
        begin, end = offsets
        count = 1
        for d in shape:
            count *= d
        if not 0 <= begin <= end <= data_len:
            raise self._corrupt(
                f"tensor {name!r} spans bytes {begin}..{end} but the data section has {data_len} bytes"
                " (the file is truncated or corrupt)"
            )
        if end - begin != count * _element_size(dtype):
            raise self._corrupt(
                f"tensor {name!r} of shape {shape} needs {count * _element_size(dtype)} bytes, has {end - begin}"
            )
        return dtype, tuple(shape), begin, end

    def keys(self) -> Iterable[str]:
        return self._entries.keys()

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def shape(self, name: str) -> Tuple[int, ...]:
        return self._entries[name][1]

    def dtype(self, name: str) -> torch.dtype:
        return self._entries[name][0]

    def get(self, name: str, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
        """Returns an owned copy of the tensor, converted to `dtype` when given."""
        stored, shape, begin, end = self._entries[name]
        if begin == end or self._map is None:
            return torch.empty(shape, dtype=dtype or stored)
        start = self._data_start + begin
        raw = torch.frombuffer(self._map, dtype=torch.uint8, count=end - begin, offset=start)
        tensor = raw.view(stored).reshape(shape)
        return tensor.to(dtype=dtype or stored, copy=True)

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self._file.close()

    def __enter__(self) -> "SafetensorsFile":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def load_file(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    with SafetensorsFile(path) as f:
        return {name: f.get(name) for name in f.keys()}, dict(f.metadata)


def _tensor_bytes(tensor: torch.Tensor) -> bytes:
    flat = tensor.detach().to("cpu").contiguous().reshape(-1)
    if flat.numel() == 0:
        return b""
    return flat.view(torch.uint8).numpy().tobytes()


def save_file(
    tensors: Mapping[str, torch.Tensor], path: str, metadata: Optional[Mapping[str, str]] = None
) -> None:
    """Writes `tensors` to `path` through a temporary file, fsynced, then renamed into place."""
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    names = sorted(tensors)
    for name in names:
        tensor = tensors[name]
        if tensor.dtype not in _NAMES:
            raise ValueError(f"cannot store dtype {tensor.dtype} for {name}")
        nbytes = tensor.numel() * tensor.element_size()
        header[name] = {
            "dtype": _NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(encoded)))
            f.write(encoded)
            for name in names:
                f.write(_tensor_bytes(tensors[name]))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
