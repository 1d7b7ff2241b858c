"""Python and C++ processes on one segment: the shmslot tool (C++) writes and Python reads in place,
and Python writes and the tool reads."""

import base64
import json
import struct
import subprocess

import numpy as np

import shmslot

WATCHDOG = 60  # seconds a child may take before it counts as hung


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def test_cpp_writer_python_reader(flink, cli, run):
    count, size = 200, 256
    with shmslot.Segment.create(flink, 8, size) as owner:
        reader = shmslot.Reader(owner, index=0)  # `pub --mask 1` waits for reader 0: nothing is lost
        pub = run([cli, "pub", flink, "--generate", "--size", str(size), "--count", str(count), "--mask", "1"])
        for expected in range(count):
            with reader.take(timeout=WATCHDOG) as view:
                payload = np.frombuffer(view, dtype=np.uint8)  # read where the C++ process wrote it
                index, checksum = struct.unpack_from("<QQ", view)
                assert index == expected
                assert checksum == fnv1a64(payload[16:].tobytes())
        assert pub.wait(WATCHDOG) == 0


def test_python_writer_cpp_reader(flink, cli, run):
    count = 50
    with shmslot.Segment.create(flink, 4, 64) as owner:
        # Reader 0 is the tool's: an explicit mask makes the writer wait for it even before it starts.
        writer = shmslot.Writer(owner, active_readers=0b1)
        sub = run([cli, "sub", flink, "--reader", "0", "--json", "--max", str(count), "--timeout", str(WATCHDOG)],
                  stdout=subprocess.PIPE, text=True)
        for i in range(count):
            with writer.loan(8, timeout=WATCHDOG) as buf:
                struct.pack_into("<Q", buf, 0, i * i)
        out, _ = sub.communicate(timeout=WATCHDOG)
        assert sub.returncode == 0
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert [struct.unpack("<Q", base64.b64decode(line["data"]))[0] for line in lines] == \
            [i * i for i in range(count)]
