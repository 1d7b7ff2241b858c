"""The public classes: thin wrappers of the extension's that add the context managers and numpy
views (a dtype, and a sample shape, type a writer or reader; a structured dtype is checked against
the segment's type hash)."""

import math
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import _shmslot
from ._layout import dtype_type_hash

Timeout = Optional[float]
Shape = Optional[Tuple[int, ...]]


class Segment:
    """A POSIX shared-memory segment: ``Segment.create`` owns one (closing it removes it),
    ``Segment.attach`` attaches to one. Closing a segment closes its writers and readers; a view of
    a slot keeps the mapping alive until the view goes (docs/python.md, "View lifetime")."""

    __slots__ = ("_core",)

    def __init__(self, core: "_shmslot.Segment"):
        self._core = core

    @classmethod
    def create(cls, flink: str, slot_count: int, slot_capacity: int, *, dtype: Any = None,
               type_hash: Optional[bytes] = None, mode: int = 0o600, group: Optional[int] = None,
               notify: "_shmslot.NotifyMode" = _shmslot.NotifyMode.WAKE_ON_DEMAND,
               lease: float = 0.25) -> "Segment":
        """Creates a segment of slot_count slots of slot_capacity bytes. A structured ``dtype``
        records its type hash (or give ``type_hash``, 16 bytes)."""
        if dtype is not None:
            type_hash = _hash_of(dtype, type_hash)
        return cls(_shmslot.Segment.create(flink, slot_count, slot_capacity, mode=mode, group=group,
                                           type_hash=type_hash, notify=notify, lease=lease))

    @classmethod
    def attach(cls, flink: str, *, dtype: Any = None, expected_type_hash: Optional[bytes] = None,
               allow_foreign_owner: bool = False, group: Optional[int] = None) -> "Segment":
        """Attaches to a segment; a structured ``dtype`` (or ``expected_type_hash``) must match the
        type hash it records (TypeMismatch)."""
        if dtype is not None:
            expected_type_hash = _hash_of(dtype, expected_type_hash)
        return cls(_shmslot.Segment.attach(flink, expected_type_hash=expected_type_hash,
                                           allow_foreign_owner=allow_foreign_owner, group=group))

    def close(self) -> None:
        self._core.close()

    @property
    def closed(self) -> bool:
        return self._core.closed

    def __enter__(self) -> "Segment":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    slot_count = property(lambda self: self._core.slot_count, doc="Number of slots.")
    slot_capacity = property(lambda self: self._core.slot_capacity, doc="Payload bytes per slot.")
    type_hash = property(lambda self: self._core.type_hash, doc="The recorded 16-byte type hash, or None.")
    flink_path = property(lambda self: self._core.flink_path, doc="The flink file's resolved path.")
    shm_name = property(lambda self: self._core.shm_name, doc="The shm object's name, e.g. /shmem_1A2B.")
    is_owner = property(lambda self: self._core.is_owner, doc="True for the creator.")
    notify_mode = property(lambda self: self._core.notify_mode, doc="The segment's NotifyMode.")
    registered_readers = property(lambda self: self._core.registered_readers,
                                  doc="The registered reader indices as a bit mask.")

    def owner_alive(self) -> bool:
        return self._core.owner_alive()

    def locator(self, hostname: Optional[str] = None) -> bytes:
        """The ZeroDDS ShmLocator of this segment, little-endian bytes (hostname: this host's)."""
        return self._core.locator(hostname)


def _hash_of(dtype: Any, given: Optional[bytes]) -> bytes:
    h = dtype_type_hash(dtype)
    if given is not None and bytes(given) != h:
        raise ValueError("both a dtype and a type hash were given, and they differ")
    return h


class _Typing:
    """What a dtype and a sample shape make of a slot's bytes."""

    __slots__ = ("dtype", "shape", "nbytes")

    def __init__(self, segment: Segment, dtype: Any, shape: Shape):
        self.dtype = None if dtype is None else np.dtype(dtype)
        if shape is None:
            self.shape = None
        elif isinstance(shape, (int, np.integer)):
            self.shape = (int(shape),)
        else:
            self.shape = tuple(int(n) for n in shape)
        self.nbytes = None
        if self.dtype is None:
            if shape is not None:
                raise TypeError("a sample shape needs a dtype")
            return
        if self.dtype.itemsize == 0:
            raise TypeError(f"{self.dtype} has no size")
        if self.shape is not None:
            self.nbytes = self.dtype.itemsize * math.prod(self.shape)
        recorded = segment.type_hash
        if self.dtype.names is not None and recorded is not None and dtype_type_hash(self.dtype) != recorded:
            raise _shmslot.TypeMismatch(f"the segment records type hash {recorded.hex()}, {self.dtype} hashes to "
                                        f"{dtype_type_hash(self.dtype).hex()}")

    def loan_size(self, n: Optional[int]) -> int:
        """Bytes to loan: n bytes untyped, n items of a shapeless dtype, the sample shape's bytes."""
        if self.dtype is None:
            if n is None:
                raise TypeError("loan(size): an untyped writer loans a number of bytes")
            return _count(n)
        if self.nbytes is not None:
            if n is not None:
                raise TypeError(f"this writer's samples have shape {self.shape}: loan() takes no size")
            return self.nbytes
        return self.dtype.itemsize * _count(1 if n is None else n)

    def view(self, buffer: Any, writable: bool) -> Union[memoryview, np.ndarray]:
        """The sample: a memoryview of bytes, or an ndarray; TypeMismatch for a size that is not
        the dtype's."""
        if self.dtype is None:
            view = memoryview(buffer)
            return view if writable else view.toreadonly()
        size = len(buffer)
        if (self.nbytes is not None and size != self.nbytes) or size % self.dtype.itemsize != 0:
            raise _shmslot.TypeMismatch(f"a sample of {size} bytes is not "
                                        + (f"a {self.dtype} array of shape {self.shape}" if self.nbytes is not None
                                           else f"a whole number of {self.dtype} ({self.dtype.itemsize} bytes)"))
        array = np.frombuffer(buffer, dtype=self.dtype)
        if self.shape is not None:
            array = array.reshape(self.shape)
        if not writable:
            array.flags.writeable = False
        return array


def _count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"a size is an int >= 0, not {n!r}")
    return int(n)


class Loan:
    """A reserved slot. ``with writer.loan(n) as buf:`` fills ``buf`` in place; leaving the block
    commits it, an exception discards it. After either, ``buf`` no longer writes into the slot."""

    __slots__ = ("_core", "_typing", "_view", "sequence_number")

    def __init__(self, core: "_shmslot.Loan", typing: _Typing):
        self._core = core
        self._typing = typing
        self._view = None
        self.sequence_number: Optional[int] = None

    @property
    def view(self) -> Union[memoryview, np.ndarray]:
        """The slot's bytes, writable: a memoryview, or an ndarray of the writer's dtype."""
        if self._view is None:
            if not self._core.live:
                raise _shmslot.NotLoaned("the loan was committed or discarded")
            self._view = self._typing.view(self._core.view, writable=True)
        return self._view

    @property
    def size(self) -> int:
        return self._core.size

    @property
    def live(self) -> bool:
        return self._core.live

    def commit(self, length: Optional[int] = None) -> int:
        """Publishes the first ``length`` bytes (all by default) in place; the sequence number."""
        try:
            self.sequence_number = self._core.commit(length)
        finally:
            self._revoke()
        return self.sequence_number

    def discard(self) -> None:
        """Gives the slot back unpublished."""
        try:
            self._core.discard()
        finally:
            self._revoke()

    def _revoke(self) -> None:
        view, self._view = self._view, None
        if isinstance(view, np.ndarray):
            view.flags.writeable = False
        elif isinstance(view, memoryview):
            try:
                view.release()
            except BufferError:  # something made from it still holds it: it stays, as documented
                pass

    def __enter__(self) -> Union[memoryview, np.ndarray]:
        return self.view

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self._core.live:
            self._revoke()
        elif exc_type is None:
            self.commit()
        else:
            self.discard()


class Sample:
    """A sample read in place. ``with reader.take() as view:`` reads it where it lies; leaving the
    block releases it (marks it read). The view stays readable afterwards, but the slot is no longer
    pinned: a writer may reuse it and change what the view shows."""

    __slots__ = ("_core", "_typing", "_view")

    def __init__(self, core: "_shmslot.Sample", typing: _Typing):
        self._core = core
        self._typing = typing
        self._view = None

    @property
    def view(self) -> Union[memoryview, np.ndarray]:
        """The sample, read-only: a memoryview, or an ndarray of the reader's dtype."""
        if self._view is None:
            self._view = self._typing.view(self._core.view, writable=False)
        return self._view

    sequence_number = property(lambda self: self._core.sequence_number, doc="The sample's sequence number.")
    size = property(lambda self: self._core.size, doc="The sample's size in bytes.")
    live = property(lambda self: self._core.live, doc="False once released.")

    def release(self) -> None:
        """Marks the sample read; a second call does nothing."""
        self._core.release()

    def __enter__(self) -> Union[memoryview, np.ndarray]:
        try:
            return self.view
        except BaseException:
            self.release()  # a sample that is not of the reader's type is consumed, not left pinned
            raise

    def __exit__(self, *exc: Any) -> None:
        self.release()


class Writer:
    """Publishes into a segment. Untyped, a sample is bytes; with ``dtype`` (and ``shape``, one
    sample's shape) loans are ndarrays and written arrays must be of that dtype."""

    __slots__ = ("_core", "_typing")

    def __init__(self, segment: Segment, *, dtype: Any = None, shape: Shape = None,
                 active_readers: Optional[int] = None):
        self._typing = _Typing(segment, dtype, shape)
        self._core = _shmslot.Writer(segment._core, active_readers=active_readers)

    dtype = property(lambda self: self._typing.dtype)
    shape = property(lambda self: self._typing.shape)

    def loan(self, size: Optional[int] = None, *, timeout: Timeout = None) -> Loan:
        """A slot to fill in place, waiting while the segment is full (TimedOut after ``timeout``
        seconds; None waits forever). ``size``: bytes untyped, items for a shapeless dtype, nothing
        for a writer with a sample shape."""
        return Loan(self._core.loan(self._typing.loan_size(size), timeout), self._typing)

    def try_loan(self, size: Optional[int] = None) -> Optional[Loan]:
        """loan() without waiting: None when full."""
        core = self._core.try_loan(self._typing.loan_size(size))
        return None if core is None else Loan(core, self._typing)

    def write(self, data: Any, *, timeout: Timeout = None) -> int:
        """Copies ``data`` (any C-contiguous buffer) into a slot and publishes it; the sequence
        number. Waits while the segment is full."""
        return self._core.write(self._checked(data), timeout)

    def try_write(self, data: Any) -> Optional[int]:
        """write() without waiting: None when full."""
        return self._core.try_write(self._checked(data))

    def _checked(self, data: Any) -> Any:
        t = self._typing
        if t.dtype is None:
            return data
        array = np.asarray(data)
        if array.dtype != t.dtype:
            raise _shmslot.TypeMismatch(f"an array of {array.dtype}, this writer writes {t.dtype}")
        if t.shape is not None and array.shape != t.shape:
            raise _shmslot.TypeMismatch(f"an array of shape {array.shape}, this writer's samples have {t.shape}")
        return np.ascontiguousarray(array)

    def set_max_sample_age(self, seconds: Optional[float]) -> None:
        """On a full segment, evict samples older than this that an active reader has not read."""
        self._core.set_max_sample_age(seconds)

    def set_active_readers(self, mask: Optional[int]) -> None:
        """An explicit reader mask, or None for the registered readers."""
        self._core.set_active_readers(mask)

    slot_capacity = property(lambda self: self._core.slot_capacity)

    def close(self) -> None:
        """Discards the open loans and closes the writer."""
        self._core.close()

    @property
    def closed(self) -> bool:
        return self._core.closed

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Reader:
    """Reads a segment as one reader index (a free one registered, or ``index``). Untyped, a sample
    is bytes; with ``dtype`` (and ``shape``) it is an ndarray."""

    __slots__ = ("_core", "_typing", "_capacity")

    def __init__(self, segment: Segment, *, index: Optional[int] = None, dtype: Any = None,
                 shape: Shape = None):
        self._typing = _Typing(segment, dtype, shape)
        self._core = _shmslot.Reader(segment._core, index=index)
        self._capacity = segment.slot_capacity

    dtype = property(lambda self: self._typing.dtype)
    shape = property(lambda self: self._typing.shape)

    def take(self, *, timeout: Timeout = None) -> Sample:
        """The oldest unread sample in place, waiting for one (TimedOut after ``timeout`` seconds)."""
        return Sample(self._core.take(timeout), self._typing)

    def try_take(self) -> Optional[Sample]:
        """take() without waiting: None when there is nothing to read."""
        core = self._core.try_take()
        return None if core is None else Sample(core, self._typing)

    def take_copy(self, *, timeout: Timeout = None) -> Union[bytes, np.ndarray]:
        """The oldest unread sample copied out (bytes, or an ndarray) and marked read."""
        return self._copy(self._core.take_copy, self._core.take_into, timeout)

    def try_take_copy(self) -> Union[bytes, np.ndarray, None]:
        return self._copy(self._core.try_take_copy, self._core.try_take_into, None, once=True)

    def read(self, *, timeout: Timeout = None) -> Union[bytes, np.ndarray]:
        """The newest unread sample copied out; the older unread ones are skipped (stats()["skipped"])."""
        return self._copy(self._core.read, self._core.read_into, timeout)

    def try_read(self) -> Union[bytes, np.ndarray, None]:
        return self._copy(self._core.try_read, self._core.try_read_into, None, once=True)

    def take_into(self, out: Any, *, timeout: Timeout = None) -> int:
        """Copies the oldest unread sample into the writable buffer ``out``; its size in bytes.
        A sample larger than ``out`` is SampleTooLarge and stays unread."""
        return self._core.take_into(out, timeout)

    def read_into(self, out: Any, *, timeout: Timeout = None) -> int:
        """Copies the newest unread sample into ``out``; its size in bytes."""
        return self._core.read_into(out, timeout)

    def _copy(self, as_bytes: Any, into: Any, timeout: Timeout, once: bool = False) -> Any:
        t = self._typing
        if t.dtype is None:
            return as_bytes() if once else as_bytes(timeout)
        out = np.empty(self._capacity, dtype=np.uint8)
        n = into(out) if once else into(out, timeout)
        if n is None:
            return None
        return t.view(out[:n], writable=True)

    def stats(self) -> dict:
        """registered, owner_pid, cursor, evictions (the registry's view of this index), skipped,
        overwritten (this reader's counts)."""
        return self._core.stats()

    index = property(lambda self: self._core.index, doc="The reader index (0..31).")

    def close(self) -> None:
        """Releases the reader's samples and unregisters its index."""
        self._core.close()

    @property
    def closed(self) -> bool:
        return self._core.closed

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
