package impossibledb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// GetAll reads documents of any collections, in as few calls as it can, and
// returns one snapshot per ref in the same order; a missing document has
// Exists false. The server answers at most RESPONSE_BYTES_MAX (3 MiB) per
// call and lists what it left out in unread_refs: GetAll asks again for
// those until every ref is answered. Lists longer than RefsPerCallMax are
// split. Retried on UNAVAILABLE and RESOURCE_EXHAUSTED.
func (c *Client) GetAll(ctx context.Context, docs ...*DocumentRef) ([]*DocumentSnapshot, error) {
	out := make([]*DocumentSnapshot, 0, len(docs))
	for start := 0; start < len(docs); start += RefsPerCallMax {
		chunk := refsProto(docs[start:min(start+RefsPerCallMax, len(docs))])
		err := followUnread(chunk, func(refs []*v1.DocumentRef) (int, []*v1.DocumentRef, error) {
			res, err := c.rpc.batchGetDocuments(ctx, &v1.BatchGetDocumentsRequest{Refs: refs})
			if err != nil {
				return 0, nil, err
			}
			for _, r := range res.GetResults() {
				if r.GetFound() {
					out = append(out, c.snapshot(r.GetDocument()))
				} else {
					out = append(out, c.missing(r.GetRef()))
				}
			}
			return len(res.GetResults()), res.GetUnreadRefs(), nil
		})
		if err != nil {
			return nil, wrapError("GetAll", err)
		}
	}
	return out, nil
}

// followUnread calls read with refs, then with the refs it left unread,
// until none are left. Each call must answer a prefix of what it was asked
// (at least one ref, as the contract says); the number of calls is bounded
// by the number of refs.
func followUnread(refs []*v1.DocumentRef, read func([]*v1.DocumentRef) (answered int, unread []*v1.DocumentRef, err error)) error {
	total := len(refs)
	for calls := 0; len(refs) > 0; calls++ {
		if calls >= total {
			return connect.NewError(connect.CodeInternal, fmt.Errorf("the server left refs unread after %d calls for %d refs", calls, total))
		}
		answered, unread, err := read(refs)
		if err != nil {
			return err
		}
		if answered == 0 || answered+len(unread) != len(refs) {
			return connect.NewError(connect.CodeInternal, fmt.Errorf("the server answered %d refs and left %d unread of %d asked", answered, len(unread), len(refs)))
		}
		refs = unread
	}
	return nil
}

func refsProto(docs []*DocumentRef) []*v1.DocumentRef {
	refs := make([]*v1.DocumentRef, len(docs))
	for i, d := range docs {
		refs[i] = d.proto()
	}
	return refs
}

// WriteBatch collects writes to send in one call: Commit (each shard's
// writes atomically, shards independently) or CommitAtomic (all or
// nothing). Make one with Client.Batch. Not safe for concurrent use.
//
// A batch is sent once: a second Commit or CommitAtomic, which would apply
// every write again (an increment twice), fails with ErrFailedPrecondition
// and sends nothing, and so do writes added after the first, unless that
// first was a CommitAtomic the server refused (nothing was applied).
//
// A batch writes each document once: a second write of one is refused when
// it is added (Commit and CommitAtomic then fail with ErrInvalidArgument,
// "writes[i] writes collection/id again; a batch may write each document
// once", the server's words, and send nothing).
type WriteBatch struct {
	client *Client
	writes []*v1.Write
	err    error
	// sent is set before a commit sends.
	sent bool
	// written holds "collection/id" of every document written, to refuse a
	// second write of one when it is added.
	written map[string]bool
}

// Batch starts an empty batch.
func (c *Client) Batch() *WriteBatch { return &WriteBatch{client: c} }

func (b *WriteBatch) add(op string, d *DocumentRef, kind writeKind, data any, opts []WriteOption) *WriteBatch {
	if b.err != nil {
		return b
	}
	if b.sent {
		b.err = alreadySent(op)
		return b
	}
	w, err := writeProto(op, d, kind, data, opts)
	if err != nil {
		b.err = err
		return b
	}
	// The server refuses a whole batch that writes one document twice
	// (INVALID_ARGUMENT, in these words); the batch records the refusal when
	// the second write is added, and Commit returns it without sending.
	path := w.GetRef().GetCollection() + "/" + w.GetRef().GetId()
	if b.written[path] {
		b.err = invalidArgument(op, "writes[%d] writes %s again; a batch may write each document once", len(b.writes), path)
		return b
	}
	if b.written == nil {
		b.written = map[string]bool{}
	}
	b.written[path] = true
	b.writes = append(b.writes, w)
	return b
}

// Set adds a write of the whole document (an upsert). A value that cannot
// be stored makes Commit fail before sending anything.
func (b *WriteBatch) Set(d *DocumentRef, data any, opts ...WriteOption) *WriteBatch {
	return b.add("Set "+d.Path(), d, opSet, data, opts)
}

// Create adds a creation; it fails with ALREADY_EXISTS if the document exists.
func (b *WriteBatch) Create(d *DocumentRef, data any, opts ...WriteOption) *WriteBatch {
	return b.add("Create "+d.Path(), d, opCreate, data, opts)
}

// Update adds a change of an existing document's fields (see DocumentRef.Update).
func (b *WriteBatch) Update(d *DocumentRef, patch any, opts ...WriteOption) *WriteBatch {
	return b.add("Update "+d.Path(), d, opUpdate, patch, opts)
}

// Delete adds a deletion.
func (b *WriteBatch) Delete(d *DocumentRef, opts ...WriteOption) *WriteBatch {
	return b.add("Delete "+d.Path(), d, opDelete, nil, opts)
}

// Len returns the number of writes added.
func (b *WriteBatch) Len() int { return len(b.writes) }

// WriteResult is what one write did.
type WriteResult struct {
	// Ref names the document written.
	Ref *DocumentRef
	// Version is the document's version after the write; 0 after a delete
	// or when the write failed.
	Version int64
	// UpdateTime is when the write was applied; zero when it failed.
	UpdateTime time.Time
	// Err is why this write failed (Commit only; nil when it succeeded). It
	// matches the Err* sentinels, such as ErrAlreadyExists, or ErrAborted
	// for a write undone because another write on its shard failed.
	Err error
}

// alreadySent is the error of a call on a batch that was sent.
func alreadySent(op string) error {
	return &Error{Op: op, Cause: connect.NewError(connect.CodeFailedPrecondition, errors.New("this batch was already sent (a batch is committed once; a second commit would apply its writes again): make a new batch"))}
}

func (b *WriteBatch) check(op string) error {
	if b.sent {
		return alreadySent(op)
	}
	if b.err != nil {
		return b.err
	}
	if len(b.writes) == 0 || len(b.writes) > WritesPerCallMax {
		return invalidArgument(op, "a batch holds 1 to WritesPerCallMax (%d) writes, this one %d", WritesPerCallMax, len(b.writes))
	}
	return nil
}

// Commit sends the writes in one BatchWriteDocuments call and returns one
// result per write, in the order added. The writes that fall on one shard
// are applied together or not at all; writes on different shards succeed or
// fail independently, so look at each result's Err. The returned error is
// for the call as a whole (nothing is known to be applied then) or for a
// batch that was refused before sending (a bad value, no writes, more than
// WritesPerCallMax). Not retried: the call writes.
func (b *WriteBatch) Commit(ctx context.Context) ([]WriteResult, error) {
	const op = "Batch.Commit"
	if err := b.check(op); err != nil {
		return nil, err
	}
	b.sent = true
	res, err := b.client.rpc.batchWriteDocuments(ctx, &v1.BatchWriteDocumentsRequest{Writes: b.writes})
	if err != nil {
		return nil, commitError(op, err, lostBatchHint)
	}
	out := make([]WriteResult, len(b.writes))
	for i, w := range b.writes {
		out[i] = b.client.writeResult(w.GetRef(), res.GetResults(), i)
		if st := res.GetStatuses(); i < len(st) && st[i].GetCode() != 0 {
			cause := connect.NewError(connect.Code(st[i].GetCode()), errors.New(st[i].GetMessage()))
			out[i].Err = &Error{Op: "write " + w.GetRef().GetCollection() + "/" + w.GetRef().GetId(), Cause: cause}
		}
	}
	return out, nil
}

// CommitAtomic sends the writes in one CommitBatch call: every write is
// applied, with its precondition, or none is (the error then says why:
// ErrAborted, ErrFailedPrecondition, ErrAlreadyExists...). Results are in
// the order added. Not retried: the call writes.
func (b *WriteBatch) CommitAtomic(ctx context.Context) ([]WriteResult, error) {
	const op = "Batch.CommitAtomic"
	if err := b.check(op); err != nil {
		return nil, err
	}
	b.sent = true
	res, err := b.client.rpc.commitBatch(ctx, &v1.CommitBatchRequest{Writes: b.writes})
	if err != nil {
		// Refused (nothing applied): the batch may be sent again, as a whole or per shard.
		if refusedByServer(err) {
			b.sent = false
		}
		return nil, commitError(op, err, lostBatchHint)
	}
	out := make([]WriteResult, len(b.writes))
	for i, w := range b.writes {
		out[i] = b.client.writeResult(w.GetRef(), res.GetResults(), i)
	}
	return out, nil
}

func (c *Client) writeResult(ref *v1.DocumentRef, results []*v1.WriteResult, i int) WriteResult {
	out := WriteResult{Ref: &DocumentRef{client: c, Collection: ref.GetCollection(), ID: ref.GetId()}}
	if i < len(results) && results[i] != nil {
		out.Version = results[i].GetVersion()
		out.UpdateTime = timeOf(results[i].GetUpdateTime().AsTime(), results[i].GetUpdateTime() != nil)
	}
	return out
}

// commitError is the error of a failed commit (a transaction's or a
// batch's): when its answer was lost (not refusedByServer), its message says
// that the outcome is unknown and what to do (next), since a bare "deadline
// exceeded" reads as "nothing happened" yet the commit may have been
// applied. Code, details and metadata stay the server's or the transport's.
func commitError(op string, err error, next string) error {
	wrapped := wrapError(op, err)
	var e *Error
	if refusedByServer(err) || !errors.As(wrapped, &e) || strings.Contains(e.Cause.Message(), "outcome is unknown") {
		return wrapped
	}
	cause := connect.NewError(e.Cause.Code(), fmt.Errorf("%s: the commit's outcome is unknown, it may have been applied; %s", e.Cause.Message(), next))
	for _, d := range e.Cause.Details() {
		cause.AddDetail(d)
	}
	for k, v := range e.Cause.Meta() {
		cause.Meta()[k] = v
	}
	return &Error{Op: e.Op, Cause: cause}
}

// lostBatchHint is what to do after a batch's answer was lost: a batch is sent once.
const lostBatchHint = "read the documents to see whether its writes were applied (a batch is sent once)"

// refusedByServer reports an error that is the server's refusal of a write
// (nothing was applied), not a lost or cut answer (UNAVAILABLE,
// DEADLINE_EXCEEDED, CANCELED, UNKNOWN, INTERNAL: it may have been applied).
func refusedByServer(err error) bool {
	switch asConnectError(err).Code() {
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded, connect.CodeCanceled, connect.CodeUnknown, connect.CodeInternal:
		return false
	}
	return true
}
