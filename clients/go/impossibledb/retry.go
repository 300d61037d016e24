package impossibledb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"connectrpc.com/connect"
)

// RetryPolicy says how often and how patiently a call is tried again. The
// client retries only calls the contract marks free of side effects (reads
// and queries), and only on UNAVAILABLE and RESOURCE_EXHAUSTED, never
// sooner than the server asked (RetryDelay: a rate limit's RetryInfo): a write
// that failed in transit may have been applied, so writes are never retried
// by the client. RunTransaction uses the same backoff between its runs.
type RetryPolicy struct {
	// AttemptsMax is how often a call is tried, the first attempt included;
	// 1 turns retries off. Zero means CallAttemptsMaxDefault.
	AttemptsMax int
	// InitialBackoff is the ceiling of the wait before the second attempt;
	// it doubles per attempt. Zero means BackoffInitialDefault.
	InitialBackoff time.Duration
	// MaxBackoff is the largest ceiling. Zero means BackoffMaxDefault.
	MaxBackoff time.Duration
	// Random returns uniform numbers in [0, 1); math/rand/v2's Float64 when
	// nil. Tests pass a fixed source to make waits predictable.
	Random func() float64
}

// withDefaults fills in zero fields and checks the result.
func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	if p.AttemptsMax == 0 {
		p.AttemptsMax = CallAttemptsMaxDefault
	}
	if p.InitialBackoff == 0 {
		p.InitialBackoff = BackoffInitialDefault
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = max(BackoffMaxDefault, p.InitialBackoff)
	}
	if p.Random == nil {
		p.Random = rand.Float64
	}
	if p.AttemptsMax < 1 {
		return p, fmt.Errorf("RetryPolicy.AttemptsMax must be at least 1, got %d", p.AttemptsMax)
	}
	if p.InitialBackoff < 0 || p.MaxBackoff < p.InitialBackoff {
		return p, fmt.Errorf("RetryPolicy needs 0 <= InitialBackoff <= MaxBackoff, got %v and %v", p.InitialBackoff, p.MaxBackoff)
	}
	return p, nil
}

// Backoff is how long to wait after failed attempt number attempt (1 for the
// first): "full jitter", uniform in [0, min(MaxBackoff, InitialBackoff ×
// 2^(attempt−1))), so that clients that failed together do not retry
// together. The policy must have its defaults filled in.
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	ceiling := p.InitialBackoff
	for i := 1; i < attempt && ceiling < p.MaxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.MaxBackoff)
	return time.Duration(p.Random() * float64(ceiling))
}

// isTransient reports the codes that say "try again later": the server was
// briefly unreachable (UNAVAILABLE) or overloaded (RESOURCE_EXHAUSTED).
func isTransient(code connect.Code) bool {
	return code == connect.CodeUnavailable || code == connect.CodeResourceExhausted
}

// sleep waits d, or less when ctx ends (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retrying wraps an idempotent call: it tries again after transient codes,
// up to p.AttemptsMax attempts, waiting between them the server's retry
// delay, when it gave one (RetryDelay), plus Backoff, and gives up early,
// returning the last call's error, when ctx ends or when the wait would
// outlast ctx's deadline.
func retrying[Req, Res any](p RetryPolicy, call unary[Req, Res]) unary[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) {
		for attempt := 1; ; attempt++ {
			res, err := call(ctx, req)
			if err == nil || attempt >= p.AttemptsMax || !isTransient(asConnectError(err).Code()) {
				return res, err
			}
			deadline, _ := ctx.Deadline()
			wait, ok := retryWait(p, err, attempt, deadline)
			if !ok || sleep(ctx, wait) != nil {
				return nil, err
			}
		}
	}
}

// retryingRefusedAtDoor wraps a call that may change data (a write, a
// commit): it is tried again only when the server refused it at the door
// (isRefusedAtDoor), the one failure after which the call is known to have
// changed nothing, waiting as retrying does. Any other failure of a write
// may have come after the write was applied, so it is returned as is: the
// caller decides. The TS SDK does the same (clients/ts/src/retry-policy.ts).
func retryingRefusedAtDoor[Req, Res any](p RetryPolicy, call unary[Req, Res]) unary[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) {
		for attempt := 1; ; attempt++ {
			res, err := call(ctx, req)
			if err == nil || attempt >= p.AttemptsMax || !isRefusedAtDoor(err) {
				return res, err
			}
			deadline, _ := ctx.Deadline()
			wait, ok := retryWait(p, err, attempt, deadline)
			if !ok || sleep(ctx, wait) != nil {
				return nil, err
			}
		}
	}
}

// isRefusedAtDoor reports a RESOURCE_EXHAUSTED that carries a retry delay
// (google.rpc.RetryInfo): ImpossibleDB attaches one only when a rate limit
// refused the call before any shard saw it (docs/security.md).
func isRefusedAtDoor(err error) bool {
	if asConnectError(err).Code() != connect.CodeResourceExhausted {
		return false
	}
	_, ok := RetryDelay(err)
	return ok
}
