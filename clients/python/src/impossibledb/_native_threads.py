"""Waiting, in AsyncClient.close(), until the HTTP library's native threads have let go of the interpreter.

connectrpc's asyncio client sends through pyqwest, whose requests run on a
tokio (Rust) runtime. A request's outcome reaches asyncio from one of that
runtime's threads: it attaches to the interpreter (PyGILState_Ensure) and
calls loop.call_soon_threadsafe(deliver, ...), which queues the callback
first and then wakes the loop by writing to its self-pipe, releasing the
GIL for that socket.send. The loop can run the callback, the awaiting code
can return from `async with AsyncClient(...)` and asyncio.run(), and the
interpreter can start finalizing, all before that thread takes the GIL back
to return. A non-Python thread that takes the GIL while the interpreter
finalizes is ended by CPython with pthread_exit, which unwinds through
Rust frames that may not unwind: abort(), exit code 134, after every
result was correct (a user's asyncio transactions, 3 runs in 17; a loop of
200 awaited calls found such a thread still attached after 21 of them).

Neither pyqwest nor connectrpc offers a close that waits for this: the
asyncio connectrpc client's close() only marks it closed, connectrpc sends
through pyqwest's shared default transport, and that transport's aclose()
does nothing (a transport of one's own only drops its reqwest client).
What can be seen from Python is the thread itself: an attached thread has
a thread state, which sys._current_exceptions() lists (every thread state,
with None when it handles no exception), while the threading module knows
only threads started from Python. So close() sleeps, with the GIL released
so that such a thread can finish, until no unknown thread is attached, at
most CLOSE_DRAIN_POLLS_MAX times.

What this does not cover: a request cancelled (a deadline, task.cancel())
reports its cancellation the same way a moment later, and close() cannot
see a thread that has not attached yet; clients/python/README.md says so.
"""

from __future__ import annotations

import asyncio
import sys
import threading

from ._limits import CLOSE_DRAIN_POLL_MS, CLOSE_DRAIN_POLLS_MAX

__all__ = ["native_threads_attached", "wait_native_threads_detached"]


def native_threads_attached() -> int:
    """Threads attached to the interpreter that were not started from Python (a Rust runtime's, calling back into Python)."""
    current_exceptions = getattr(sys, "_current_exceptions", None)
    if current_exceptions is None:  # not CPython: no thread states to look at
        return 0
    python_threads = {thread.ident for thread in threading.enumerate()}
    return sum(1 for ident in current_exceptions() if ident not in python_threads)


async def wait_native_threads_detached() -> bool:
    """Sleeps until no such thread is attached; False when one still was after CLOSE_DRAIN_POLLS_MAX looks."""
    for _ in range(CLOSE_DRAIN_POLLS_MAX):
        if native_threads_attached() == 0:
            return True
        await asyncio.sleep(CLOSE_DRAIN_POLL_MS / 1000)
    return native_threads_attached() == 0
