"""multiprocessing.shared_memory with a hand-made handshake: a ring of `depth` slots in one
SharedMemory block and two counting semaphores, `free` (slots the writer may fill, starting at depth)
and `full` (committed samples, starting at 0).

Writer: free.acquire(), fill slot i % depth in place, full.release(). Reader: full.acquire(), read
slot j % depth in place, free.release(). No copy of the payload: the writer writes into shared memory
and the reader reads it there, as shmslot does; what it lacks is what shmslot adds (several readers,
crash recovery, a reader that never blocks the writer for long, no system call when nobody waits:
the semaphores are futexes that sleep and wake on every contended hand-over).
"""

import multiprocessing
from multiprocessing import shared_memory

from transport import Channel, Payload, ReaderEnd, Transport, WriterEnd


class _Ring:
    def __init__(self, channel: "_SharedMemoryChannel"):
        self.payload = channel.payload
        self.depth = channel.depth
        self.free = channel.free
        self.full = channel.full
        size = self.payload.size
        # The views are made once per process: slicing shm.buf per sample would cost more than the hand-over.
        self.writable = [self.payload.view(channel.shm.buf[i * size:(i + 1) * size], writable=True)
                         for i in range(self.depth)]
        self.read_only = [self.payload.view(channel.shm.buf[i * size:(i + 1) * size], writable=False)
                          for i in range(self.depth)]
        self.index = 0


class _Writer(WriterEnd):
    def __init__(self, ring: _Ring):
        self._ring = ring

    def loan(self, n):
        return _Loan(self._ring)


class _Loan:
    def __init__(self, ring: _Ring):
        self._ring = ring

    def __enter__(self):
        r = self._ring
        r.free.acquire()
        return r.writable[r.index % r.depth]

    def __exit__(self, exc_type, exc, tb):
        r = self._ring
        if exc_type is None:
            r.index += 1
            r.full.release()
        else:
            r.free.release()  # discarded: the slot is free again and the reader never hears of it
        return False


class _Reader(ReaderEnd):
    def __init__(self, ring: _Ring):
        self._ring = ring

    def take(self):
        return _Take(self._ring)


class _Take:
    def __init__(self, ring: _Ring):
        self._ring = ring

    def __enter__(self):
        r = self._ring
        r.full.acquire()
        return r.read_only[r.index % r.depth]

    def __exit__(self, exc_type, exc, tb):
        r = self._ring
        r.index += 1
        r.free.release()
        return False


class _SharedMemoryChannel(Channel):
    def __init__(self, payload: Payload, depth: int):
        self.payload = payload
        self.depth = depth
        self.shm = shared_memory.SharedMemory(create=True, size=payload.size * depth)
        self.free = multiprocessing.Semaphore(depth)
        self.full = multiprocessing.Semaphore(0)

    def writer(self):
        return _Writer(_Ring(self))

    def reader(self):
        return _Reader(_Ring(self))

    def close(self):
        self.shm.close()
        self.shm.unlink()


class SharedMemoryTransport(Transport):
    name = "mp.shared_memory"
    description = ("multiprocessing.shared_memory ring of depth slots, written and read in place, "
                   "hand-over by two multiprocessing.Semaphore")

    def open(self, payload, depth):
        return _SharedMemoryChannel(payload, depth)
