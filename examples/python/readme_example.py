#!/usr/bin/python3
"""The Python example in README.md: a writer fills a slot in place, a reader reads it where it lies."""

import numpy as np

import shmslot

pose = shmslot.struct_dtype("Pose", [("x", "f8"), ("y", "f8"), ("z", "f8")])  # Pose{x:f64,y:f64,z:f64}

with shmslot.Segment.create("python-example", slot_count=8, slot_capacity=pose.itemsize, dtype=pose) as owner:
    consumer = shmslot.Segment.attach("python-example", dtype=pose)  # normally in another process
    reader = shmslot.Reader(consumer, dtype=pose, shape=())  # claims a free reader index
    writer = shmslot.Writer(owner, dtype=pose, shape=())  # waits for every registered reader

    with writer.loan(timeout=1.0) as p:  # a writable numpy view onto the slot
        p["x"], p["y"], p["z"] = 1.0, 2.0, 3.0  # committed when the block ends, discarded on an exception

    with reader.take(timeout=1.0) as p:  # read-only, in place; TimedOut if nothing comes
        print(f"pose {p['x']:.1f} {p['y']:.1f} {p['z']:.1f}")  # released (marked read) when the block ends
