"""The IDX reader: reads what the format says, and rejects corrupt files with the file and the reason."""

import gzip
import struct

import numpy as np
import pytest

from lrplan.lab import IdxError
from lrplan.lab.idx import read_idx, write_idx
from lrplan.lab.tasks import load_mnist


def test_reads_a_hand_written_file(tmp_path):
    # magic 00 00 08 03, dims 2 x 2 x 3, then 12 bytes
    raw = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 2, 3) + bytes(range(12))
    (tmp_path / "x-idx3-ubyte").write_bytes(raw)
    out = read_idx(tmp_path / "x-idx3-ubyte")
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    assert out[1, 1, 2] == 11


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_every_type_and_gzip(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    for name in ("a-idx", "a-idx.gz"):
        write_idx(tmp_path / name, a)
        np.testing.assert_array_equal(read_idx(tmp_path / name), a)


def test_big_endian_values(tmp_path):
    raw = bytes([0, 0, 0x0B, 1]) + struct.pack(">I", 2) + struct.pack(">2h", 258, -2)
    (tmp_path / "s").write_bytes(raw)
    assert read_idx(tmp_path / "s").tolist() == [258, -2]


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00", "too short for an IDX header"),
        (bytes([1, 0, 8, 1]) + struct.pack(">I", 1) + b"\x00", "bad magic number 01000801"),
        (bytes([0, 0, 7, 1]) + struct.pack(">I", 1) + b"\x00", "unknown IDX type code 0x07"),
        (bytes([0, 0, 8, 0]), "declares 0 dimensions"),
        (bytes([0, 0, 8, 3]) + struct.pack(">I", 5), "truncated header"),
        (
            bytes([0, 0, 8, 2]) + struct.pack(">2I", 2, 3) + bytes(5),
            r"truncated: the header declares shape \(2, 3\) \(6 data bytes\), the file has 5",
        ),
        (bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + bytes(3), "has trailing bytes"),
    ],
)
def test_corrupt_files_are_rejected_with_the_file_and_reason(tmp_path, raw, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(raw)
    with pytest.raises(IdxError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_not_gzip_and_missing(tmp_path):
    (tmp_path / "x.gz").write_bytes(b"not gzip at all")
    with pytest.raises(IdxError, match="not a valid gzip file"):
        read_idx(tmp_path / "x.gz")
    with pytest.raises(IdxError, match="IDX file not found"):
        read_idx(tmp_path / "missing")
    (tmp_path / "t.gz").write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 4) + bytes(2)))
    with pytest.raises(IdxError, match="truncated"):
        read_idx(tmp_path / "t.gz")


def _mnist(root, n_images=5, n_labels=5, label_value=1, image_ndim=3):
    for split in ("train", "t10k"):
        write_idx(
            root / f"{split}-images-idx3-ubyte",
            np.zeros((n_images, 4, 4) if image_ndim == 3 else (n_images, 16), np.uint8),
        )
        write_idx(root / f"{split}-labels-idx1-ubyte", np.full(n_labels, label_value, np.uint8))


def test_mnist_consistency_checks(tmp_path):
    _mnist(tmp_path)
    xtr, ytr, xte, _ = load_mnist(tmp_path)
    assert xtr.shape == (5, 16) and ytr.tolist() == [1] * 5 and xte.dtype == np.float32
    _mnist(tmp_path, n_labels=4)
    with pytest.raises(IdxError, match="4 labels for 5 images"):
        load_mnist(tmp_path)
    _mnist(tmp_path, label_value=12)
    with pytest.raises(IdxError, match=r"labels must be in 0..9"):
        load_mnist(tmp_path)
    _mnist(tmp_path, image_ndim=2)
    with pytest.raises(IdxError, match="expected 3 dimensions"):
        load_mnist(tmp_path)


def test_idx_reads_are_bounded_and_never_block(tmp_path, monkeypatch):
    import os

    from lrplan.lab import idx

    payload = bytes([0, 0, 8, 1]) + struct.pack(">I", 3000) + bytes(3000)
    (tmp_path / "two.gz").write_bytes(gzip.compress(payload[:100]) + gzip.compress(payload[100:]))  # two members
    assert read_idx(tmp_path / "two.gz").shape == (3000,)
    monkeypatch.setattr(idx, "MAX_IDX_BYTES", 1000)
    with pytest.raises(IdxError, match=r"two.gz: decompresses to more than 1000 bytes."):
        read_idx(tmp_path / "two.gz")  # a small file that inflates past the bound (a gzip bomb)
    (tmp_path / "big").write_bytes(payload)
    with pytest.raises(IdxError, match=r"big: the IDX file is 3008 bytes; at most 1000 are read."):
        read_idx(tmp_path / "big")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(
        IdxError, match=r"fifo: not a regular file \(a device, pipe or folder\); the IDX file must be a file."
    ):
        read_idx(tmp_path / "fifo")
