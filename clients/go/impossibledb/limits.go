package impossibledb

import (
	"fmt"
	"time"
)

// The client's limits and defaults, each with its unit in its name. The
// server's limits the client must respect are repeated here under the
// server's names.
const (
	// CallTimeoutDefault is the deadline of one call (all its attempts)
	// when the caller's context has none; change it with WithCallTimeout.
	CallTimeoutDefault = 10 * time.Second
	// CallAttemptsMaxDefault is how often an idempotent call is tried, the
	// first attempt included; change it with WithRetry.
	CallAttemptsMaxDefault = 4
	// BackoffInitialDefault is the ceiling of the wait before the second
	// attempt; it doubles for each attempt after.
	BackoffInitialDefault = 100 * time.Millisecond
	// BackoffMaxDefault is the largest ceiling of a wait between attempts.
	BackoffMaxDefault = 2 * time.Second
	// TransactionAttemptsMaxDefault is how often RunTransaction runs its
	// function when commits abort, the first run included. Retries queue
	// for a hot document (update locks, oldest first), so 24 concurrent
	// increments of one document take about 2 runs each; 10 leaves room
	// for a retry wounded by older ones that arrive after it took a lock.
	TransactionAttemptsMaxDefault = 10
	// WritesPerCallMax is the most writes one batch, batch commit or
	// transaction commit may carry (the server's limit).
	WritesPerCallMax = 500
	// RefsPerCallMax is the most documents one BatchGetDocuments or
	// transactional GetDocuments call may name (the server's limit); GetAll
	// splits longer lists into calls of this size.
	RefsPerCallMax = 500
	// TransactionReadsMax is the most entries of a transaction's read set
	// (a document at each version read, ReadSet), which its Commit sends
	// whole (the server's TX_READS_MAX). A read that would pass it is
	// refused before it is made.
	TransactionReadsMax = 500
	// TransactionTimeoutMin is the shortest TransactionOptions.Timeout: a
	// run is at least two round trips (its reads, then a commit that may
	// be a two-phase commit across shards), and a shorter deadline would
	// expire before the commit on any deployment, so every run would abort
	// ("transaction expired") and RunTransaction would spend its attempts
	// on runs that cannot commit.
	TransactionTimeoutMin = 100 * time.Millisecond
	// TransactionTimeoutMax is the longest TransactionOptions.Timeout, the
	// server's default and largest (TX_TIMEOUT_MAX_MS).
	TransactionTimeoutMax = 60 * time.Second
	// PageSizeMax is the server's largest page of ListDocuments and
	// RunQuery; iterators ask for pages this big unless told otherwise.
	PageSizeMax = 1000
	// PagesPerIterationMax is how many pages one iterator reads before it
	// stops with an error, so a server that never ends a listing cannot
	// keep a loop running for ever.
	PagesPerIterationMax = 100_000
	// ValueDepthMax is the deepest nesting of maps, slices and structs the
	// client walks when it converts a value; deeper values (and pointer
	// cycles) are refused. The server's own limit (20) is smaller and
	// answers INVALID_ARGUMENT for what lies between.
	ValueDepthMax = 64
	// ListenReconnectsMaxDefault is how many times in a row a listener
	// reconnects after streams that reached the server but no resume token
	// before it gives up; each waits a backoff of the client's RetryPolicy
	// (at most its MaxBackoff). Streams that could not reach the server do
	// not count: a listener waits out a restart until its ctx ends.
	ListenReconnectsMaxDefault = 10
	// ListenBackoffMaxDefault is the largest ceiling of a listener's wait
	// between streams (the TS SDK's too), when the client's RetryPolicy
	// leaves MaxBackoff zero (a set MaxBackoff is used as it is). A listener
	// retries a server it cannot reach until its ctx ends, so its backoff
	// grows past the call ceiling (BackoffMaxDefault, 2 s): every listener
	// of a down server then asks about once every 7.5 s, not once a second.
	ListenBackoffMaxDefault = 15 * time.Second
	// ListenPendingChangesMax is the most changes a listener holds while it
	// waits for the resume token that completes them. The server sends a
	// token at least every LISTEN_PENDING_ROWS_MAX (20,000) changes and a
	// whole result of at most LISTEN_MATCHED_DOCUMENTS_MAX (10,000) documents.
	ListenPendingChangesMax = 100_000
	// SafeIntegerMax is the largest integer a double holds exactly
	// (2^53 − 1): integers are stored exactly as int64, but a reader of
	// the JSON form (Proto, JSON clients) sees them as doubles.
	SafeIntegerMax = 1<<53 - 1
)

func init() {
	assertLimit(BackoffInitialDefault > 0 && BackoffInitialDefault <= BackoffMaxDefault, "the initial backoff is positive and at most the largest")
	assertLimit(BackoffMaxDefault < CallTimeoutDefault, "a backoff fits in a call's deadline")
	assertLimit(CallAttemptsMaxDefault >= 1 && TransactionAttemptsMaxDefault >= 1, "at least one attempt")
	assertLimit(ListenReconnectsMaxDefault >= 1, "a listener reconnects at least once")
	assertLimit(ListenPendingChangesMax >= 20_000, "a listener holds what the server may send between two tokens")
	assertLimit(TransactionTimeoutMin > 0 && TransactionTimeoutMin < TransactionTimeoutMax, "a transaction's timeout has room between its bounds")
	assertLimit(TransactionReadsMax >= RefsPerCallMax, "one full GetAll call fits a transaction's read set")
	assertLimit(ValueDepthMax >= 20, "the client's depth bound leaves the server's limit (20) to the server")
}

func assertLimit(ok bool, what string) {
	if !ok {
		panic(fmt.Sprintf("impossibledb limits: %s", what))
	}
}
