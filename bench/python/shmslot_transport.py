"""The shmslot module as a transport: a segment of `depth` slots of the payload's size, a Writer
that loans a slot and fills it in place, a Reader that takes each sample where it lies (a read-only
memoryview, or a numpy frame over the slot) and releases it. No copy of the payload and no system
call per sample while neither side sleeps.

The parent creates (owns) the segment; each process attaches to it by its flink path, so neither
inherits the other's mapping. The writer's active readers are exactly reader 0 (`active_readers`),
which the reader process claims: a writer that starts first waits for it, and nothing is lost.
"""

import os
import shutil
import tempfile

import numpy as np
import shmslot

from transport import Channel, Payload, ReaderEnd, Transport, WriterEnd

_READER_INDEX = 0


def _typing(payload: Payload) -> dict:
    return {"dtype": np.uint8, "shape": payload.frame_shape} if payload.is_frame else {}


class _Writer(WriterEnd):
    def __init__(self, segment: "shmslot.Segment", payload: Payload):
        self._segment = segment
        self._writer = shmslot.Writer(segment, active_readers=1 << _READER_INDEX, **_typing(payload))
        self._frames = payload.is_frame

    def loan(self, n):
        # A frame writer's samples have the frame's shape: its loans take no size.
        return self._writer.loan() if self._frames else self._writer.loan(n)


class _Reader(ReaderEnd):
    def __init__(self, segment: "shmslot.Segment", payload: Payload):
        self._segment = segment
        self._reader = shmslot.Reader(segment, index=_READER_INDEX, **_typing(payload))

    def take(self):
        return self._reader.take()


class _ShmslotChannel(Channel):
    def __init__(self, payload: Payload, depth: int):
        self._payload = payload
        self._directory = tempfile.mkdtemp(prefix="shmslot-bench-")
        self._flink = os.path.join(self._directory, "channel")
        self._owner = shmslot.Segment.create(self._flink, depth, payload.size)

    def writer(self):
        return _Writer(shmslot.Segment.attach(self._flink), self._payload)

    def reader(self):
        return _Reader(shmslot.Segment.attach(self._flink), self._payload)

    def close(self):
        self._owner.close()
        shutil.rmtree(self._directory, ignore_errors=True)


class ShmslotTransport(Transport):
    name = "shmslot"
    description = ("the shmslot Python module: a segment of depth slots, writer.loan() filled in place and "
                   "reader.take() read in place (memoryview or numpy frame), futex wake-ups only when a side sleeps")

    def open(self, payload, depth):
        return _ShmslotChannel(payload, depth)
