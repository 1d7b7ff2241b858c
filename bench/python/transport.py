"""What a transport gives the benchmark: a channel from one writer process to one reader process.

The shape is the shmslot Python module's: a writer loans a buffer, fills it in place and commits it
by leaving the `with` block (an exception discards it); a reader takes a sample as a read-only view
and releases it by leaving its `with` block. Python's own tools are wrapped in the same shape, each
the way a careful user would use it (see their modules), so one measuring loop runs them all.

A channel is opened in the parent before the two processes are forked (multiprocessing's "fork"
start method): what it holds (pipes, queues, semaphores, shared memory) is inherited by both.
"""

import abc
import contextlib
import dataclasses
from typing import Iterator, Optional, Tuple

import numpy as np


@dataclasses.dataclass(frozen=True)
class Payload:
    """One sample: `size` bytes, or a uint8 numpy frame of `frame_shape` (size = its product)."""

    size: int
    frame_shape: Optional[Tuple[int, ...]] = None

    @property
    def is_frame(self) -> bool:
        return self.frame_shape is not None

    def label(self) -> str:
        text = f"{self.size // 1048576} MiB" if self.size >= 1048576 else (
            f"{self.size // 1024} KiB" if self.size >= 1024 else f"{self.size} B")
        return text + (" numpy frame" if self.is_frame else "")

    def view(self, buffer, writable: bool):
        """The sample as the benchmark's code sees it: a numpy frame or a flat memoryview of bytes."""
        if self.is_frame:
            frame = np.frombuffer(buffer, dtype=np.uint8, count=self.size).reshape(self.frame_shape)
            if not writable:
                frame.flags.writeable = False
            return frame
        view = memoryview(buffer).cast("B")[: self.size]
        return view if writable else view.toreadonly()


class WriterEnd(abc.ABC):
    """The writer's side, used in the writer process only."""

    @abc.abstractmethod
    def loan(self, n: int) -> "contextlib.AbstractContextManager":
        """Yields a writable buffer of n bytes (a numpy frame for frame payloads); leaving the block
        commits it, an exception discards it. Blocks while the reader is `depth` samples behind."""


class ReaderEnd(abc.ABC):
    """The reader's side, used in the reader process only."""

    @abc.abstractmethod
    def take(self) -> "contextlib.AbstractContextManager":
        """Blocks for the next sample and yields it read-only; leaving the block releases it."""


class Channel(abc.ABC):
    """One writer to one reader, lossless and in order."""

    @abc.abstractmethod
    def writer(self) -> WriterEnd:
        """Called once, in the writer process."""

    @abc.abstractmethod
    def reader(self) -> ReaderEnd:
        """Called once, in the reader process."""

    def close(self) -> None:
        """Called in the parent once both processes have ended."""


class Transport(abc.ABC):
    """A way of moving samples between processes: makes channels."""

    name: str = ""
    description: str = ""

    @abc.abstractmethod
    def open(self, payload: Payload, depth: int) -> Channel:
        """A channel for samples of `payload`, holding at most about `depth` unread samples."""


@contextlib.contextmanager
def released_on_exit(value, release) -> Iterator:
    """Yields value and calls release() however the block ends."""
    try:
        yield value
    finally:
        release()
