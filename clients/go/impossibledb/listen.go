package impossibledb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"syscall"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// ChangeType says how a document's place in a listener's result changed.
type ChangeType int

const (
	// Added: the document entered the result (created, or it now matches).
	Added ChangeType = iota + 1
	// Modified: the document changed and is still in the result.
	Modified
	// Removed: the document left the result (deleted, no longer matches,
	// or left a limit's window); Doc is the version the listener last saw.
	Removed
)

// String returns "added", "modified" or "removed".
func (t ChangeType) String() string {
	switch t {
	case Added:
		return "added"
	case Modified:
		return "modified"
	case Removed:
		return "removed"
	}
	return fmt.Sprintf("ChangeType(%d)", int(t))
}

// DocumentChange is one change to a listener's result.
type DocumentChange struct {
	// Type says what happened.
	Type ChangeType
	// Doc is the document after the change (Added, Modified) or as it was
	// last seen (Removed).
	Doc *DocumentSnapshot
	// TransactionID names the transaction that made the change (also an
	// atomic batch's, CommitAtomic); empty for a plain write, a per-shard
	// batch (Commit) and the initial result.
	TransactionID string
}

// ListenSnapshot is a listener's result at one point of the database's
// history, and the changes that led there from the previous snapshot. The
// changes of one transaction are always in the same snapshot.
//
// A listener resumed from a caller's token (ListenOptions.ResumeToken)
// never received the result as of that token, so its Documents are only
// the documents it has seen since, and its snapshots say so with Partial,
// until a Reset (a start over from a fresh result) makes Documents whole.
type ListenSnapshot struct {
	// Documents is the whole result after Changes, in id order (not the
	// query's order: the client does not re-sort by field values); when
	// Partial, only the documents seen since the caller's resume token.
	Documents []*DocumentSnapshot
	// Changes are the changes since the previous snapshot, in commit order.
	// In the first snapshot, every document of the result, as Added (with
	// ListenOptions.ResumeToken: the first changes after the token).
	Changes []DocumentChange
	// ResumeToken continues the listener after this snapshot: pass it as
	// ListenOptions.ResumeToken (of the same document or query) to get
	// every later change exactly once, for example after a restart.
	ResumeToken string
	// Reset is true when the server no longer had the changes after the
	// listener's token (OUT_OF_RANGE: older than the change log's
	// retention, or the routing changed) and the listener started over from
	// a fresh result. Changes are then the difference between the result
	// held before and the fresh one (all Added when there was none before,
	// as with a too-old ListenOptions.ResumeToken): intermediate changes
	// were lost.
	Reset bool
	// Partial is true on every snapshot of a listener resumed from a
	// caller's ListenOptions.ResumeToken, whose Documents then hold only
	// the documents added or changed since that token (the client cannot
	// know the others); false once a Reset has given the whole result,
	// and always false for a listener not resumed.
	Partial bool
}

// ListenOptions are Listen's options; zero values are defaults.
type ListenOptions struct {
	// ResumeToken starts after an earlier snapshot's ResumeToken (of the
	// same document or query) instead of from the current result: the first
	// snapshot then has the changes since that token, or Reset set when the
	// token is too old. Documents then holds only what the listener has
	// seen since the token (the client does not keep the result from
	// before it), and each snapshot has Partial set, until a Reset gives
	// the whole result.
	ResumeToken string
	// ReconnectsMax is how many times in a row the listener reconnects
	// after streams that reached the server but no resume token before it
	// gives up with the last error; ListenReconnectsMaxDefault when zero.
	// Streams that could not reach the server (UNAVAILABLE before their
	// first message: a restart, the network down) do not count: the
	// listener waits those out until ctx ends.
	ReconnectsMax int
	// OnReconnect, when set, is called before each reconnect with the error
	// that broke the stream and the backoff about to be waited (for logs
	// and metrics; ErrUnavailable there means the server cannot be
	// reached: the application is offline). It runs on the iterating
	// goroutine.
	OnReconnect func(err error, wait time.Duration)
}

// Listen yields the collection's documents, then a snapshot after every
// change; see Query.Listen.
func (c *CollectionRef) Listen(ctx context.Context, opts ...ListenOptions) iter.Seq2[*ListenSnapshot, error] {
	return c.Query().Listen(ctx, opts...)
}

// Listen yields the document (a result of zero or one documents), then a
// snapshot after every change to it; see Query.Listen.
func (d *DocumentRef) Listen(ctx context.Context, opts ...ListenOptions) iter.Seq2[*ListenSnapshot, error] {
	target := d.proto()
	return d.client.listen(ctx, "Listen "+d.Path(), nil, func() *v1.ListenRequest {
		return &v1.ListenRequest{Target: &v1.ListenRequest_Document{Document: target}}
	}, opts)
}

// Listen yields the query's result, then a new snapshot whenever it
// changes, until ctx ends:
//
//	for snap, err := range q.Listen(ctx) {
//		if err != nil { return err }
//		for _, change := range snap.Changes { ... change.Type, change.Doc ... }
//	}
//
// A filter, OrderBy and Limit are honoured (with a limit: the window of the
// first documents in that order); Offset is not supported (the server
// answers INVALID_ARGUMENT). The first snapshot holds the current result;
// each later one the changes of one or more whole commits.
//
// When the stream breaks (UNAVAILABLE, RESOURCE_EXHAUSTED, a reset or
// closed connection, the server ending the stream), the listener reconnects
// with its last resume token after a backoff (the client's RetryPolicy), and
// changes received after that token are dropped and received again, so
// every change is yielded exactly once. A server it cannot reach
// (UNAVAILABLE before a stream's first message: a restart, a deploy, the
// network down) it waits out until ctx ends, as Firestore's listeners do:
// only time fixes that, and a listener that died after a minute of it would
// leave every caller to write this loop. After ReconnectsMax reconnects in
// a row after streams that reached the server without progress, or on any
// other error, it yields the error and stops. When the server says the
// listener's place is gone (OUT_OF_RANGE: a token too old, or a resharding,
// which ends every open stream) it starts over at once from a fresh result
// and flags that snapshot Reset. When ctx ends it stops without an
// error (ctx.Err() says why). A listener has no deadline of the client's.
func (q *Query) Listen(ctx context.Context, opts ...ListenOptions) iter.Seq2[*ListenSnapshot, error] {
	query := q.proto()
	return q.client.listen(ctx, "Listen "+q.collection, q.err, func() *v1.ListenRequest {
		return &v1.ListenRequest{Target: &v1.ListenRequest_Query{Query: query}}
	}, opts)
}

// listen runs a listener: streams one after another, each resuming from the
// view's last token, until ctx ends, the consumer stops or an error is final.
func (c *Client) listen(ctx context.Context, op string, buildErr error, request func() *v1.ListenRequest, opts []ListenOptions) iter.Seq2[*ListenSnapshot, error] {
	return func(yield func(*ListenSnapshot, error) bool) {
		var options ListenOptions
		if len(opts) > 0 {
			options = opts[0]
		}
		if options.ReconnectsMax == 0 {
			options.ReconnectsMax = ListenReconnectsMaxDefault
		}
		if buildErr != nil {
			yield(nil, buildErr)
			return
		}
		if options.ReconnectsMax < 0 {
			yield(nil, invalidArgument(op, "ListenOptions.ReconnectsMax must be at least 0, got %d", options.ReconnectsMax))
			return
		}
		view := newListenView(c, options.ResumeToken)
		// The loop ends when ctx does or an error is final: a listener is
		// meant to run for as long as its caller wants. failures counts the
		// streams in a row without progress (the backoff's exponent);
		// reached those of them that reached the server, bounded by
		// ReconnectsMax. A server that cannot be reached is bounded by ctx.
		for failures, reached := 0, 0; ; {
			req := request()
			req.ResumeToken = view.restart()
			end := c.listenStream(ctx, op, req, view, yield)
			if end.stopped || ctx.Err() != nil {
				return
			}
			if end.progressed {
				failures, reached = 0, 0
			}
			failures++
			cause := listenCause(end.err)
			if !isUnreachable(cause.Code(), end.answered) {
				reached++
			}
			if reached > options.ReconnectsMax {
				yield(nil, &Error{Op: fmt.Sprintf("%s (after %d reconnects without progress)", op, failures-1), Cause: cause})
				return
			}
			var wait time.Duration
			switch {
			case isStartOver(cause.Code(), view.token != "" || end.delivered):
				view.lostPlace() // start over at once: waiting would not bring the changes back
			case isListenTransient(cause.Code()):
				// Never sooner than the server asked (a rate limit's RetryInfo).
				wait = c.listenRetry.Backoff(failures)
				if server, ok := RetryDelay(cause); ok {
					wait += server
				}
			default:
				yield(nil, &Error{Op: op, Cause: cause})
				return
			}
			if options.OnReconnect != nil {
				options.OnReconnect(&Error{Op: op, Cause: cause}, wait)
			}
			if sleep(ctx, wait) != nil {
				return
			}
		}
	}
}

// streamEnd is how one stream of a listener ended.
type streamEnd struct {
	// progressed: the stream delivered a resume token.
	progressed bool
	// answered: the server sent something (a message, or the stream's end).
	answered bool
	// delivered: the server sent at least one message.
	delivered bool
	// stopped: the consumer stopped, or a protocol error was yielded.
	stopped bool
	// err is why the stream broke; nil when stopped.
	err error
}

// listenStream runs one stream until it breaks (returning why), the
// consumer stops (stopped), or ctx ends.
func (c *Client) listenStream(ctx context.Context, op string, req *v1.ListenRequest, view *listenView, yield func(*ListenSnapshot, error) bool) streamEnd {
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel() // closes the stream, however this returns
	receive, err := c.rpc.listen(streamCtx, req)
	if err != nil {
		return streamEnd{err: err}
	}
	var end streamEnd
	// A healthy stream never ends by itself: the loop ends when it breaks,
	// ctx ends (the stream then fails) or the consumer stops.
	for {
		msg, err := receive()
		if errors.Is(err, io.EOF) {
			err = connect.NewError(connect.CodeUnavailable, errors.New("the server ended the stream"))
			end.answered = true
		}
		if err != nil {
			end.err = err
			return end
		}
		end.answered, end.delivered = true, true
		end.progressed = end.progressed || msg.GetResumeToken() != ""
		snap, err := view.receive(msg)
		if err != nil {
			yield(nil, wrapError(op, err))
			end.stopped = true
			return end
		}
		if snap != nil && !yield(snap, nil) {
			end.stopped = true
			return end
		}
	}
}

// isStartOver reports the server's "start over" (OUT_OF_RANGE: the
// listener's place is gone), which the listener answers by listening again
// without a token, at once. The server says it for a resume token older
// than its change log, one issued under another routing table or other
// filter semantics, and for a stream open while the database was resharded
// (mid-stream, after messages, before or after a token). hadPlace: the
// listener held a token, or this stream had sent messages; OUT_OF_RANGE
// to a fresh listen before anything arrived has nothing to start over
// from, and is final.
func isStartOver(code connect.Code, hadPlace bool) bool {
	return code == connect.CodeOutOfRange && hadPlace
}

// listenCause is the status a listener reports for a broken stream. A
// break of the transport itself (a connection reset or refused, a body cut
// mid-message: connect-go reports these as INTERNAL "incomplete envelope:
// unexpected EOF" or CANCELED "connection reset by peer") is UNAVAILABLE,
// what a server going away is, so that OnReconnect's ErrUnavailable means
// offline; the original error stays its wrapped cause (errors.As reaches
// it).
func listenCause(err error) *connect.Error {
	cause := asConnectError(err)
	if cause.Code() != connect.CodeUnavailable && isTransportBreak(err) {
		return connect.NewError(connect.CodeUnavailable, cause)
	}
	return cause
}

// isTransportBreak reports an error of the connection under a stream rather
// than an answer of the server's.
func isTransportBreak(err error) bool {
	for _, target := range []error{io.ErrUnexpectedEOF, syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.ECONNABORTED, syscall.EPIPE, net.ErrClosed} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// isUnreachable reports a stream that failed to reach the server:
// UNAVAILABLE before it delivered a message (connection refused, a proxy's
// 502/503/504). The listener retries these without counting them towards
// ReconnectsMax.
func isUnreachable(code connect.Code, answered bool) bool {
	return code == connect.CodeUnavailable && !answered
}

// isListenTransient reports the codes after which a listener reconnects:
// those of isTransient, and the ones a broken connection shows as (grpc-go
// reports HTTP/2 stream resets as INTERNAL, and errors without a status as
// UNKNOWN; CANCELED here came from the other side, as the listener's own
// context was still live). They are bounded by ReconnectsMax, so a real
// INTERNAL is reported after a few tries.
func isListenTransient(code connect.Code) bool {
	switch code {
	case connect.CodeInternal, connect.CodeUnknown, connect.CodeCanceled:
		return true
	}
	return isTransient(code)
}
