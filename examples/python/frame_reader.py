#!/usr/bin/python3
"""The Python half of the numpy frame example: creates a segment, registers as its reader, starts
the C++ writer (frame_writer.cpp) and reads every frame as a numpy array over the slot itself, no
copy, checking each pixel. Prints one line per 10 frames and a summary.

    examples/python/frame_reader.py build/dev/examples/python/shmslot_python_frame_writer
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

import shmslot

ROWS, COLS, FRAMES = 120, 160, 50


def read_frames(reader: shmslot.Reader) -> bool:
    expected_base = np.add.outer(np.arange(ROWS), np.arange(COLS))
    for i in range(FRAMES):
        with reader.take(timeout=30) as frame:  # a read-only array onto the slot the C++ process filled
            if not np.array_equal(frame, (expected_base + i) & 0xFF):
                print(f"frame {i}: wrong pixels", file=sys.stderr)
                return False
            if i % 10 == 0:
                print(f"frame {i}: {frame.shape[0]}x{frame.shape[1]} {frame.dtype}, mean {frame.mean():.1f}")
    return True  # the last view goes here: the segment's mapping, which it holds, can go with the segment


def main(writer_program: str) -> int:
    with tempfile.TemporaryDirectory(prefix="shmslot-frames-") as directory:
        flink = os.path.join(directory, "camera")
        with shmslot.Segment.create(flink, slot_count=4, slot_capacity=ROWS * COLS) as segment:
            reader = shmslot.Reader(segment, dtype=np.uint8, shape=(ROWS, COLS))  # registered before the writer starts
            writer = subprocess.Popen([writer_program, flink, str(FRAMES), str(ROWS), str(COLS)])
            try:
                ok = read_frames(reader)
            finally:
                status = writer.wait(timeout=60)
    print(f"{FRAMES} frames from the C++ writer read in place, writer exit {status}")
    return 0 if ok and status == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
