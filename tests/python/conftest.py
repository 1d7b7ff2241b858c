"""Fixtures of the python tier: a fresh flink path per test, and the programs built beside the module."""

import os
import subprocess

import pytest


@pytest.fixture
def flink(tmp_path):
    """A flink path of this test's own (a path with '/', so $SHMSLOT_DIR plays no part)."""
    return str(tmp_path / "topic")


def _program(variable):
    path = os.environ.get(variable)
    if not path or not os.access(path, os.X_OK):
        pytest.skip(f"${variable} names no program (run the tests through ctest)")
    return path


@pytest.fixture
def cli():
    """The shmslot tool (tools/shmslot), as ctest passes it."""
    return _program("SHMSLOT_CLI")


@pytest.fixture
def layouts_program():
    return _program("SHMSLOT_PYTHON_LAYOUTS")


@pytest.fixture
def run():
    """run(args, **kw): a child process that must end within a watchdog; killed if it does not."""
    children = []

    def start(args, **kw):
        child = subprocess.Popen(args, **kw)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()


