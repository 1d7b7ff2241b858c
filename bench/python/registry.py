"""The transports the benchmark knows, in the order they run.

Python's own tools are always there. The shmslot module joins when it can be imported: its adapter
(a `ShmslotTransport` in shmslot_transport.py, wrapping `writer.loan(n)` and `reader.take()`) is
the one more entry below, and the ratios are then computed against it (--reference).
"""

from typing import Dict, List

from mp_pipe import PipeTransport
from mp_queue import QueueTransport
from mp_shared_memory import SharedMemoryTransport
from transport import Transport

# Ratios are computed against this one when it is present.
REFERENCE = "shmslot"


def available() -> Dict[str, Transport]:
    transports: List[Transport] = [QueueTransport(), PipeTransport(), SharedMemoryTransport()]
    try:
        from shmslot_transport import ShmslotTransport  # the module and its adapter are optional
    except ImportError:
        pass
    else:
        transports.append(ShmslotTransport())
    return {t.name: t for t in transports}
