package impossibledb

import (
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
)

// retryInfoType is the type name of the error detail in which the server
// says how long to wait: ImpossibleDB attaches it to the RESOURCE_EXHAUSTED
// of a rate limit (docs/security.md, "Rate limits").
const retryInfoType = "google.rpc.RetryInfo"

// RetryDelay returns the delay the server asked for before the call is sent
// again: the retry_delay of a google.rpc.RetryInfo detail on err (over the
// Connect transport and, through the front door, over gRPC alike). ok is
// false when err carries none, or one that does not parse or is negative
// (treated as none). The client waits at least this long, plus its own
// jittered backoff, before retrying (RetryPolicy), and gives up at once
// when the wait would outlast the call's deadline.
func RetryDelay(err error) (delay time.Duration, ok bool) {
	if err == nil {
		return 0, false
	}
	// A gRPC status (the grpc transport's calls before wrapError) is read
	// through asConnectError, which keeps its details.
	for _, detail := range asConnectError(err).Details() {
		if detail.Type() != retryInfoType {
			continue
		}
		var info errdetails.RetryInfo
		if proto.Unmarshal(detail.Bytes(), &info) != nil || info.GetRetryDelay().CheckValid() != nil {
			continue
		}
		if d := info.GetRetryDelay().AsDuration(); d >= 0 {
			return d, true
		}
	}
	return 0, false
}

// retryWait is how long to wait after failed attempt number attempt: the
// server's delay (RetryDelay), if it gave one, plus the policy's jittered
// backoff, so that clients refused together do not all come back at the
// same instant. ok is false when the wait would end at or after deadline
// (the zero time: none), so that the caller returns the real error rather
// than one DEADLINE_EXCEEDED.
func retryWait(p RetryPolicy, err error, attempt int, deadline time.Time) (wait time.Duration, ok bool) {
	wait = p.Backoff(attempt)
	if server, given := RetryDelay(err); given {
		wait += server
	}
	if !deadline.IsZero() && time.Until(deadline) <= wait {
		return wait, false
	}
	return wait, true
}
