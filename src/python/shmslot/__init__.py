"""shmslot: zero-copy publish/subscribe between processes over POSIX shared memory.

A writer loans a slot, fills it in place and commits it; readers take samples where they lie and
mark them read. ``with writer.loan(n) as buf:`` and ``with reader.take() as view:`` are the
zero-copy paths; ``writer.write(data)`` and ``reader.take_copy()`` / ``reader.read()`` copy.
See docs/python.md.
"""

from ._shmslot import (  # noqa: F401  (re-exported)
    BadFlink,
    CapacityOverflow,
    Closed,
    Error,
    ForeignOwner,
    ForeignPidNamespace,
    InPlaceUnsupported,
    InUse,
    InvalidArgument,
    InvalidHeader,
    LockPoisoned,
    NoFreeReader,
    NoFreeSlot,
    NotifyMode,
    NotLoaned,
    OutOfBounds,
    Overwritten,
    ReaderIndexInUse,
    ReaderIndexOutOfRange,
    ReadOnlySegment,
    SampleTooLarge,
    Shm,
    SlotView,
    Stopped,
    TimedOut,
    TypeMismatch,
    Unsupported,
    __version__,
    layout_type_hash,
)
from ._layout import dtype_type_hash, layout_string, struct_dtype  # noqa: F401
from ._typed import Loan, Reader, Sample, Segment, Writer  # noqa: F401

MAX_READERS = 32
