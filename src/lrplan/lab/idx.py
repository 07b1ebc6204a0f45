"""A reader for the IDX format of the MNIST files (``train-images-idx3-ubyte`` and friends).

Layout (big-endian): two zero bytes, a type code, the number of dimensions ``n``, then ``n`` 32-bit
dimension sizes, then the data. Type codes: ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16,
``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64. Files ending in ``.gz`` are decompressed.

The lab never downloads anything: point it at a directory that already holds the files.

Example:
    >>> import numpy as np, pathlib, tempfile
    >>> from lrplan.lab.idx import read_idx, write_idx
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    >>> read_idx(path)
    array([3, 1, 4], dtype=uint8)

Reference: Y. LeCun et al., "THE MNIST DATABASE of handwritten digits", the file format section.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .checks import read_bounded
from .errors import IdxError, LabError

__all__ = ["read_idx", "write_idx", "IDX_TYPES"]

IDX_TYPES: dict[int, str] = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
"""IDX type code -> NumPy dtype string (big-endian)."""


MAX_IDX_BYTES = 1 << 30
"""The largest IDX file read, also once decompressed (1 GiB; MNIST's largest is 47 MB)."""


def _gunzip(p: Path, raw: bytes) -> bytes:
    """Decompress ``raw`` (all members), refusing more than :data:`MAX_IDX_BYTES` of output."""
    out = bytearray()
    data = raw
    try:
        while data:
            d = zlib.decompressobj(wbits=31)  # gzip framing
            out += d.decompress(data, MAX_IDX_BYTES + 1 - len(out))
            if len(out) > MAX_IDX_BYTES or d.unconsumed_tail:
                raise IdxError(f"{p}: decompresses to more than {MAX_IDX_BYTES} bytes.")
            if not d.eof:
                raise IdxError(f"{p}: not a valid gzip file (truncated).")
            data = d.unused_data
    except zlib.error as exc:
        raise IdxError(f"{p}: not a valid gzip file ({exc}).") from None
    return bytes(out)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) into a NumPy array in native byte order.

    Raises:
        IdxError: the file is missing, not a regular file, over :data:`MAX_IDX_BYTES` (also once
            decompressed), not gzip despite its name, has a bad magic number, an unknown type code,
            or a size that does not match its header (truncated or with trailing bytes).
    """
    p = Path(path)
    if not p.exists():
        raise IdxError(f"{p}: IDX file not found.")
    try:
        raw = read_bounded(p, MAX_IDX_BYTES, what="IDX file")
    except LabError as exc:
        raise IdxError(str(exc)) from None
    if p.suffix == ".gz":
        raw = _gunzip(p, raw)
    if len(raw) < 4:
        raise IdxError(f"{p}: too short for an IDX header ({len(raw)} bytes; need at least 4).")
    zero0, zero1, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0:
        raise IdxError(f"{p}: bad magic number {raw[:4].hex()}; an IDX file starts with two zero bytes.")
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IdxError(f"{p}: unknown IDX type code 0x{code:02X}; expected one of {known}.")
    if ndim == 0:
        raise IdxError(f"{p}: the header declares 0 dimensions.")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxError(f"{p}: truncated header: {ndim} dimensions need {header} bytes, the file has {len(raw)}.")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(IDX_TYPES[code])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise IdxError(
            f"{p}: {what}: the header declares shape {tuple(dims)} ({expected} data bytes), the file has {actual}."
        )
    data = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed if the name ends in ``.gz``); used by the tests."""
    arr = np.asarray(array)
    code = None
    for c, name in IDX_TYPES.items():
        if np.dtype(name).kind == arr.dtype.kind and np.dtype(name).itemsize == arr.dtype.itemsize:
            code = c
            break
    if code is None or arr.ndim == 0 or arr.ndim > 255:
        raise IdxError(f"{path}: cannot write dtype {arr.dtype} with {arr.ndim} dimensions as IDX.")
    payload = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload += arr.astype(np.dtype(IDX_TYPES[code])).tobytes()
    p = Path(path)
    p.write_bytes(gzip.compress(payload) if p.suffix == ".gz" else payload)
