package impossibledb

import (
	"cmp"
	"fmt"
	"slices"

	"connectrpc.com/connect"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// listenView folds the messages of a listener's streams into snapshots.
// It holds the result as of the last resume token and applies changes only
// when a message carries a token: the server sends a token exactly where
// the listener has every change up to it, so changes received after the
// last token are held back, and dropped when the stream breaks (resuming
// from the token sends them again). That is what makes the changes a user
// sees exactly once across reconnects. It does no I/O.
type listenView struct {
	client *Client
	// docs is the result as of token, by "collection/id".
	docs map[string]*DocumentSnapshot
	// token is the last resume token received (or given); "" before any.
	token string
	// pending are the changes received on this stream since the last token.
	pending []*v1.DocumentChange
	// fresh: this stream started without a token, so its changes up to the
	// first token are a whole new result rather than changes to docs.
	fresh bool
	// started: a snapshot was yielded.
	started bool
	// reset: the server refused the token (OUT_OF_RANGE); the next fresh
	// result replaces docs and its snapshot is flagged Reset.
	reset bool
	// partial: the listener was resumed from a caller's token, so docs
	// holds only what it has seen since, until a fresh result replaces it.
	partial bool
}

func newListenView(c *Client, token string) *listenView {
	return &listenView{client: c, docs: map[string]*DocumentSnapshot{}, token: token, partial: token != ""}
}

// restart drops what the broken stream delivered past its last token and
// returns the token the next stream starts from ("" for a fresh result).
func (v *listenView) restart() string {
	v.pending = nil
	v.fresh = v.token == ""
	return v.token
}

// lostPlace forgets a token the server no longer accepts: the next stream
// takes a fresh result.
func (v *listenView) lostPlace() {
	// A listener that had shown nothing and held no token (a fresh stream
	// cut before its first token) starts over unseen: its first snapshot
	// is not a reset.
	v.reset = v.reset || v.started || v.token != ""
	v.token = ""
}

// receive takes one message. It returns the snapshot to yield, or nil when
// the message completes nothing new (no token yet, or a checkpoint without
// changes), or an error when the server broke the protocol.
func (v *listenView) receive(msg *v1.ListenResponse) (*ListenSnapshot, error) {
	v.pending = append(v.pending, msg.GetChanges()...)
	if len(v.pending) > ListenPendingChangesMax {
		return nil, connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("over ListenPendingChangesMax (%d) changes arrived without a resume token", ListenPendingChangesMax))
	}
	if msg.GetResumeToken() == "" {
		return nil, nil
	}
	var changes []DocumentChange
	var err error
	wholeResult := v.fresh
	if v.fresh {
		changes, err = v.replace(v.pending)
	} else {
		changes, err = v.apply(v.docs, v.pending)
	}
	if err != nil {
		return nil, err
	}
	v.token, v.pending, v.fresh = msg.GetResumeToken(), nil, false
	if len(changes) == 0 && !wholeResult && !v.reset {
		// A checkpoint, or a resumed stream's first message: the token
		// moved on (or was confirmed), the result did not change.
		return nil, nil
	}
	snap := &ListenSnapshot{Documents: v.sorted(), Changes: changes, ResumeToken: v.token, Reset: v.reset, Partial: v.partial}
	v.started, v.reset = true, false
	return snap, nil
}

// apply changes docs by the changes, in order, and returns them as the
// user sees them.
func (v *listenView) apply(docs map[string]*DocumentSnapshot, changes []*v1.DocumentChange) ([]DocumentChange, error) {
	out := make([]DocumentChange, 0, len(changes))
	for _, c := range changes {
		doc := c.GetDocument()
		if doc == nil {
			return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("Listen sent a %v change without a document", c.GetType()))
		}
		snap := v.client.snapshot(doc)
		change := DocumentChange{Doc: snap, TransactionID: c.GetTransactionId()}
		switch c.GetType() {
		case v1.DocumentChange_TYPE_ADDED:
			change.Type = Added
			docs[snap.Ref.Path()] = snap
		case v1.DocumentChange_TYPE_MODIFIED:
			change.Type = Modified
			docs[snap.Ref.Path()] = snap
		case v1.DocumentChange_TYPE_REMOVED:
			change.Type = Removed
			delete(docs, snap.Ref.Path())
		default:
			return nil, connect.NewError(connect.CodeInternal, fmt.Errorf("Listen sent a change of unknown type %v", c.GetType()))
		}
		out = append(out, change)
	}
	return out, nil
}

// replace makes a fresh result the view's. The first result's changes are
// its documents, all Added, in the server's order; a later one (after
// OUT_OF_RANGE, or a break before the first token) is told as the
// difference from the result held before, in id order.
func (v *listenView) replace(changes []*v1.DocumentChange) ([]DocumentChange, error) {
	next := map[string]*DocumentSnapshot{}
	added, err := v.apply(next, changes)
	if err != nil {
		return nil, err
	}
	prev := v.docs
	v.docs, v.partial = next, false
	if !v.started {
		return added, nil
	}
	var diff []DocumentChange
	for path, old := range prev {
		if _, kept := next[path]; !kept {
			diff = append(diff, DocumentChange{Type: Removed, Doc: old})
		}
	}
	for path, doc := range next {
		old, had := prev[path]
		switch {
		case !had:
			diff = append(diff, DocumentChange{Type: Added, Doc: doc})
		case old.Version != doc.Version:
			diff = append(diff, DocumentChange{Type: Modified, Doc: doc})
		}
	}
	slices.SortFunc(diff, func(a, b DocumentChange) int { return cmp.Compare(a.Doc.Ref.Path(), b.Doc.Ref.Path()) })
	return diff, nil
}

// sorted returns the result in id order.
func (v *listenView) sorted() []*DocumentSnapshot {
	out := make([]*DocumentSnapshot, 0, len(v.docs))
	for _, doc := range v.docs {
		out = append(out, doc)
	}
	slices.SortFunc(out, func(a, b *DocumentSnapshot) int { return cmp.Compare(a.Ref.Path(), b.Ref.Path()) })
	return out
}
