"""What each hop writes and what the reader checks, the same for every transport.

The writer writes the whole payload (a numpy fill for frames, a slice assignment for bytes) and
stamps the sample's index into its first 8 bytes; the reader checks the stamp (lossless, in order)
and the last byte (the payload arrived whole).
"""

import numpy as np

from transport import Payload

STOP = (1 << 64) - 1  # the stamp of the sample that ends a run


def _pattern(index: int) -> int:
    return index & 0x7F


class Filler:
    def __init__(self, payload: Payload):
        self._payload = payload
        self._byte_patterns = [bytes([_pattern(i)]) * payload.size for i in range(2)] if not payload.is_frame else None

    def fill(self, buffer, index: int) -> None:
        if self._payload.is_frame:
            buffer.fill(_pattern(index))
            memoryview(buffer).cast("B")[:8] = index.to_bytes(8, "little")
        else:
            buffer[:] = self._byte_patterns[index & 1]
            buffer[:8] = index.to_bytes(8, "little")

    @staticmethod
    def stop(buffer) -> None:
        flat = memoryview(buffer).cast("B") if isinstance(buffer, np.ndarray) else buffer
        flat[:8] = STOP.to_bytes(8, "little")


def stamp(view) -> int:
    flat = memoryview(view).cast("B") if isinstance(view, np.ndarray) else view
    return int.from_bytes(flat[:8], "little")


def tail_ok(payload: Payload, view, index: int) -> bool:
    if payload.is_frame:
        return int(view.flat[-1]) == _pattern(index)
    return view[-1] == _pattern(index & 1)
