"""The rule that turns a numpy structured dtype into the layout string ZeroDDS's derive macro and
C++'s ``layout_type_hash`` hash (docs/python.md, "Typing a segment with a dtype").

A struct is ``Name{field:type,...}``: its name, then its fields in offset order, without spaces.
A field's type is a scalar name (``u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 bool``), an array
``[T;N]`` (a sub-array of shape (A, B) is ``[[T;B];A]``, as Rust writes it), or the *name* of a
nested struct (the derive macro sees the nested type's name, not its fields). Padding is not written:
instead the dtype must be laid out as a C compiler lays out the struct (each field at the next
multiple of its alignment, the size a multiple of the largest alignment, at most 16), which is what
``numpy.dtype(fields, align=True)`` does; any other layout is refused, as a C++ FlatStruct could not
match it. A struct's name comes from the ``name`` argument or the dtype's metadata (``struct_dtype``
sets it).
"""

import sys
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

_SCALARS = {
    ("u", 1): "u8", ("u", 2): "u16", ("u", 4): "u32", ("u", 8): "u64",
    ("i", 1): "i8", ("i", 2): "i16", ("i", 4): "i32", ("i", 8): "i64",
    ("f", 4): "f32", ("f", 8): "f64",
    ("b", 1): "bool",
}
_MAX_ALIGNMENT = 16  # payloads are 16-byte aligned in a segment (flat_struct.hpp, FlatStruct)


def struct_dtype(name: str, fields: Sequence[Tuple[Any, ...]]) -> np.dtype:
    """A structured dtype with C layout (``align=True``) that carries its struct ``name``."""
    _check_name(name)
    return np.dtype(list(fields), align=True, metadata={"name": name})


def layout_string(dtype: Any, name: Optional[str] = None) -> str:
    """The layout string of a structured dtype, e.g. ``Pose{x:f64,y:f64,z:f64}``.

    Raises TypeError for a dtype the rule does not cover (not structured, a type with no layout
    name, non-native byte order, a layout other than C's, no struct name)."""
    dtype = np.dtype(dtype)
    if dtype.names is None:
        raise TypeError(f"a segment's type is a structured dtype (struct_dtype(name, fields)), not {dtype}")
    return _struct(dtype, _struct_name(dtype, name))


def _struct_name(dtype: np.dtype, name: Optional[str]) -> str:
    if name is None:
        name = (dtype.metadata or {}).get("name")
    if name is None:
        raise TypeError(f"the struct {dtype} has no name: pass name=, or make it with "
                        "shmslot.struct_dtype(name, fields)")
    _check_name(name)
    return name


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise TypeError(f"a struct name is an identifier, not {name!r}")


def _struct(dtype: np.dtype, name: str) -> str:
    _check_c_layout(dtype)
    fields = sorted(((offset, field, sub) for field, (sub, offset, *_) in dtype.fields.items()),
                    key=lambda f: f[0])
    for _, field, _ in fields:
        _check_name(field)
    return name + "{" + ",".join(f"{field}:{_field_type(sub, field)}" for _, field, sub in fields) + "}"


def _field_type(dtype: np.dtype, field: str) -> str:
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        text = _field_type(base, field)
        for n in reversed(shape):
            text = f"[{text};{n}]"
        return text
    if dtype.names is not None:
        _check_c_layout(dtype)
        return _struct_name(dtype, None)
    key = (dtype.kind, dtype.itemsize)
    if key not in _SCALARS:
        raise TypeError(f"field {field!r}: {dtype} has no layout name (use {', '.join(sorted(set(_SCALARS.values())))})")
    if dtype.byteorder not in ("=", "|") and dtype.byteorder != {"little": "<", "big": ">"}[sys.byteorder]:
        raise TypeError(f"field {field!r}: {dtype} is not in this machine's byte order")
    return _SCALARS[key]


def _alignment(dtype: np.dtype) -> int:
    if dtype.subdtype is not None:
        return _alignment(dtype.subdtype[0])
    if dtype.names is not None:
        return max((_alignment(sub) for sub, *_ in dtype.fields.values()), default=1)
    return dtype.itemsize


def _check_c_layout(dtype: np.dtype) -> None:
    """Each field where a C compiler puts it, and the size it gives the struct."""
    offset = 0
    largest = 1
    for sub, at, *_ in sorted(dtype.fields.values(), key=lambda f: f[1]):
        align = _alignment(sub)
        largest = max(largest, align)
        expected = -(-offset // align) * align
        if at != expected:
            raise TypeError(f"{dtype}: a field at offset {at} where C puts it at {expected} "
                            "(make the dtype with align=True, or shmslot.struct_dtype)")
        offset = at + sub.itemsize
    if largest > _MAX_ALIGNMENT:
        raise TypeError(f"{dtype}: alignment {largest} is above the slot's {_MAX_ALIGNMENT}")
    size = -(-offset // largest) * largest
    if dtype.itemsize != size:
        raise TypeError(f"{dtype}: {dtype.itemsize} bytes where C makes the struct {size}")


def dtype_type_hash(dtype: Any, name: Optional[str] = None) -> bytes:
    """The 16-byte type hash of a structured dtype: layout_type_hash(layout_string(dtype, name))."""
    from ._shmslot import layout_type_hash
    return layout_type_hash(layout_string(dtype, name))


__all__: List[str] = ["struct_dtype", "layout_string", "dtype_type_hash"]
