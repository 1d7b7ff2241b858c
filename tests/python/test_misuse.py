"""Bad input gets a clear error and loses nothing: every case leaves the segment usable, with
what was in it still there."""

import gc

import numpy as np
import pytest

import shmslot


@pytest.fixture
def seg(flink):
    owner = shmslot.Segment.create(flink, 4, 64)
    yield owner
    owner.close()


def still_works(seg, reader=None):
    """A write and a take still go through after the misuse."""
    reader = reader or shmslot.Reader(seg)
    shmslot.Writer(seg).write(b"ok")
    assert reader.take_copy(timeout=5) == b"ok"


def test_sample_too_large(seg):
    reader = shmslot.Reader(seg)
    writer = shmslot.Writer(seg)
    with pytest.raises(shmslot.SampleTooLarge) as too_large:
        writer.write(b"x" * 65)
    assert (too_large.value.sample, too_large.value.capacity) == (65, 64)
    with pytest.raises(shmslot.SampleTooLarge):
        writer.loan(65)
    loan = writer.loan(8)
    with pytest.raises(shmslot.SampleTooLarge):
        loan.commit(9)
    assert not loan.live  # given back, as the C++ Loan does
    assert reader.try_take() is None
    still_works(seg, reader)


def test_reader_index_out_of_range_and_in_use(seg):
    with pytest.raises(shmslot.ReaderIndexOutOfRange):
        shmslot.Reader(seg, index=32)
    with pytest.raises(TypeError):  # pybind11 refuses a negative index for an unsigned argument
        shmslot.Reader(seg, index=-1)
    readers = [shmslot.Reader(seg) for _ in range(32)]
    with pytest.raises(shmslot.NoFreeReader):
        shmslot.Reader(seg)
    readers.pop().close()
    still_works(seg)


def test_closed_segment_used_again(seg):
    reader = shmslot.Reader(seg)
    writer = shmslot.Writer(seg)
    seg.close()
    seg.close()  # twice is fine
    for call in (lambda: seg.slot_count, lambda: seg.locator(), lambda: shmslot.Reader(seg),
                 lambda: shmslot.Writer(seg), lambda: writer.write(b"x"), lambda: writer.loan(1),
                 lambda: reader.take(timeout=0), lambda: reader.try_take(), lambda: reader.read(timeout=0),
                 lambda: reader.stats()):
        with pytest.raises(shmslot.Closed):
            call()


def test_loan_used_after_commit(seg):
    reader = shmslot.Reader(seg)
    writer = shmslot.Writer(seg)
    loan = writer.loan(4)
    buf = loan.view
    buf[:] = b"once"
    loan.commit()
    with pytest.raises(shmslot.NotLoaned):
        loan.commit()
    with pytest.raises(shmslot.NotLoaned):
        loan.discard()
    with pytest.raises(ValueError):  # the memoryview was released: it cannot write into the sample
        buf[0] = 0
    with pytest.raises(shmslot.NotLoaned):
        loan.view
    assert len(memoryview(loan._core.view)) == 0  # the slot's view exports nothing any more
    assert reader.take_copy() == b"once"
    still_works(seg, reader)


def test_numpy_loan_is_read_only_after_commit(flink):
    with shmslot.Segment.create(flink, 4, 64) as seg:
        writer = shmslot.Writer(seg, dtype=np.float32)
        with writer.loan(4) as values:
            values[:] = 1.5
        with pytest.raises(ValueError):
            values[0] = 2.0


def test_wrong_dtype(flink):
    pose = shmslot.struct_dtype("Pose", [("x", "f8"), ("y", "f8"), ("z", "f8")])
    other = shmslot.struct_dtype("Pose", [("x", "f4"), ("y", "f4"), ("z", "f4")])
    with shmslot.Segment.create(flink, 4, 256, dtype=pose) as seg:
        with pytest.raises(shmslot.TypeMismatch):
            shmslot.Reader(seg, dtype=other)
        with pytest.raises(shmslot.TypeMismatch):
            shmslot.Writer(seg, dtype=other)
        with pytest.raises(shmslot.TypeMismatch):
            shmslot.Segment.attach(flink, dtype=other)
        writer = shmslot.Writer(seg, dtype=pose)
        with pytest.raises(shmslot.TypeMismatch):
            writer.write(np.zeros(2, dtype=other))
        with pytest.raises(TypeError):
            layout_free = np.dtype([("x", "f8")])  # no struct name
            shmslot.Writer(seg, dtype=layout_free)
        reader = shmslot.Reader(seg, dtype=pose)
        # A sample of the wrong size for the dtype: TypeMismatch, and the sample is consumed, not pinned.
        shmslot.Writer(seg).write(b"x" * 10)
        with pytest.raises(shmslot.TypeMismatch):
            with reader.take():
                pass
        writer.write(np.ones(1, dtype=pose))
        with reader.take() as got:
            assert got["x"][0] == 1.0


def test_unsupported_dtypes_are_refused():
    with pytest.raises(TypeError):
        shmslot.layout_string(np.dtype("f8"))
    with pytest.raises(TypeError):
        shmslot.layout_string(np.dtype([("s", "S4")]), "Text")
    with pytest.raises(TypeError):
        shmslot.layout_string(np.dtype([("a", "u1"), ("b", "f8")], align=False), "Packed")
    with pytest.raises(TypeError):
        shmslot.layout_string(np.dtype([("a", ">f8")], align=True), "BigEndian")
    with pytest.raises(TypeError):
        shmslot.layout_string(np.dtype([("c", "c16")], align=True), "Complex")


def test_wrong_argument_types_raise(seg):
    writer = shmslot.Writer(seg)
    with pytest.raises(TypeError):
        writer.write("text is not bytes")
    with pytest.raises(ValueError):
        writer.loan(-1)
    with pytest.raises(ValueError):
        writer.write(b"x", timeout=-1)
    with pytest.raises(BufferError):
        shmslot.Reader(seg).take_into(b"read-only bytes")
    still_works(seg)


def test_dropped_objects_give_back_what_they_held(seg):
    writer = shmslot.Writer(seg)
    reader = shmslot.Reader(seg)
    loans = [writer.loan(1) for _ in range(4)]
    assert writer.try_loan(1) is None
    del loans
    gc.collect()
    writer.write(b"a")
    sample = reader.take()
    del sample
    gc.collect()
    assert reader.try_take() is None  # released when dropped: marked read
    still_works(seg, reader)
