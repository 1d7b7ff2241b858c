"""Unit tests of ratios.py and of the sample checks, run by `make test` (stage test-bench-python)."""

import unittest

import numpy as np

from ratios import median_of, ratios
from samples import STOP, Filler, stamp, tail_ok
from transport import Payload


def _stream(transport, rep, rate, lossless=True, payload="64 B"):
    return {"kind": "stream", "transport": transport, "payload": payload, "repetition": rep,
            "samples_per_s": rate, "lossless": lossless}


def _pingpong(transport, rep, p50, ok=True, payload="64 B"):
    return {"kind": "pingpong", "transport": transport, "payload": payload, "repetition": rep, "p50_us": p50,
            "ok": ok}


class RatioTest(unittest.TestCase):
    def test_pairs_repetitions_and_takes_the_median(self):
        results = [_stream("ref", 0, 100.0), _stream("other", 0, 50.0),   # 2x
                   _stream("ref", 1, 300.0), _stream("other", 1, 100.0),  # 3x
                   _stream("ref", 2, 100.0), _stream("other", 2, 100.0)]  # 1x
        (r,) = ratios(results, "ref")
        self.assertEqual((r["other"], r["pairs"]), ("other", 3))
        self.assertAlmostEqual(r["ratio_median"], 2.0)
        self.assertAlmostEqual(r["ratio_min"], 1.0)
        self.assertAlmostEqual(r["ratio_max"], 3.0)

    def test_round_trip_ratio_is_other_over_reference(self):
        results = [_pingpong("ref", 0, 10.0), _pingpong("other", 0, 40.0)]
        (r,) = ratios(results, "ref")
        self.assertAlmostEqual(r["ratio_median"], 4.0)

    def test_a_lossy_or_failed_run_is_not_paired(self):
        results = [_stream("ref", 0, 100.0), _stream("other", 0, 50.0, lossless=False),
                   _pingpong("ref", 0, 10.0), _pingpong("other", 0, 40.0, ok=False)]
        self.assertEqual(ratios(results, "ref"), [])

    def test_no_reference_no_ratios(self):
        self.assertEqual(ratios([_stream("other", 0, 50.0)], "ref"), [])

    def test_unpaired_repetitions_are_left_out(self):
        results = [_stream("ref", 0, 100.0), _stream("other", 1, 50.0)]
        self.assertEqual(ratios(results, "ref"), [])

    def test_median_of_ignores_failed_runs(self):
        results = [_stream("t", 0, 1.0), _stream("t", 1, 5.0), _stream("t", 2, 1000.0, lossless=False),
                   _stream("t", 3, 3.0)]
        self.assertEqual(median_of(results, "stream", "t", "64 B", "samples_per_s"), 3.0)


class SampleTest(unittest.TestCase):
    def test_bytes_sample_round_trips_and_a_torn_one_is_caught(self):
        payload = Payload(64)
        buffer = bytearray(64)
        Filler(payload).fill(memoryview(buffer), 7)
        self.assertEqual(stamp(memoryview(buffer)), 7)
        self.assertTrue(tail_ok(payload, memoryview(buffer), 7))
        buffer[-1] ^= 1
        self.assertFalse(tail_ok(payload, memoryview(buffer), 7))

    def test_frame_sample_round_trips_and_a_stale_one_is_caught(self):
        payload = Payload(64 * 64, (64, 64))
        frame = np.zeros((64, 64), dtype=np.uint8)
        Filler(payload).fill(frame, 300)
        self.assertEqual(stamp(frame), 300)
        self.assertTrue(tail_ok(payload, frame, 300))
        self.assertFalse(tail_ok(payload, frame, 301))
        Filler.stop(frame)
        self.assertEqual(stamp(frame), STOP)


if __name__ == "__main__":
    unittest.main()
