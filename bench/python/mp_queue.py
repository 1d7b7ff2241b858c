"""multiprocessing.Queue: every sample a new object, pickled into a pipe by the queue's feeder thread.

A new buffer per sample, since put() returns before the feeder thread has pickled the object:
reusing one would let the writer overwrite a sample still waiting to be sent. maxsize=depth keeps the
stream lossless with bounded memory (put blocks when the reader is behind).
"""

import multiprocessing

import numpy as np

from transport import Channel, Payload, ReaderEnd, Transport, WriterEnd, released_on_exit


class _Writer(WriterEnd):
    def __init__(self, queue, payload: Payload):
        self._queue = queue
        self._payload = payload

    def loan(self, n):
        return _QueueLoan(self._queue, self._payload, n)


class _QueueLoan:
    def __init__(self, queue, payload: Payload, n: int):
        self._queue = queue
        self._sample = np.empty(payload.frame_shape, dtype=np.uint8) if payload.is_frame else bytearray(n)

    def __enter__(self):
        return self._sample if isinstance(self._sample, np.ndarray) else memoryview(self._sample)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._queue.put(self._sample)
        return False


class _Reader(ReaderEnd):
    def __init__(self, queue, payload: Payload):
        self._queue = queue
        self._payload = payload

    def take(self):
        sample = self._queue.get()
        if isinstance(sample, np.ndarray):
            sample.flags.writeable = False
            view = sample
        else:
            view = memoryview(sample).toreadonly()
        return released_on_exit(view, lambda: None)


class _QueueChannel(Channel):
    def __init__(self, payload: Payload, depth: int):
        self._payload = payload
        self._queue = multiprocessing.Queue(maxsize=depth)

    def writer(self):
        return _Writer(self._queue, self._payload)

    def reader(self):
        return _Reader(self._queue, self._payload)

    def close(self):
        self._queue.close()
        self._queue.join_thread()


class QueueTransport(Transport):
    name = "mp.Queue"
    description = "multiprocessing.Queue(maxsize=depth): put() a new bytearray / ndarray per sample, get() it"

    def open(self, payload, depth):
        return _QueueChannel(payload, depth)
