package impossibledb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// listenScript serves one Listen call of the fake: it sends messages and
// returns how the stream ends.
type listenScript func(ctx context.Context, token string, send func(*v1.ListenResponse) error) error

func (f *fakeDB) Listen(ctx context.Context, req *connect.Request[v1.ListenRequest], stream *connect.ServerStream[v1.ListenResponse]) error {
	f.mu.Lock()
	call := f.calls["Listen"]
	f.calls["Listen"]++
	f.listenDatabases = append(f.listenDatabases, req.Header().Get(DatabaseHeader))
	f.mu.Unlock()
	if call >= len(f.listens) {
		return connect.NewError(connect.CodeInternal, fmt.Errorf("unscripted Listen call %d", call+1))
	}
	return f.listens[call](ctx, req.Msg.GetResumeToken(), stream.Send)
}

func change(kind v1.DocumentChange_Type, id string, version int64) *v1.DocumentChange {
	return &v1.DocumentChange{Type: kind, Document: &v1.Document{Collection: "c", Id: id, Version: version}}
}

// sendAll sends messages in order, then ends the stream with end.
func sendAll(end error, wantToken string, messages ...*v1.ListenResponse) listenScript {
	return func(ctx context.Context, token string, send func(*v1.ListenResponse) error) error {
		if token != wantToken {
			return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("resume token %q, want %q", token, wantToken))
		}
		for _, m := range messages {
			if err := send(m); err != nil {
				return err
			}
		}
		if end == nil {
			return nil
		}
		if errors.Is(end, context.Canceled) {
			<-ctx.Done()
		}
		return end
	}
}

// describe writes a snapshot as "partial? reset? changes | documents @ token".
func describe(s *ListenSnapshot) string {
	var changes, docs []string
	for _, c := range s.Changes {
		changes = append(changes, fmt.Sprintf("%s %s@%d", c.Type, c.Doc.Ref.ID, c.Doc.Version))
	}
	for _, d := range s.Documents {
		docs = append(docs, fmt.Sprintf("%s@%d", d.Ref.ID, d.Version))
	}
	reset := ""
	if s.Partial {
		reset = "partial: "
	}
	if s.Reset {
		reset += "reset: "
	}
	return fmt.Sprintf("%s%s | %s @ %s", reset, strings.Join(changes, ", "), strings.Join(docs, " "), s.ResumeToken)
}

// A listener applies changes only at resume tokens: what arrived after the
// last token of a broken stream is dropped and comes again on resume, once.
// A stream the server ends is resumed too; a refused token starts over with
// a fresh result flagged Reset; cancelling the context ends the iteration
// without an error.
func TestListenResumesExactlyOnceAndStartsOverOnOutOfRange(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		added, modified := v1.DocumentChange_TYPE_ADDED, v1.DocumentChange_TYPE_MODIFIED
		f.listens = []listenScript{
			sendAll(connect.NewError(connect.CodeUnavailable, errors.New("scripted break")), "",
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "a", 1)}},
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "b", 1)}, Current: true, ResumeToken: "t1"},
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(modified, "a", 2)}}, // no token: lost with the stream
			),
			sendAll(nil, "t1",
				&v1.ListenResponse{Current: true, ResumeToken: "t1"},
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(modified, "a", 2)}, ResumeToken: "t2"},
				&v1.ListenResponse{ResumeToken: "t3"}, // a checkpoint, then the server ends the stream
			),
			sendAll(connect.NewError(connect.CodeOutOfRange, errors.New("too old")), "t3"),
			sendAll(context.Canceled, "",
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "a", 2), change(added, "c", 1)}, Current: true, ResumeToken: "t4"},
			),
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		var got, reconnects []string
		onReconnect := func(err error, _ time.Duration) { reconnects = append(reconnects, Code(err).String()) }
		for snap, err := range db.Collection("c").Listen(ctx, ListenOptions{OnReconnect: onReconnect}) {
			if err != nil {
				t.Fatalf("Listen: %v after %q", err, got)
			}
			got = append(got, describe(snap))
			if len(got) == 3 {
				cancel()
			}
		}
		want := []string{
			"added a@1, added b@1 | a@1 b@1 @ t1",
			"modified a@2 | a@2 b@1 @ t2",
			"reset: removed b@1, added c@1 | a@2 c@1 @ t4",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("snapshots:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if strings.Join(reconnects, " ") != "unavailable unavailable out_of_range" {
			t.Fatalf("reconnected after %v; want the break, the ended stream and the refused token", reconnects)
		}
	})
}

func TestListenGivesUpAfterReconnectsMaxAndOnFinalErrors(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		// The server answers, then fails without progress: those streams count.
		broken := sendAll(connect.NewError(connect.CodeInternal, errors.New("stream reset")), "")
		ended := sendAll(nil, "", &v1.ListenResponse{})
		f.listens = []listenScript{broken, ended, broken, broken}
		var errs []error
		for _, err := range db.Collection("c").Listen(t.Context(), ListenOptions{ReconnectsMax: 2}) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || Code(errs[0]) != connect.CodeInternal || f.callsOf("Listen") != 3 {
			t.Fatalf("Listen to a server that keeps failing: %v after %d calls; want one ErrInternal after 3 calls (ReconnectsMax 2)", errs, f.callsOf("Listen"))
		}

		f.listens = append(f.listens, sendAll(connect.NewError(connect.CodeInvalidArgument, errors.New("bad query")), ""))
		errs = nil
		for _, err := range db.Collection("c").Listen(t.Context()) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || !errors.Is(errs[0], ErrInvalidArgument) || f.callsOf("Listen") != 5 {
			t.Fatalf("Listen answered INVALID_ARGUMENT: %v after %d calls; want the error at once, no reconnect", errs, f.callsOf("Listen"))
		}
	})
}

func TestListenWaitsOutAServerItCannotReach(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		// A restart: UNAVAILABLE before any message, far more often than ReconnectsMax allows.
		down := sendAll(connect.NewError(connect.CodeUnavailable, errors.New("connection refused")), "")
		for range 30 {
			f.listens = append(f.listens, down)
		}
		f.listens = append(f.listens, sendAll(context.Canceled, "", &v1.ListenResponse{Changes: []*v1.DocumentChange{change(v1.DocumentChange_TYPE_ADDED, "a", 1)}, ResumeToken: "t1", Current: true}))
		reconnects := 0
		for snap, err := range db.Collection("c").Listen(t.Context(), ListenOptions{ReconnectsMax: 2, OnReconnect: func(err error, _ time.Duration) {
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("OnReconnect got %v; want ErrUnavailable", err)
			}
			reconnects++
		}}) {
			if err != nil || len(snap.Documents) != 1 {
				t.Fatalf("Listen after a restart: %v, %v; want the document", snap, err)
			}
			break
		}
		if reconnects != 30 || f.callsOf("Listen") != 31 {
			t.Fatalf("%d reconnects, %d calls; want 30 and 31", reconnects, f.callsOf("Listen"))
		}

		// Down for good: only ctx ends it, without an error.
		ctx, cancel := context.WithCancel(t.Context())
		f.listens = nil
		for range 1000 {
			f.listens = append(f.listens, down)
		}
		f.mu.Lock()
		f.calls["Listen"] = 0
		f.mu.Unlock()
		seen := 0
		for _, err := range db.Collection("c").Listen(ctx, ListenOptions{ReconnectsMax: 2, OnReconnect: func(error, time.Duration) {
			seen++
			if seen == 50 {
				cancel()
			}
		}}) {
			t.Fatalf("Listen yielded %v; want nothing until ctx ends", err)
		}
		if seen != 50 {
			t.Fatalf("%d reconnects; want 50, then ctx ended the listener", seen)
		}
	})
}

// listenAll runs a listener until it yields want snapshots (then cancels
// it) or an error, and describes what it yielded and each reconnect's code.
func listenAll(t *testing.T, listen func(ctx context.Context, opts ...ListenOptions) iter.Seq2[*ListenSnapshot, error], want int) (got, reconnects []string, final error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	onReconnect := func(err error, _ time.Duration) { reconnects = append(reconnects, Code(err).String()) }
	for snap, err := range listen(ctx, ListenOptions{OnReconnect: onReconnect}) {
		if err != nil {
			return got, reconnects, err
		}
		got = append(got, describe(snap))
		if len(got) == want {
			cancel()
		}
	}
	return got, reconnects, nil
}

// A stream that began without a token and is cut by a resharding
// (OUT_OF_RANGE after its snapshot, as the server says it for an open
// stream) starts over from a fresh result, shown as the difference, like a
// refused token: a listener survives a resharding.
func TestListenStartsOverWhenResharded(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		added, modified := v1.DocumentChange_TYPE_ADDED, v1.DocumentChange_TYPE_MODIFIED
		resharded := connect.NewError(connect.CodeOutOfRange, errors.New("the database was resharded while this stream was open; listen again without a resume_token"))
		f.listens = []listenScript{
			sendAll(resharded, "",
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "a", 1), change(added, "b", 1)}, Current: true, ResumeToken: "t1"},
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(modified, "a", 2)}, ResumeToken: "t2"},
			),
			// Cut again, before its first token: nothing was shown of it.
			sendAll(resharded, "", &v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "a", 2)}}),
			sendAll(context.Canceled, "",
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "a", 2), change(added, "c", 1)}, Current: true, ResumeToken: "t3"},
			),
		}
		got, reconnects, err := listenAll(t, db.Collection("c").Listen, 3)
		want := []string{
			"added a@1, added b@1 | a@1 b@1 @ t1",
			"modified a@2 | a@2 b@1 @ t2",
			"reset: removed b@1, added c@1 | a@2 c@1 @ t3",
		}
		if err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("snapshots (err %v):\n%s\nwant:\n%s", err, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if strings.Join(reconnects, " ") != "out_of_range out_of_range" {
			t.Fatalf("reconnected after %v; want two starts over", reconnects)
		}

		// A fresh listener cut by a resharding before anything arrived
		// starts over unseen: its first snapshot is no reset.
		f.listens = append(f.listens,
			sendAll(resharded, "", &v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "a", 1)}}),
			sendAll(context.Canceled, "", &v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "a", 1)}, Current: true, ResumeToken: "t1"}),
		)
		got, _, err = listenAll(t, db.Collection("c").Listen, 1)
		if err != nil || strings.Join(got, "\n") != "added a@1 | a@1 @ t1" {
			t.Fatalf("a listener resharded before its first token: %q, %v; want its first snapshot", got, err)
		}

		// OUT_OF_RANGE to a fresh listen before any message has nothing to
		// start over from: it is the listener's error.
		f.listens = append(f.listens, sendAll(connect.NewError(connect.CodeOutOfRange, errors.New("refused")), ""))
		got, _, err = listenAll(t, db.Collection("c").Listen, 1)
		if len(got) != 0 || !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("a fresh listen refused with OUT_OF_RANGE: %q, %v; want ErrOutOfRange", got, err)
		}
	})
}

// A listener resumed from the caller's token flags its snapshots Partial:
// it holds only what changed since the token, not the whole result. A
// start over gives the whole result, and clears the flag.
func TestListenResumedFromACallersTokenIsPartialUntilReset(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		added, modified := v1.DocumentChange_TYPE_ADDED, v1.DocumentChange_TYPE_MODIFIED
		f.listens = []listenScript{
			sendAll(connect.NewError(connect.CodeUnavailable, errors.New("scripted break")), "saved",
				&v1.ListenResponse{Current: true, ResumeToken: "saved"},
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(modified, "a", 5)}, ResumeToken: "t1"},
			),
			sendAll(connect.NewError(connect.CodeOutOfRange, errors.New("trimmed")), "t1",
				&v1.ListenResponse{Current: true, ResumeToken: "t1"},
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "d", 1)}, ResumeToken: "t2"},
			),
			sendAll(context.Canceled, "",
				&v1.ListenResponse{Changes: []*v1.DocumentChange{change(added, "a", 5), change(added, "b", 1), change(added, "d", 1)}, Current: true, ResumeToken: "t3"},
			),
		}
		resumed := func(ctx context.Context, opts ...ListenOptions) iter.Seq2[*ListenSnapshot, error] {
			opts[0].ResumeToken = "saved"
			return db.Collection("c").Listen(ctx, opts...)
		}
		got, _, err := listenAll(t, resumed, 3)
		want := []string{
			"partial: modified a@5 | a@5 @ t1",
			"partial: added d@1 | a@5 d@1 @ t2",
			"reset: added b@1 | a@5 b@1 d@1 @ t3",
		}
		if err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("snapshots (err %v):\n%s\nwant:\n%s", err, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// A transport that breaks under a stream (here: the server drops the
// connection mid-stream, which connect-go reads as INTERNAL "incomplete
// envelope: unexpected EOF") is reported to OnReconnect as UNAVAILABLE,
// with the original error as its cause.
func TestListenReportsABrokenTransportAsUnavailable(t *testing.T) {
	f := newFakeDB()
	db := f.serve(t)["connect"]
	f.listens = []listenScript{
		func(ctx context.Context, token string, send func(*v1.ListenResponse) error) error {
			if err := send(&v1.ListenResponse{Changes: []*v1.DocumentChange{change(v1.DocumentChange_TYPE_ADDED, "a", 1)}, Current: true, ResumeToken: "t1"}); err != nil {
				return err
			}
			panic(http.ErrAbortHandler) // net/http closes the connection mid-response
		},
		sendAll(context.Canceled, "t1", &v1.ListenResponse{Current: true, ResumeToken: "t1"}, &v1.ListenResponse{Changes: []*v1.DocumentChange{change(v1.DocumentChange_TYPE_ADDED, "b", 1)}, ResumeToken: "t2"}),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var reported []error
	snaps := 0
	for _, err := range db.Collection("c").Listen(ctx, ListenOptions{OnReconnect: func(err error, _ time.Duration) { reported = append(reported, err) }}) {
		if err != nil {
			t.Fatalf("Listen: %v", err)
		}
		if snaps++; snaps == 2 {
			cancel()
		}
	}
	if len(reported) != 1 || !errors.Is(reported[0], ErrUnavailable) || !errors.Is(reported[0], io.ErrUnexpectedEOF) {
		t.Fatalf("OnReconnect saw %v; want one ErrUnavailable wrapping io.ErrUnexpectedEOF", reported)
	}
}

// listenCause maps the transport breaks connect-go reports under other
// codes (a reset connection as CANCELED) to UNAVAILABLE, and leaves the
// server's own answers alone.
func TestListenCauseMapsTransportBreaksToUnavailable(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	cases := []struct {
		err  error
		want connect.Code
	}{
		{connect.NewError(connect.CodeCanceled, reset), connect.CodeUnavailable},
		{connect.NewError(connect.CodeInternal, fmt.Errorf("protocol error: incomplete envelope: %w", io.ErrUnexpectedEOF)), connect.CodeUnavailable},
		{connect.NewError(connect.CodeUnknown, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), connect.CodeUnavailable},
		{connect.NewError(connect.CodeInternal, errors.New("a real internal error")), connect.CodeInternal},
		{connect.NewError(connect.CodeOutOfRange, errors.New("too old")), connect.CodeOutOfRange},
	}
	for _, c := range cases {
		got := listenCause(c.err)
		if got.Code() != c.want || (c.want == connect.CodeUnavailable && !errors.Is(got, c.err)) {
			t.Errorf("listenCause(%v) = %v; want %v wrapping the original", c.err, got, c.want)
		}
	}
}
