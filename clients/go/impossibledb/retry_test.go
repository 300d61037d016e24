package impossibledb

import (
	"testing"
	"time"
)

func TestBackoffDoublesUpToTheCeiling(t *testing.T) {
	p, err := RetryPolicy{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Random: func() float64 { return 0.999999 }}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		got := p.Backoff(i + 1)
		if got > w*time.Millisecond || got < w*time.Millisecond*99/100 {
			t.Fatalf("Backoff(%d) = %v, want just under %v ms", i+1, got, w)
		}
	}
	p.Random = func() float64 { return 0 }
	if got := p.Backoff(3); got != 0 {
		t.Fatalf("Backoff with random 0 = %v, want 0 (full jitter starts at zero)", got)
	}
}

func TestRetryPolicyRefusesNonsense(t *testing.T) {
	for _, p := range []RetryPolicy{{AttemptsMax: -1}, {InitialBackoff: time.Second, MaxBackoff: time.Millisecond}} {
		if _, err := NewClient("http://127.0.0.1:1", WithRetry(p)); err == nil {
			t.Fatalf("NewClient with %+v: no error", p)
		}
	}
	if _, err := NewClient("127.0.0.1:8787"); err == nil {
		t.Fatal("NewClient with a URL without a scheme: no error")
	}
}

func TestOnlyTransientCodesRetry(t *testing.T) {
	for code := range 17 {
		want := code == 8 || code == 14 // RESOURCE_EXHAUSTED, UNAVAILABLE
		if got := isTransient(connectCode(code)); got != want {
			t.Fatalf("isTransient(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestAListenerWaitsLongerBetweenStreamsThanACallUnlessMaxBackoffIsSet(t *testing.T) {
	almostOne := func() float64 { return 0.999 }
	db, err := NewClient("http://127.0.0.1:1", WithRetry(RetryPolicy{Random: almostOne}))
	if err != nil {
		t.Fatal(err)
	}
	// A down server is asked about once every 7.5 s by each listener, not once a second.
	if got := db.listenRetry.Backoff(60); got <= 5*BackoffMaxDefault || got > ListenBackoffMaxDefault {
		t.Fatalf("a listener's 60th wait = %v; want above %v and at most %v", got, 5*BackoffMaxDefault, ListenBackoffMaxDefault)
	}
	if got := db.retry.Backoff(60); got > BackoffMaxDefault {
		t.Fatalf("a call's 60th wait = %v; want at most %v", got, BackoffMaxDefault)
	}
	chosen, err := NewClient("http://127.0.0.1:1", WithRetry(RetryPolicy{MaxBackoff: 500 * time.Millisecond, Random: almostOne}))
	if err != nil {
		t.Fatal(err)
	}
	if got := chosen.listenRetry.Backoff(60); got > 500*time.Millisecond {
		t.Fatalf("with MaxBackoff 500ms a listener's wait = %v; want at most 500ms", got)
	}
}
