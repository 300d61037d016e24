package impossibledb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// Transaction is one run of a RunTransaction function: reads are made now
// and recorded with the versions they saw (the first read also begins the
// transaction, GetDocumentsRequest.new_transaction, so no call is spent on
// BeginTransaction; a run that never reads begins with its commit); writes are buffered and sent
// together at Commit, which applies them all only if nothing read has
// changed since, and otherwise answers ABORTED (RunTransaction then runs
// the function again).
//
// Every version read is sent back at Commit: a document read twice that
// changed in between goes in at both versions, so the server aborts (the
// writes may depend on the first value). Keeping only the last version
// would let a write computed from the first overwrite the change unseen.
//
// A Transaction is not safe for concurrent use, and must not be used after
// its function returns.
type Transaction struct {
	client  *Client
	options TransactionOptions
	// retryOf is the id of the run this one retries; empty on a first run.
	retryOf string
	// id is the server's id, empty until the first read (or the commit) began it.
	id       string
	reads    []*v1.ReadVersion
	readSeen map[readKey]bool
	writes   []*v1.Write
	err      error
	// ended is set when the function has returned: later calls fail
	// instead of buffering writes that no commit will send.
	ended bool
}

type readKey struct {
	collection, id string
	version        int64
}

// TransactionOptions are RunTransaction's options; zero values are defaults.
type TransactionOptions struct {
	// ReadOnly: the function only reads; writes are refused.
	ReadOnly bool
	// Timeout is how long one run may stay open: from
	// TransactionTimeoutMin (100 ms) to TransactionTimeoutMax (60 s, the
	// server's default and largest); 0 means the server's default.
	// RunTransaction refuses another value at once (ErrInvalidArgument,
	// nothing sent): a run with a shorter deadline would expire before it
	// could commit, every time.
	Timeout time.Duration
	// AttemptsMax is how often the function runs when commits abort, the
	// first run included; TransactionAttemptsMaxDefault when 0.
	AttemptsMax int
}

// check refuses options no run could succeed with.
func (o TransactionOptions) check() error {
	if o.Timeout != 0 && (o.Timeout < TransactionTimeoutMin || o.Timeout > TransactionTimeoutMax) {
		return invalidArgument("RunTransaction", "TransactionOptions.Timeout must be 0 (the server's default) or from TransactionTimeoutMin (%v) to TransactionTimeoutMax (%v), got %v: a shorter run expires before it can commit", TransactionTimeoutMin, TransactionTimeoutMax, o.Timeout)
	}
	if o.AttemptsMax < 0 {
		return invalidArgument("RunTransaction", "TransactionOptions.AttemptsMax must be at least 0 (0: TransactionAttemptsMaxDefault), got %d", o.AttemptsMax)
	}
	return nil
}

// RunTransaction runs fn in a transaction and commits what it wrote. When
// the commit (or a read) answers ABORTED, because something it read changed,
// it waits a backoff (the client's RetryPolicy) and runs fn again from the
// start in a new transaction, up to AttemptsMax runs; then it returns the
// last ErrAborted. fn must be free of side effects other than its
// transaction's writes, since it may run several times. When fn returns an
// error, the transaction is rolled back and that error returned; it is
// retried only if it is ErrAborted (a read inside fn that aborted).
// ctx bounds the whole, its runs and its backoffs; when it ends during a
// backoff the error matches both ctx's error and ErrAborted.
func (c *Client) RunTransaction(ctx context.Context, fn func(tx *Transaction) error, opts ...TransactionOptions) error {
	var options TransactionOptions
	if len(opts) > 0 {
		options = opts[0]
	}
	if err := options.check(); err != nil {
		return err
	}
	attemptsMax := options.AttemptsMax
	if attemptsMax == 0 {
		attemptsMax = TransactionAttemptsMaxDefault
	}
	previous := ""
	for attempt := 1; ; attempt++ {
		tx := &Transaction{client: c, options: options, readSeen: map[readKey]bool{}}
		err := tx.run(ctx, fn, previous)
		if err == nil || !errors.Is(err, ErrAborted) {
			return err
		}
		if attempt >= attemptsMax {
			return fmt.Errorf("RunTransaction gave up after %d runs (AttemptsMax): %w", attempt, err)
		}
		if tx.id != "" {
			// A run whose first read aborted never learned its id: the
			// next run names the one before (the priority is the same).
			previous = tx.id
		}
		if sleep(ctx, c.retry.Backoff(attempt)) != nil {
			return fmt.Errorf("RunTransaction stopped after %d runs (%w): %w", attempt, ctx.Err(), err)
		}
	}
}

func (tx *Transaction) run(ctx context.Context, fn func(*Transaction) error, retryOf string) error {
	tx.retryOf = retryOf
	defer func() {
		tx.ended = true
		if p := recover(); p != nil {
			tx.rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		tx.rollback()
		return err
	}
	if tx.err != nil {
		tx.rollback()
		return tx.err
	}
	req := &v1.CommitRequest{Transaction: tx.id, Writes: tx.writes, Reads: tx.reads}
	if tx.id == "" {
		// The run never read: its commit begins it.
		req.NewTransaction = tx.newOptions()
	}
	_, err := tx.client.rpc.commit(ctx, req)
	if err == nil {
		return nil
	}
	return commitError("Commit", err, "RunTransaction does not run it again: read the documents to see whether its writes were applied")
}

// rollback abandons the transaction on the server, best effort: an
// uncommitted transaction expires at its deadline anyway.
func (tx *Transaction) rollback() {
	if tx.id == "" {
		return // never begun on the server: nothing to abandon
	}
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeoutDefault)
	defer cancel()
	_, _ = tx.client.rpc.rollback(ctx, &v1.RollbackRequest{Transaction: tx.id})
}

// newOptions are the options the first read (or the commit) begins the
// transaction with. RetryOf tells the server that the transaction retries
// an aborted one: the retry keeps the first attempt's priority and locks
// what it reads, so a transaction that keeps losing eventually wins
// (TransactionOptions.retry_of).
func (tx *Transaction) newOptions() *v1.TransactionOptions {
	options := &v1.TransactionOptions{ReadOnly: tx.options.ReadOnly, RetryOf: tx.retryOf}
	if tx.options.Timeout > 0 {
		options.Timeout = durationpb.New(tx.options.Timeout)
	}
	return options
}

// Get reads a document inside the transaction and records the version read.
// A missing document is a snapshot with Exists false (its absence is
// recorded too: a commit after someone creates it aborts).
func (tx *Transaction) Get(ctx context.Context, doc *DocumentRef) (*DocumentSnapshot, error) {
	docs, err := tx.GetAll(ctx, doc)
	if err != nil {
		return nil, err
	}
	return docs[0], nil
}

// GetAll reads documents inside the transaction, one snapshot per ref in
// order, following unread_refs as Client.GetAll does, and records every
// version read. A read that would take the read set past
// TransactionReadsMax is refused before anything is read, and fails the
// transaction (its Commit would be refused).
func (tx *Transaction) GetAll(ctx context.Context, docs ...*DocumentRef) ([]*DocumentSnapshot, error) {
	if tx.ended {
		return nil, endedError("Transaction.GetAll")
	}
	if reads := tx.readsAfter(docs); reads > TransactionReadsMax {
		return nil, tx.fail(tooManyReads(reads))
	}
	out := make([]*DocumentSnapshot, 0, len(docs))
	for start := 0; start < len(docs); start += RefsPerCallMax {
		chunk := refsProto(docs[start:min(start+RefsPerCallMax, len(docs))])
		err := followUnread(chunk, func(refs []*v1.DocumentRef) (int, []*v1.DocumentRef, error) {
			req := &v1.GetDocumentsRequest{Transaction: tx.id, Refs: refs}
			if tx.id == "" {
				req.NewTransaction = tx.newOptions()
			}
			res, err := tx.client.rpc.getDocuments(ctx, req)
			if err != nil {
				return 0, nil, err
			}
			if tx.id == "" {
				if res.GetTransaction() == "" {
					return 0, nil, connect.NewError(connect.CodeInternal, errors.New("GetDocuments began no transaction: the server predates new_transaction"))
				}
				tx.id = res.GetTransaction()
			}
			for i, r := range res.GetReads() {
				if i >= len(refs) {
					break // more answers than refs: followUnread reports it
				}
				tx.recordRead(refs[i], r.GetVersion())
				if r.GetDocument() != nil {
					out = append(out, tx.client.snapshot(r.GetDocument()))
				} else {
					out = append(out, tx.client.missing(refs[i]))
				}
			}
			return len(res.GetReads()), res.GetUnreadRefs(), nil
		})
		if err != nil {
			return nil, wrapError("Transaction.GetAll", err)
		}
	}
	if len(tx.reads) > TransactionReadsMax {
		// Documents read again had changed: each new version is one more read.
		return nil, tx.fail(tooManyReads(len(tx.reads)))
	}
	return out, nil
}

// readsAfter is the fewest entries the read set would hold after reading
// docs: one for each document not read yet (one read again adds one
// only if it changed, which is known only once it is read).
func (tx *Transaction) readsAfter(docs []*DocumentRef) int {
	read := make(map[string]bool, len(tx.reads)+len(docs))
	for _, r := range tx.reads {
		read[r.GetRef().GetCollection()+"/"+r.GetRef().GetId()] = true
	}
	n := len(tx.reads)
	for _, d := range docs {
		if !read[d.Path()] {
			read[d.Path()] = true
			n++
		}
	}
	return n
}

// tooManyReads is the refusal of a read past TransactionReadsMax.
func tooManyReads(reads int) error {
	return invalidArgument("Transaction.GetAll", "a transaction reads at most TransactionReadsMax (%d) documents (the server's TX_READS_MAX, which its Commit would be refused for), and this read makes %d: read fewer, or split the work into several transactions", TransactionReadsMax, reads)
}

// fail makes err the transaction's (its function's error or not, the
// transaction fails with it) and returns it.
func (tx *Transaction) fail(err error) error {
	if tx.err == nil {
		tx.err = err
	}
	return err
}

// recordRead adds (document, version) to the read set unless that exact pair
// is in it already: a second version of the same document is added.
func (tx *Transaction) recordRead(ref *v1.DocumentRef, version int64) {
	key := readKey{ref.GetCollection(), ref.GetId(), version}
	if tx.readSeen[key] {
		return
	}
	tx.readSeen[key] = true
	tx.reads = append(tx.reads, &v1.ReadVersion{Ref: ref, Version: version})
}

// ReadSet returns the (document path, version) pairs Commit will send, in
// the order first read; version 0 stands for a document read missing.
func (tx *Transaction) ReadSet() []ReadVersion {
	out := make([]ReadVersion, len(tx.reads))
	for i, r := range tx.reads {
		out[i] = ReadVersion{Path: r.GetRef().GetCollection() + "/" + r.GetRef().GetId(), Version: r.GetVersion()}
	}
	return out
}

// ReadVersion is one entry of a transaction's read set.
type ReadVersion struct {
	// Path is "collection/id".
	Path string
	// Version is the version read; 0 for a document read missing.
	Version int64
}

func (tx *Transaction) add(op string, d *DocumentRef, kind writeKind, data any, opts []WriteOption) error {
	if tx.ended {
		return endedError(op)
	}
	if tx.options.ReadOnly {
		return invalidArgument(op, "the transaction is read-only")
	}
	if len(tx.writes) >= WritesPerCallMax {
		return invalidArgument(op, "a transaction holds at most WritesPerCallMax (%d) writes", WritesPerCallMax)
	}
	w, err := writeProto(op, d, kind, data, opts)
	if err == nil {
		// The server refuses a whole Commit that writes one document twice
		// (INVALID_ARGUMENT, in these words): refused here, when it is made.
		for _, earlier := range tx.writes {
			if earlier.GetRef().GetCollection() == w.GetRef().GetCollection() && earlier.GetRef().GetId() == w.GetRef().GetId() {
				err = invalidArgument(op, "writes[%d] writes %s again; a transaction may write each document once", len(tx.writes), d.Path())
				break
			}
		}
	}
	if err != nil {
		if tx.err == nil {
			tx.err = err
		}
		return err
	}
	tx.writes = append(tx.writes, w)
	return nil
}

// Set writes the document whole at commit. The error (a value that cannot
// be stored) also fails the transaction if fn ignores it.
func (tx *Transaction) Set(d *DocumentRef, data any, opts ...WriteOption) error {
	return tx.add("Transaction.Set "+d.Path(), d, opSet, data, opts)
}

// Create creates the document at commit; the commit fails with
// ErrAlreadyExists if it exists.
func (tx *Transaction) Create(d *DocumentRef, data any, opts ...WriteOption) error {
	return tx.add("Transaction.Create "+d.Path(), d, opCreate, data, opts)
}

// Update changes fields of an existing document at commit (see
// DocumentRef.Update).
func (tx *Transaction) Update(d *DocumentRef, patch any, opts ...WriteOption) error {
	return tx.add("Transaction.Update "+d.Path(), d, opUpdate, patch, opts)
}

// Delete deletes the document at commit.
func (tx *Transaction) Delete(d *DocumentRef, opts ...WriteOption) error {
	return tx.add("Transaction.Delete "+d.Path(), d, opDelete, nil, opts)
}

// endedError is the answer to a Transaction used after its function returned.
func endedError(op string) error {
	return &Error{Op: op, Cause: connect.NewError(connect.CodeFailedPrecondition, errors.New("the transaction's function has returned; use the Transaction only inside it"))}
}
