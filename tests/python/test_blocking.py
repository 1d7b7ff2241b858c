"""Blocking calls: timeouts, a wait woken by a write or a close from another thread, and Ctrl-C
(SIGINT) ending a wait with KeyboardInterrupt. No test asserts how fast anything is: the bounds
below are watchdogs against a hang, far above what the calls need."""

import os
import signal
import threading
import time

import pytest

import shmslot

WATCHDOG = 30.0  # seconds; a hang, not slowness, is what these bounds catch


@pytest.fixture
def seg(flink):
    owner = shmslot.Segment.create(flink, 2, 64)
    yield owner
    owner.close()


def test_take_times_out(seg):
    reader = shmslot.Reader(seg)
    with pytest.raises(shmslot.TimedOut):
        reader.take(timeout=0.05)
    with pytest.raises(shmslot.TimedOut):
        reader.take(timeout=0)
    with pytest.raises(TimeoutError):  # TimedOut is a TimeoutError too
        reader.read(timeout=0.01)


def test_write_and_loan_time_out_on_a_full_segment(seg):
    idle = shmslot.Reader(seg)  # registered and never reading: the writer must wait for it
    writer = shmslot.Writer(seg)
    writer.write(b"1")
    writer.write(b"2")
    with pytest.raises(shmslot.TimedOut):
        writer.write(b"3", timeout=0.05)
    with pytest.raises(shmslot.TimedOut):
        writer.loan(1, timeout=0.05)
    assert idle.stats()["registered"]


def test_a_write_from_another_thread_wakes_a_take(seg):
    reader = shmslot.Reader(seg)
    writer = shmslot.Writer(seg)
    threading.Timer(0.1, lambda: writer.write(b"late")).start()
    assert reader.take_copy(timeout=WATCHDOG) == b"late"


def test_other_threads_run_while_a_call_waits(seg):
    reader = shmslot.Reader(seg)
    ticks = []

    def tick():
        while len(ticks) < 5:
            ticks.append(1)
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    with pytest.raises(shmslot.TimedOut):
        reader.take(timeout=0.3)  # the GIL is released while it sleeps
    ticker.join(WATCHDOG)
    assert len(ticks) == 5


def test_a_close_from_another_thread_ends_a_wait(seg):
    reader = shmslot.Reader(seg)
    threading.Timer(0.1, seg.close).start()
    with pytest.raises(shmslot.Closed):
        reader.take(timeout=WATCHDOG)


def test_sigint_interrupts_a_blocking_take(seg):
    reader = shmslot.Reader(seg)
    sent = []

    def interrupt():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Timer(0.2, interrupt).start()
    with pytest.raises(KeyboardInterrupt):
        reader.take(timeout=WATCHDOG)  # without the signal check this would wait the full watchdog
    assert sent and time.monotonic() - sent[0] < WATCHDOG
    still = shmslot.Writer(seg)
    still.write(b"after")
    assert reader.take_copy(timeout=WATCHDOG) == b"after"  # the reader is intact


def test_sigint_interrupts_a_blocking_write(seg):
    idle = shmslot.Reader(seg)  # noqa: F841  (held: the writer waits for it)
    writer = shmslot.Writer(seg)
    writer.write(b"1")
    writer.write(b"2")
    threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        writer.write(b"3", timeout=WATCHDOG)
