"""The dtype rule (docs/python.md) against C++: the same structs, declared as FlatStructs with their
layout strings in layouts.cpp and as numpy dtypes here, must give the same layout string, type hash,
size and field offsets."""

import json
import subprocess

import numpy as np
import pytest

import shmslot

POSE = shmslot.struct_dtype("Pose", [("x", "f8"), ("y", "f8"), ("z", "f8")])
DTYPES = {
    "Pose": POSE,
    "Padded": shmslot.struct_dtype("Padded", [("flag", "u1"), ("value", "f8"), ("count", "u2")]),
    "Arrays": shmslot.struct_dtype("Arrays", [
        ("id", "u4"), ("samples", "f4", (4,)), ("grid", "u1", (2, 3)), ("a", "i1"), ("b", "i2"),
        ("c", "i4"), ("d", "i8"), ("e", "u8"), ("ok", "?")]),
    "Stamped": shmslot.struct_dtype("Stamped", [("tag", "u2"), ("pose", POSE), ("history", POSE, (2,)),
                                                ("seq", "u4")]),
}


@pytest.fixture(scope="module")
def cpp_layouts():
    import os
    program = os.environ.get("SHMSLOT_PYTHON_LAYOUTS")
    if not program:
        pytest.skip("$SHMSLOT_PYTHON_LAYOUTS is not set (run the tests through ctest)")
    return {row["name"]: row for row in json.loads(subprocess.check_output([program], text=True))}


@pytest.mark.parametrize("name", sorted(DTYPES))
def test_dtype_matches_the_cpp_struct(cpp_layouts, name):
    cpp, dtype = cpp_layouts[name], DTYPES[name]
    assert shmslot.layout_string(dtype) == cpp["layout"]
    assert shmslot.dtype_type_hash(dtype).hex() == cpp["hash"]
    assert dtype.itemsize == cpp["size"]
    assert {field: dtype.fields[field][1] for field in dtype.names} == cpp["offsets"]


def test_hash_is_the_documented_sha256_prefix():
    import hashlib
    layout = "PoseDerived{x:i64,y:i64,z:i64}"
    assert shmslot.layout_type_hash(layout) == hashlib.sha256(layout.encode()).digest()[:16]
    assert shmslot.layout_type_hash(layout).hex() == "0e809f18638e26a6ca8ab29cb5955257"  # tests/typed


def test_name_argument_and_nested_names():
    plain = np.dtype([("x", "f8")], align=True)
    assert shmslot.layout_string(plain, "Anon") == "Anon{x:f64}"
    nested_without_name = np.dtype([("inner", plain)], align=True)
    with pytest.raises(TypeError, match="no name"):
        shmslot.layout_string(nested_without_name, "Outer")
