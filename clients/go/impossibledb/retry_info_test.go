package impossibledb

import (
	"context"
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"
)

// callGap is the time between the first and second calls of method.
func (f *fakeDB) callGap(t *testing.T, method string) time.Duration {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	times := f.callTimes[method]
	if len(times) < 2 {
		t.Fatalf("%s was called %d times, want at least 2", method, len(times))
	}
	return times[1].Sub(times[0])
}

func TestReadsWaitTheServersRetryDelay(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		// The fake's clients back off 1 ns: any real wait is the server's.
		f.retryDelay = 400 * time.Millisecond
		f.failures["GetDocument"] = []connect.Code{connect.CodeResourceExhausted}
		snap, err := db.Collection("users").Doc("alice").Get(t.Context())
		if err != nil || snap.Data()["name"] != "Alice" {
			t.Fatalf("Get after a rate limit's refusal: %v, %v; want the document", snap, err)
		}
		if gap := f.callGap(t, "GetDocument"); gap < f.retryDelay {
			t.Fatalf("the retry came %v after the refusal; want at least the server's RetryInfo delay, %v", gap, f.retryDelay)
		}
	})
}

func TestRetryDelayPastTheDeadlineReturnsTheRefusal(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.retryDelay = time.Minute
		f.failures["GetDocument"] = []connect.Code{connect.CodeResourceExhausted}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		started := time.Now()
		_, err := db.Collection("users").Doc("alice").Get(ctx)
		if !errors.Is(err, ErrResourceExhausted) || f.callsOf("GetDocument") != 1 {
			t.Fatalf("Get told to wait a minute under a 2 s deadline: %v after %d calls; want the RESOURCE_EXHAUSTED itself after 1 call", err, f.callsOf("GetDocument"))
		}
		if delay, ok := RetryDelay(err); !ok || delay != time.Minute {
			t.Fatalf("RetryDelay of the returned error = %v, %v; want 1m, true", delay, ok)
		}
		if time.Since(started) >= 2*time.Second {
			t.Fatalf("Get returned after %v; want it to give up at once rather than wait out the deadline", time.Since(started))
		}
	})
}

func TestRetryDelayReadsOnlyAWellFormedRetryInfo(t *testing.T) {
	withDetail := func(detail *connect.ErrorDetail) error {
		err := connect.NewError(connect.CodeResourceExhausted, errors.New("rate limited"))
		err.AddDetail(detail)
		return &Error{Op: "Get users/a", Cause: err}
	}
	good, _ := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: &durationpb.Duration{Seconds: 2, Nanos: 500_000_000}})
	negative, _ := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: &durationpb.Duration{Seconds: -1}})
	other, _ := connect.NewErrorDetail(&errdetails.QuotaFailure{})
	cases := []struct {
		name string
		err  error
		want time.Duration
		ok   bool
	}{
		{"a RetryInfo of 2.5 s", withDetail(good), 2500 * time.Millisecond, true},
		{"a negative delay", withDetail(negative), 0, false},
		{"another detail", withDetail(other), 0, false},
		{"no detail", connect.NewError(connect.CodeResourceExhausted, errors.New("too big")), 0, false},
		{"not a Connect error", errors.New("plain"), 0, false},
	}
	for _, c := range cases {
		if got, ok := RetryDelay(c.err); got != c.want || ok != c.ok {
			t.Errorf("RetryDelay with %s = %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestWritesRefusedAtTheDoorAreRetried(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		// A rate limit's refusal carries RetryInfo and applied nothing, so
		// even a write is sent again, after the server's delay.
		f.retryDelay = 200 * time.Millisecond
		f.failures["SetDocument"] = []connect.Code{connect.CodeResourceExhausted}
		if _, err := db.Collection("users").Doc("alice").Set(t.Context(), map[string]any{"n": 1}); err != nil {
			t.Fatalf("Set after a rate limit's refusal: %v; want it written by the retry", err)
		}
		if n := f.callsOf("SetDocument"); n != 2 {
			t.Fatalf("SetDocument was called %d times, want 2", n)
		}
		if gap := f.callGap(t, "SetDocument"); gap < f.retryDelay {
			t.Fatalf("the retry came %v after the refusal; want at least the server's RetryInfo delay, %v", gap, f.retryDelay)
		}
	})
}

func TestWritesRefusedWithoutRetryInfoAreNotRetried(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		// RESOURCE_EXHAUSTED without RetryInfo is a limit of the request
		// itself (a document over DOCUMENT_BYTES_MAX): sending it again
		// cannot help.
		f.failures["SetDocument"] = []connect.Code{connect.CodeResourceExhausted}
		_, err := db.Collection("users").Doc("alice").Set(t.Context(), map[string]any{"n": 1})
		if Code(err) != connect.CodeResourceExhausted || f.callsOf("SetDocument") != 1 {
			t.Fatalf("Set: %v after %d calls; want RESOURCE_EXHAUSTED after exactly 1", err, f.callsOf("SetDocument"))
		}
	})
}
