"""multiprocessing.Pipe: raw bytes through a one-way pipe, no pickling.

The writer fills one reused buffer and sends it with send_bytes() (synchronous: the buffer is free
again when it returns); the reader receives into its own reused buffer with recv_bytes_into(). One
copy into the kernel and one out of it per sample. The pipe's kernel buffer (64 KiB on Linux) is the
only queue, so `depth` does not apply.
"""

import multiprocessing

import numpy as np

from transport import Channel, Payload, ReaderEnd, Transport, WriterEnd, released_on_exit


def _buffer(payload: Payload):
    return np.empty(payload.frame_shape, dtype=np.uint8) if payload.is_frame else bytearray(payload.size)


def _flat(buffer) -> memoryview:
    # send_bytes / recv_bytes_into slice along the first dimension: hand them flat bytes.
    return memoryview(buffer).cast("B") if isinstance(buffer, np.ndarray) else memoryview(buffer)


class _Writer(WriterEnd):
    def __init__(self, connection, payload: Payload):
        self._connection = connection
        self._buffer = _buffer(payload)
        self._flat = _flat(self._buffer)

    def loan(self, n):
        return _PipeLoan(self, n)


class _PipeLoan:
    def __init__(self, writer: _Writer, n: int):
        self._writer = writer
        self._n = n

    def __enter__(self):
        w = self._writer
        return w._buffer if isinstance(w._buffer, np.ndarray) else w._flat[: self._n]

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._writer._connection.send_bytes(self._writer._flat, 0, self._n)
        return False


class _Reader(ReaderEnd):
    def __init__(self, connection, payload: Payload):
        self._connection = connection
        self._buffer = _buffer(payload)
        self._flat = _flat(self._buffer)
        self._read_only = self._buffer.view() if isinstance(self._buffer, np.ndarray) else self._flat.toreadonly()
        if isinstance(self._read_only, np.ndarray):
            self._read_only.flags.writeable = False

    def take(self):
        n = self._connection.recv_bytes_into(self._flat)
        view = self._read_only if isinstance(self._read_only, np.ndarray) else self._read_only[:n]
        return released_on_exit(view, lambda: None)


class _PipeChannel(Channel):
    def __init__(self, payload: Payload):
        self._payload = payload
        self._receive, self._send = multiprocessing.Pipe(duplex=False)

    def writer(self):
        self._receive.close()
        return _Writer(self._send, self._payload)

    def reader(self):
        self._send.close()
        return _Reader(self._receive, self._payload)

    def close(self):
        self._receive.close()
        self._send.close()


class PipeTransport(Transport):
    name = "mp.Pipe"
    description = "multiprocessing.Pipe(duplex=False): send_bytes() from one reused buffer, recv_bytes_into() another"

    def open(self, payload, depth):
        return _PipeChannel(payload)
