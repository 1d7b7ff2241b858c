"""Segments from Python: create, attach, close, options, and what a segment tells about itself."""

import os

import pytest

import shmslot


def test_create_attach_and_geometry(flink):
    with shmslot.Segment.create(flink, 8, 256) as owner:
        assert (owner.slot_count, owner.slot_capacity) == (8, 256)
        assert owner.is_owner and owner.owner_alive()
        assert owner.type_hash is None
        assert owner.notify_mode == shmslot.NotifyMode.WAKE_ON_DEMAND
        assert owner.flink_path == flink
        assert owner.shm_name.startswith("/")
        with shmslot.Segment.attach(flink) as consumer:
            assert not consumer.is_owner
            assert (consumer.slot_count, consumer.slot_capacity) == (8, 256)
            assert consumer.shm_name == owner.shm_name
    assert not os.path.exists(flink)  # the creator's close removes it


def test_creation_options(flink):
    type_hash = shmslot.layout_type_hash("Pose{x:f64,y:f64,z:f64}")
    with shmslot.Segment.create(flink, 4, 64, mode=0o600, type_hash=type_hash,
                                notify=shmslot.NotifyMode.WAKE_ALWAYS, lease=0.5) as owner:
        assert owner.type_hash == type_hash
        assert owner.notify_mode == shmslot.NotifyMode.WAKE_ALWAYS
        assert os.stat(flink).st_mode & 0o777 == 0o600
        with shmslot.Segment.attach(flink, expected_type_hash=type_hash) as consumer:
            assert consumer.type_hash == type_hash
        with pytest.raises(shmslot.TypeMismatch):
            shmslot.Segment.attach(flink, expected_type_hash=shmslot.layout_type_hash("Other{x:u8}"))


def test_group_option_of_own_group(flink):
    gid = os.getegid()
    with shmslot.Segment.create(flink, 4, 64, mode=0o660, group=gid) as owner:
        assert os.stat(flink).st_gid == gid
        with shmslot.Segment.attach(flink, group=gid):
            pass
        assert owner.slot_count == 4


def test_locator_bytes(flink):
    with shmslot.Segment.create(flink, 4, 64) as owner:
        locator = owner.locator("host-a")
        assert isinstance(locator, bytes)
        assert flink.encode() in locator
        assert owner.locator() != b""


def test_reader_registry_and_stats(flink):
    with shmslot.Segment.create(flink, 4, 64) as owner:
        first = shmslot.Reader(owner)
        second = shmslot.Reader(owner, index=5)
        assert first.index == 0 and second.index == 5
        assert owner.registered_readers == (1 << 0) | (1 << 5)
        stats = second.stats()
        assert stats["registered"] and stats["owner_pid"] == os.getpid()
        assert {"cursor", "evictions", "skipped", "overwritten"} <= stats.keys()
        second.close()
        assert owner.registered_readers == 1


def test_in_use_and_bad_arguments(flink):
    with shmslot.Segment.create(flink, 4, 64):
        with pytest.raises(shmslot.InUse):
            shmslot.Segment.create(flink, 4, 64)
    with pytest.raises(shmslot.InvalidArgument):
        shmslot.Segment.create(flink, 0, 64)
    with pytest.raises(shmslot.Error) as missing:
        shmslot.Segment.attach(flink + "-missing")
    assert "missing" in str(missing.value) and missing.value.code
    with pytest.raises(ValueError):
        shmslot.Segment.create(flink, 4, 64, type_hash=b"short")
    with pytest.raises(ValueError):
        shmslot.Segment.create(flink, 4, 64, lease=0)


def test_every_error_is_an_error_subclass():
    for name in ["NoFreeSlot", "SampleTooLarge", "ReaderIndexOutOfRange", "NotLoaned", "TypeMismatch",
                 "NoFreeReader", "ReaderIndexInUse", "TimedOut", "Stopped", "Shm", "InvalidHeader",
                 "InvalidArgument", "InUse", "BadFlink", "ForeignOwner", "Closed"]:
        assert issubclass(getattr(shmslot, name), shmslot.Error), name
    assert issubclass(shmslot.TimedOut, TimeoutError)
    assert shmslot.TimedOut.__doc__
