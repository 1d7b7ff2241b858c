"""The zero-copy paths: a loan filled in place and committed, a sample read where it lies; the copy
paths beside them; and the view that keeps the mapping alive."""

import numpy as np
import pytest

import shmslot


@pytest.fixture
def pair(flink):
    owner = shmslot.Segment.create(flink, 4, 4096)
    reader = shmslot.Reader(shmslot.Segment.attach(flink))
    writer = shmslot.Writer(owner)
    yield writer, reader
    owner.close()


def test_loan_commit_take_release(pair):
    writer, reader = pair
    with writer.loan(5) as buf:
        assert isinstance(buf, memoryview) and not buf.readonly and len(buf) == 5
        buf[:] = b"hello"
    sample = reader.take(timeout=5)
    with sample as view:
        assert view.readonly
        assert bytes(view) == b"hello"
        assert sample.size == 5
    assert not sample.live
    assert reader.try_take() is None


def test_an_exception_discards_the_loan(pair):
    writer, reader = pair
    with pytest.raises(RuntimeError):
        with writer.loan(3) as buf:
            buf[:] = b"abc"
            raise RuntimeError("changed my mind")
    assert reader.try_take() is None
    writer.write(b"next")
    assert reader.take_copy(timeout=5) == b"next"


def test_the_view_is_the_slot_itself(flink):
    with shmslot.Segment.create(flink, 4, 64) as seg:  # one mapping for both, so addresses compare
        reader = shmslot.Reader(seg)
        loan = shmslot.Writer(seg).loan(8)
        loan.view[:] = b"in place"
        written_at = np.frombuffer(loan.view, dtype=np.uint8).ctypes.data
        loan.commit()
        with reader.take() as view:
            assert bytes(view) == b"in place"
            assert np.frombuffer(view, dtype=np.uint8).ctypes.data == written_at  # no copy was made


def test_commit_a_prefix_and_sequence_numbers(pair):
    writer, reader = pair
    loan = writer.loan(100)
    loan.view[:3] = b"abc"
    first = loan.commit(3)
    second = writer.write(b"xyz")
    assert second == first + 1
    taken = reader.take()
    assert taken.sequence_number == first and bytes(taken.view) == b"abc"
    taken.release()
    taken.release()  # a second release does nothing


def test_numpy_frames_zero_copy(flink):
    shape = (48, 64)
    with shmslot.Segment.create(flink, 4, 48 * 64) as owner:
        writer = shmslot.Writer(owner, dtype=np.uint8, shape=shape)
        reader = shmslot.Reader(shmslot.Segment.attach(flink), dtype=np.uint8, shape=shape)
        with writer.loan() as frame:
            assert frame.shape == shape and frame.flags.writeable
            frame[:] = np.arange(48 * 64, dtype=np.uint8).reshape(shape)
        with reader.take() as frame:
            assert frame.shape == shape and not frame.flags.writeable
            assert np.array_equal(frame, np.arange(48 * 64, dtype=np.uint8).reshape(shape))
        writer.write(np.full(shape, 7, dtype=np.uint8))
        copy = reader.take_copy()
        assert copy.shape == shape and copy.flags.writeable and (copy == 7).all()


def test_structured_records(flink):
    pose = shmslot.struct_dtype("Pose", [("x", "f8"), ("y", "f8"), ("z", "f8")])
    with shmslot.Segment.create(flink, 4, 1024, dtype=pose) as owner:
        assert owner.type_hash == shmslot.layout_type_hash("Pose{x:f64,y:f64,z:f64}")
        writer = shmslot.Writer(owner, dtype=pose)
        reader = shmslot.Reader(shmslot.Segment.attach(flink, dtype=pose), dtype=pose)
        with writer.loan(2) as poses:
            poses["x"] = [1.0, 4.0]
            poses["y"] = [2.0, 5.0]
            poses["z"] = [3.0, 6.0]
        with reader.take() as got:
            assert got.shape == (2,) and got[1]["z"] == 6.0


def test_copy_reads(pair):
    writer, reader = pair
    for text in (b"one", b"two", b"three"):
        writer.write(text)
    assert reader.take_copy() == b"one"
    assert reader.read() == b"three"  # the newest; "two" is skipped
    assert reader.stats()["skipped"] == 1
    assert reader.try_read() is None and reader.try_take_copy() is None
    writer.write(bytearray(b"into"))
    out = bytearray(16)
    assert reader.take_into(out) == 4 and out[:4] == b"into"


def test_try_calls_on_a_full_segment(flink):
    with shmslot.Segment.create(flink, 2, 64) as owner:
        reader = shmslot.Reader(owner)
        writer = shmslot.Writer(owner)
        assert writer.try_write(b"a") is not None
        assert writer.try_write(b"b") is not None
        assert writer.try_write(b"c") is None
        assert writer.try_loan(1) is None
        assert reader.take_copy() == b"a"
        assert writer.try_loan(1) is not None


def test_a_view_keeps_the_mapping_alive(flink):
    owner = shmslot.Segment.create(flink, 4, 64)
    reader = shmslot.Reader(owner)
    shmslot.Writer(owner).write(b"still here")
    view = reader.take().view
    as_array = np.frombuffer(view, dtype=np.uint8)
    owner.close()  # closes reader and writer and unlinks the segment, but the view holds the mapping
    assert owner.closed and reader.closed
    assert bytes(view) == b"still here"
    assert bytes(as_array) == b"still here"
    del reader, owner
    assert bytes(view) == b"still here"


def test_sample_view_after_release_stays_readable(pair):
    writer, reader = pair
    writer.write(b"first")
    sample = reader.take()
    view = sample.view
    sample.release()
    assert len(view) == 5  # readable; its bytes may change once a writer reuses the slot
