"""The worker's malloc tuning (studio/core/memory.py): applied where glibc is the C library."""

import platform

import pytest

from studio.core.memory import return_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
def test_malloc_is_told_to_return_freed_image_memory():
    assert return_freed_memory() is True
