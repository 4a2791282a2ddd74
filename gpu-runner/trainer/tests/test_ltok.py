"""The .ltok reader and writer: round trips, alignment, and damaged files reported with a byte offset."""
import os
import struct
import tempfile
import unittest

import helpers  # noqa: F401  (puts lathe_trainer on the path)

from lathe_trainer.data import make_batch, prepare
from lathe_trainer.errors import TrainerError
from lathe_trainer.ltok import HEADER, MAGIC, LtokDataset, write_ltok


class Ltok(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "d.ltok")

    def tearDown(self):
        self.tmp.cleanup()

    def dataset_error(self, data, vocab=None):
        with open(self.path, "wb") as f:
            f.write(data)
        with self.assertRaises(TrainerError) as caught:
            LtokDataset(self.path, vocab)
        return caught.exception

    def test_round_trip_and_alignment(self):
        records = [([5], [1]), ([1, 2, 3, 4], [0, 0, 1, 1]), ([9, 8, 7], [0, 1, 0]), (list(range(1000, 1013)), [1] * 13)]
        write_ltok(self.path, records)
        with open(self.path, "rb") as f:
            raw = f.read()
        self.assertEqual(raw[:16], b"LATHETOK" + struct.pack("<II", 1, 0))
        expected_size = 16 + sum(4 + 5 * len(ids) + (-5 * len(ids)) % 4 for ids, _ in records)
        self.assertEqual(len(raw), expected_size)
        dataset = LtokDataset(self.path, vocab_size=2000)
        self.assertEqual(len(dataset), 4)
        self.assertTrue(all(offset % 4 == 0 for offset in dataset.offsets))
        for i, (ids, mask) in enumerate(records):
            got_ids, got_mask = dataset.example(i)
            self.assertEqual(got_ids.tolist(), ids)
            self.assertEqual(got_mask.astype(int).tolist(), mask)
        dataset.close()

    def test_damaged_files(self):
        header = HEADER.pack(MAGIC, 1, 0)
        self.assertIn("magic", self.dataset_error(b"NOTLATHE" + b"\0" * 8).message)
        self.assertIn("version 2", self.dataset_error(HEADER.pack(MAGIC, 2, 0)).message)
        self.assertIn("shorter than", self.dataset_error(b"LATHE").message)
        error = self.dataset_error(header + struct.pack("<I", 0))
        self.assertIn("0 tokens", error.message)
        self.assertIn("byte offset 16", error.message)
        error = self.dataset_error(header + struct.pack("<I2I", 2, 1, 2))
        self.assertIn("truncated record 0 at byte offset 16", error.message)
        error = self.dataset_error(header + struct.pack("<I1I1B", 1, 4, 1) + b"\0\0\0" + b"\0\0")
        self.assertIn("byte offset 28", error.message)
        error = self.dataset_error(header + struct.pack("<I1I1B", 1, 4, 2) + b"\0\0\0")
        self.assertIn("loss-mask value 2", error.message)
        error = self.dataset_error(header + struct.pack("<I1I1B", 1, 50, 1) + b"\0\0\0", vocab=10)
        self.assertEqual(error.code, "token_out_of_range")
        self.assertEqual(self.dataset_error(header + struct.pack("<I1I1B", 1, 4, 1) + b"\0\0\1").code, "dataset_invalid")
        with self.assertRaises(TrainerError) as caught:
            LtokDataset(os.path.join(self.tmp.name, "missing.ltok"))
        self.assertEqual(caught.exception.code, "dataset_not_found")

    def test_truncation_packing_and_label_shift(self):
        write_ltok(self.path, [([1, 2, 3, 4, 5, 6], [0, 0, 1, 1, 1, 1]), ([7, 8, 9], [1, 1, 1]), ([10, 11], [0, 1])])
        dataset = LtokDataset(self.path)
        data = prepare(dataset, sequence_length=4, packing=False, seed=0, name="training")
        self.assertEqual(data.truncated, 1)
        self.assertEqual(data.lengths.tolist(), [4, 3, 2])
        self.assertEqual(data.targets.tolist(), [2, 2, 1], "the first token of an example is never a target")
        batch = make_batch(data, [0, 1], packing=False, device="cpu")
        self.assertEqual(batch.input_ids.tolist(), [[1, 2, 3], [7, 8, 9]])
        self.assertEqual(batch.labels.tolist(), [[2, 3, 4], [8, 9, 0]])
        self.assertEqual(batch.label_mask.tolist(), [[False, True, True], [True, True, False]])
        packed = prepare(dataset, sequence_length=6, packing=True, seed=0, name="training")
        self.assertTrue(all(sum(int(packed.lengths[e]) for e in row) <= 6 for row in packed.rows))
        self.assertEqual(sorted(e for row in packed.rows for e in row), [0, 1, 2])
        row = next(i for i, r in enumerate(packed.rows) if len(r) == 2)
        batch = make_batch(packed, [row], packing=True, device="cpu")
        segments = batch.segment_ids[0].tolist()
        boundary = segments.index(1)
        self.assertFalse(bool(batch.label_mask[0, boundary - 1]), "no target across the example boundary")
        self.assertEqual(int(batch.position_ids[0, boundary]), 0)
        dataset.close()


if __name__ == "__main__":
    unittest.main()
