"""AsyncClient.close() waits for threads attached to the interpreter that Python did not start (_native_threads.py).

pyqwest's tokio threads attach to deliver answers; a raw _thread thread is
the same to the interpreter (a thread state the threading module does not
know), so it stands in for one here, deterministically.
"""

from __future__ import annotations

import _thread
import asyncio
import threading

from impossibledb._native_threads import native_threads_attached, wait_native_threads_detached


async def test_the_wait_ends_only_after_a_native_thread_detached() -> None:
    started = threading.Event()
    release = threading.Event()
    finished: list[bool] = []

    def attached() -> None:
        started.set()
        release.wait()
        finished.append(True)

    assert native_threads_attached() == 0
    _thread.start_new_thread(attached, ())
    started.wait()
    assert native_threads_attached() == 1
    # Released only once the wait has begun, so a wait that returned at once would find it unfinished.
    asyncio.get_running_loop().call_soon(release.set)
    assert await wait_native_threads_detached()
    assert finished == [True]
    assert native_threads_attached() == 0


async def test_threads_started_from_python_are_not_waited_for() -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert native_threads_attached() == 0
        assert await wait_native_threads_detached()
    finally:
        release.set()
        thread.join()
