"""The client's limits and defaults, each with its unit in its name.

The server's limits that the client must respect (page sizes) are repeated
here under the server's names; the relations between them are asserted when
the module loads, so a bad edit fails at import rather than at run time.
"""

from __future__ import annotations

from typing import Final

CALL_TIMEOUT_MS_DEFAULT: Final = 10_000
"""Deadline of one call, all of its retries included, unless the caller gives one."""

CALL_TIMEOUT_MS_MAX: Final = 9_999_999_999
"""The longest deadline a call may be given: Connect's Connect-Timeout-Ms header holds at most 10 digits (about 115 days)."""

CALL_ATTEMPTS_MAX_DEFAULT: Final = 4
"""Attempts of one idempotent call, the first included."""

BACKOFF_INITIAL_MS_DEFAULT: Final = 100
"""Backoff ceiling before the second attempt; it doubles for each attempt after."""

BACKOFF_MAX_MS_DEFAULT: Final = 2_000
"""The largest backoff ceiling between two attempts."""

TRANSACTION_ATTEMPTS_MAX_DEFAULT: Final = 10
"""Attempts of a whole transaction in run_transaction, the first included.

Retries queue for a hot document (update locks, oldest first), so 24
concurrent increments of one document take about 2 runs each; 10 leaves
room for a retry wounded by older ones that arrive after it took a lock."""

PAGE_SIZE_MAX: Final = 1_000
"""The server's largest page (ListDocuments, RunQuery); the client asks for pages this big."""

PAGES_PER_CALL_MAX: Final = 1_000
"""Pages that Query.get, Query.stream and Collection.list_all read before refusing to read more."""

BATCH_GET_REFS_MAX: Final = 500
"""Refs in one BatchGetDocuments or GetDocuments request (the contract's max_items)."""

WRITES_PER_CALL_MAX: Final = 500
"""Writes in one batch or commit (the contract's max_items)."""

VALUE_DEPTH_MAX: Final = 64
"""The deepest nesting of dicts and lists the client walks when it checks a value.

Deeper values are refused with a TypeError rather than exhausting the
stack; the server's own, smaller limit (20 levels) answers INVALID_ARGUMENT
for what lies between.
"""

INT_SAFE_MAX: Final = 2**53 - 1
"""The largest integer a double holds exactly (JavaScript's Number.MAX_SAFE_INTEGER).

An int is stored as an exact 64-bit integer; a reader of the JSON form
(`data`, the TypeScript SDK's plain numbers) sees it as a double, exact
up to this. This client reads the typed form, so its ints come back exact
at any size; the numbers of a JSON-only document are doubles and read back
as float, whole or not (values.from_value).
"""

INT32_MAX: Final = 2**31 - 1
"""The greatest value of the contract's int32 fields (a query's limit and offset)."""

INT64_MIN: Final = -(2**63)
"""The least int a document can hold (an integer value is a signed 64-bit integer)."""

INT64_MAX: Final = 2**63 - 1
"""The greatest int a document can hold; beyond either bound an int is refused (store it as str)."""

TIMESTAMP_SECONDS_MIN: Final = -62_135_596_800
"""0001-01-01T00:00:00Z in seconds from 1970: the first instant a timestamp holds (as Firestore)."""

TIMESTAMP_SECONDS_MAX: Final = 253_402_300_799
"""9999-12-31T23:59:59Z in seconds from 1970 (with up to 999,999 microseconds more): the last second a timestamp holds."""


TRANSACTION_TIMEOUT_MS_MAX: Final = 60_000
"""The longest a transaction may stay open (TransactionOptions.timeout; the server's default too)."""

TRANSACTION_TIMEOUT_MS_MIN: Final = 100
"""The shortest TransactionOptions.timeout the server accepts (TX_TIMEOUT_MIN_MS): a transaction is at least two round trips, so a shorter one would expire before its commit."""


LISTEN_RECONNECTS_MAX_DEFAULT: Final = 10
"""Reconnects in a row that reach the server but no resume token before a listener raises the last error.

Each waits a backoff of the client's RetryPolicy (at most max_backoff_ms).
Streams that cannot reach the server (Unavailable before their first
message: a restart, the network down) do not count: a listener waits those
out until its caller stops it (_listen.py says why).
"""

LISTEN_BACKOFF_MAX_MS_DEFAULT: Final = 15_000.0
"""The largest ceiling of a listener's wait between streams, in ms (the TS SDK's too), when the client's RetryPolicy keeps the default max_backoff_ms.

A listener retries a server it cannot reach until its caller stops it, so
its backoff grows past the call retry policy's ceiling (2 s by default):
every listener of a down server then asks about once every 7.5 s, not 1.
"""

LISTEN_PENDING_CHANGES_MAX: Final = 100_000
"""The most changes a listener holds while it waits for the resume token that completes them.

The server sends a token at least every LISTEN_PENDING_ROWS_MAX (20,000)
changes, and a whole result of at most LISTEN_MATCHED_DOCUMENTS_MAX (10,000) documents.
"""

CLOSE_DRAIN_POLL_MS: Final = 2
"""How long AsyncClient.close() sleeps, GIL released, between two looks for an HTTP thread still attached (_native_threads.py)."""

CLOSE_DRAIN_POLLS_MAX: Final = 250
"""Looks close() takes at most before it returns anyway: 0.5 s of sleep, for a thread that is not pyqwest's and stays attached."""


def _assert_limit(ok: bool, what: str) -> None:
    if not ok:
        raise AssertionError(f"impossibledb limits: {what}")


_assert_limit(0 < BACKOFF_INITIAL_MS_DEFAULT <= BACKOFF_MAX_MS_DEFAULT, "initial backoff is positive and at most the largest")
_assert_limit(BACKOFF_MAX_MS_DEFAULT < CALL_TIMEOUT_MS_DEFAULT, "a backoff fits in a call's deadline")
_assert_limit(CALL_TIMEOUT_MS_DEFAULT <= CALL_TIMEOUT_MS_MAX and TRANSACTION_TIMEOUT_MS_MAX <= CALL_TIMEOUT_MS_MAX, "the default deadlines are valid ones")
_assert_limit(CALL_ATTEMPTS_MAX_DEFAULT >= 1 and TRANSACTION_ATTEMPTS_MAX_DEFAULT >= 1, "at least one attempt")
_assert_limit(LISTEN_RECONNECTS_MAX_DEFAULT >= 1, "a listener reconnects at least once")
_assert_limit(LISTEN_PENDING_CHANGES_MAX >= 20_000, "a listener holds what the server may send between two tokens")
_assert_limit(VALUE_DEPTH_MAX >= 20, "the client's depth bound leaves the server's document depth limit (20) to the server")
_assert_limit(float(INT_SAFE_MAX) == INT_SAFE_MAX, "a safe int survives the round trip through a double")
_assert_limit(INT64_MIN < -INT_SAFE_MAX and INT_SAFE_MAX < INT64_MAX, "every safe integer is an int64")
_assert_limit(PAGE_SIZE_MAX <= INT32_MAX < INT64_MAX, "a page size fits the contract's int32, an int32 an int64")
_assert_limit(0 < TRANSACTION_TIMEOUT_MS_MIN < TRANSACTION_TIMEOUT_MS_MAX, "a transaction timeout has room between its bounds")
_assert_limit(TIMESTAMP_SECONDS_MIN < 0 < TIMESTAMP_SECONDS_MAX, "timestamps reach both sides of 1970")
_assert_limit(0 < CLOSE_DRAIN_POLL_MS * CLOSE_DRAIN_POLLS_MAX <= 1_000, "close() waits for HTTP threads at most a second")
