package impossibledb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
	"github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1/impossibledbv1connect"
)

// fakeDB is an in-process server of the parts of the contract the unit
// tests exercise, with scripted failures. connect-go handlers speak Connect
// and gRPC alike, so one fake serves both of the client's transports.
type fakeDB struct {
	impossibledbv1connect.UnimplementedCollectionServiceHandler
	impossibledbv1connect.UnimplementedTransactionServiceHandler
	impossibledbv1connect.UnimplementedQueryServiceHandler

	mu sync.Mutex
	// failures[method] are the errors the next calls of method answer, in order.
	failures map[string][]connect.Code
	// retryDelay, when positive, rides on every scripted RESOURCE_EXHAUSTED
	// as a google.rpc.RetryInfo detail, as a rate limit sends it.
	retryDelay time.Duration
	calls      map[string]int
	// callTimes[method] is when each call of method arrived.
	callTimes map[string][]time.Time
	// versions is each document's current version, bumped by every read
	// from GetDocuments when bumpOnRead is set (someone else writes between
	// two reads).
	versions   map[string]int64
	bumpOnRead bool
	// batchUnread: BatchGetDocuments answers at most this many refs per call.
	batchUnread int
	// getDelay: GetDocument waits this long (or until its context ends).
	getDelay time.Duration
	commits  []*v1.CommitRequest
	// begins holds the options of every transaction begun, by
	// BeginTransaction or by a GetDocuments or Commit with new_transaction.
	begins []*v1.TransactionOptions
	// listens[i] serves the i-th Listen call (listen_test.go).
	listens []listenScript
	// databases is the impossibledb-database header of each GetDocument,
	// listenDatabases that of each Listen.
	databases       []string
	listenDatabases []string
}

func newFakeDB() *fakeDB {
	return &fakeDB{failures: map[string][]connect.Code{}, calls: map[string]int{}, callTimes: map[string][]time.Time{}, versions: map[string]int64{}}
}

// call counts a call of method and answers its next scripted failure.
func (f *fakeDB) call(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	f.callTimes[method] = append(f.callTimes[method], time.Now())
	if queue := f.failures[method]; len(queue) > 0 {
		f.failures[method] = queue[1:]
		err := connect.NewError(queue[0], fmt.Errorf("scripted %s failure", method))
		if queue[0] == connect.CodeResourceExhausted && f.retryDelay > 0 {
			detail, detailErr := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(f.retryDelay)})
			if detailErr != nil {
				panic(detailErr)
			}
			err.AddDetail(detail)
		}
		return err
	}
	return nil
}

func (f *fakeDB) callsOf(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeDB) GetDocument(ctx context.Context, req *connect.Request[v1.GetDocumentRequest]) (*connect.Response[v1.GetDocumentResponse], error) {
	if err := f.call("GetDocument"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.databases = append(f.databases, req.Header().Get(DatabaseHeader))
	f.mu.Unlock()
	if f.getDelay > 0 {
		select {
		case <-time.After(f.getDelay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ref := req.Msg.GetRef()
	data, _ := structpb.NewStruct(map[string]any{"name": "Alice"})
	return connect.NewResponse(&v1.GetDocumentResponse{Document: &v1.Document{Collection: ref.GetCollection(), Id: ref.GetId(), Data: data, Version: 7}}), nil
}

func (f *fakeDB) SetDocument(_ context.Context, req *connect.Request[v1.SetDocumentRequest]) (*connect.Response[v1.SetDocumentResponse], error) {
	if err := f.call("SetDocument"); err != nil {
		return nil, err
	}
	ref := req.Msg.GetRef()
	return connect.NewResponse(&v1.SetDocumentResponse{Document: &v1.Document{Collection: ref.GetCollection(), Id: ref.GetId(), Data: req.Msg.GetData(), Version: 1}}), nil
}

func (f *fakeDB) BatchGetDocuments(_ context.Context, req *connect.Request[v1.BatchGetDocumentsRequest]) (*connect.Response[v1.BatchGetDocumentsResponse], error) {
	if err := f.call("BatchGetDocuments"); err != nil {
		return nil, err
	}
	refs := req.Msg.GetRefs()
	n := len(refs)
	if f.batchUnread > 0 {
		n = min(n, f.batchUnread)
	}
	res := &v1.BatchGetDocumentsResponse{UnreadRefs: refs[n:]}
	for _, ref := range refs[:n] {
		found := !strings.HasPrefix(ref.GetId(), "missing")
		result := &v1.BatchGetResult{Ref: ref, Found: found}
		if found {
			result.Document = &v1.Document{Collection: ref.GetCollection(), Id: ref.GetId(), Version: 1}
		}
		res.Results = append(res.Results, result)
	}
	return connect.NewResponse(res), nil
}

func (f *fakeDB) BeginTransaction(_ context.Context, req *connect.Request[v1.BeginTransactionRequest]) (*connect.Response[v1.BeginTransactionResponse], error) {
	if err := f.call("BeginTransaction"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.begins = append(f.begins, req.Msg.GetOptions())
	return connect.NewResponse(&v1.BeginTransactionResponse{Transaction: fmt.Sprintf("tx-%d", len(f.begins))}), nil
}

func (f *fakeDB) GetDocuments(_ context.Context, req *connect.Request[v1.GetDocumentsRequest]) (*connect.Response[v1.GetDocumentsResponse], error) {
	if err := f.call("GetDocuments"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := &v1.GetDocumentsResponse{}
	if req.Msg.GetNewTransaction() != nil {
		f.begins = append(f.begins, req.Msg.GetNewTransaction())
		res.Transaction = fmt.Sprintf("tx-%d", len(f.begins))
	}
	for _, ref := range req.Msg.GetRefs() {
		key := ref.GetCollection() + "/" + ref.GetId()
		if f.bumpOnRead {
			f.versions[key]++
		}
		read := &v1.TransactionalRead{Ref: ref, Version: f.versions[key]}
		if read.Version > 0 {
			read.Document = &v1.Document{Collection: ref.GetCollection(), Id: ref.GetId(), Version: read.Version}
		}
		res.Reads = append(res.Reads, read)
	}
	return connect.NewResponse(res), nil
}

func (f *fakeDB) Commit(_ context.Context, req *connect.Request[v1.CommitRequest]) (*connect.Response[v1.CommitResponse], error) {
	f.mu.Lock()
	f.commits = append(f.commits, req.Msg)
	if req.Msg.GetNewTransaction() != nil {
		f.begins = append(f.begins, req.Msg.GetNewTransaction())
	}
	f.mu.Unlock()
	if err := f.call("Commit"); err != nil {
		return nil, err
	}
	return connect.NewResponse(&v1.CommitResponse{}), nil
}

func (f *fakeDB) Rollback(context.Context, *connect.Request[v1.RollbackRequest]) (*connect.Response[v1.RollbackResponse], error) {
	_ = f.call("Rollback")
	return connect.NewResponse(&v1.RollbackResponse{}), nil
}

// serve starts the fake on a local port speaking HTTP/1.1 and h2c, and
// returns a client of it per transport.
func (f *fakeDB) serve(t *testing.T, options ...Option) map[string]*Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(impossibledbv1connect.NewCollectionServiceHandler(f))
	mux.Handle(impossibledbv1connect.NewTransactionServiceHandler(f))
	mux.Handle(impossibledbv1connect.NewQueryServiceHandler(f))
	server := httptest.NewUnstartedServer(mux)
	server.Config.Protocols = new(http.Protocols)
	server.Config.Protocols.SetHTTP1(true)
	server.Config.Protocols.SetUnencryptedHTTP2(true)
	server.Start()
	t.Cleanup(server.Close)
	// Retries in tests wait next to nothing.
	fast := WithRetry(RetryPolicy{InitialBackoff: 1, MaxBackoff: 1})
	overConnect, err := NewClient(server.URL, append([]Option{fast}, options...)...)
	if err != nil {
		t.Fatal(err)
	}
	overGRPC, err := NewClient("", append([]Option{fast, WithGRPC(strings.TrimPrefix(server.URL, "http://"))}, options...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = overGRPC.Close() })
	return map[string]*Client{"connect": overConnect, "grpc": overGRPC}
}

// forEachTransport runs a test once per transport, each against a fresh fake.
func forEachTransport(t *testing.T, test func(t *testing.T, f *fakeDB, db *Client)) {
	for _, name := range []string{"connect", "grpc"} {
		t.Run(name, func(t *testing.T) {
			f := newFakeDB()
			test(t, f, f.serve(t)[name])
		})
	}
}

func TestReadsRetryTransientCodes(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.failures["GetDocument"] = []connect.Code{connect.CodeUnavailable, connect.CodeResourceExhausted}
		snap, err := db.Collection("users").Doc("alice").Get(t.Context())
		if err != nil || snap.Data()["name"] != "Alice" {
			t.Fatalf("Get after two transient failures: %v, %v; want the document", snap, err)
		}
		if n := f.callsOf("GetDocument"); n != 3 {
			t.Fatalf("GetDocument was called %d times, want 3", n)
		}
	})
}

func TestReadsStopRetryingAtAttemptsMax(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.failures["GetDocument"] = []connect.Code{14, 14, 14, 14, 14, 14}
		_, err := db.Collection("users").Doc("alice").Get(t.Context())
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Get: %v; want ErrUnavailable", err)
		}
		if n := f.callsOf("GetDocument"); n != CallAttemptsMaxDefault {
			t.Fatalf("GetDocument was called %d times, want CallAttemptsMaxDefault (%d)", n, CallAttemptsMaxDefault)
		}
	})
}

func TestWritesAreNotRetried(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.failures["SetDocument"] = []connect.Code{connect.CodeUnavailable}
		_, err := db.Collection("users").Doc("alice").Set(t.Context(), map[string]any{"n": 1})
		if !errors.Is(err, ErrUnavailable) || f.callsOf("SetDocument") != 1 {
			t.Fatalf("Set: %v after %d calls; want ErrUnavailable after exactly 1 (a write may have been applied)", err, f.callsOf("SetDocument"))
		}
	})
}

func TestErrorsCarryTheCodeOnBothTransports(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.failures["GetDocument"] = []connect.Code{connect.CodeNotFound}
		_, err := db.Collection("users").Doc("ghost").Get(t.Context())
		var ce *connect.Error
		if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrAborted) || !errors.As(err, &ce) || ce.Code() != connect.CodeNotFound {
			t.Fatalf("Get of a missing document: %v; want ErrNotFound (and not ErrAborted) with a *connect.Error inside", err)
		}
		if !strings.Contains(err.Error(), "users/ghost") || Code(err) != connect.CodeNotFound {
			t.Fatalf("error %q, code %v; want it to name users/ghost and carry not_found", err, Code(err))
		}
	})
}

func TestGetAllFollowsUnreadRefs(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.batchUnread = 2
		users := db.Collection("users")
		refs := []*DocumentRef{users.Doc("a"), users.Doc("missing-b"), users.Doc("c"), users.Doc("d"), users.Doc("e")}
		docs, err := db.GetAll(t.Context(), refs...)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range docs {
			got = append(got, fmt.Sprintf("%s:%v", d.Ref.ID, d.Exists))
		}
		if strings.Join(got, " ") != "a:true missing-b:false c:true d:true e:true" || f.callsOf("BatchGetDocuments") != 3 {
			t.Fatalf("GetAll answered %v in %d calls; want every ref in order, in 3 calls of at most 2", got, f.callsOf("BatchGetDocuments"))
		}
	})
}

// TestTransactionSendsEveryVersionRead is the lost update the TypeScript
// SDK once had: a document read twice at two versions must go to Commit at
// both, so the server can abort.
func TestTransactionSendsEveryVersionRead(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.bumpOnRead = true
		account := db.Collection("accounts").Doc("a")
		other := db.Collection("accounts").Doc("b")
		err := db.RunTransaction(t.Context(), func(tx *Transaction) error {
			if _, err := tx.Get(t.Context(), account); err != nil {
				return err
			}
			if _, err := tx.GetAll(t.Context(), account, other); err != nil {
				return err
			}
			return tx.Set(account, map[string]any{"balance": 90})
		})
		if err != nil {
			t.Fatal(err)
		}
		var sent []string
		for _, r := range f.commits[0].GetReads() {
			sent = append(sent, fmt.Sprintf("%s@%d", r.GetRef().GetId(), r.GetVersion()))
		}
		if strings.Join(sent, " ") != "a@1 a@2 b@1" {
			t.Fatalf("Commit carried reads %v; want every version read: a@1 a@2 b@1", sent)
		}
	})
}

// TestReadModifyWriteMakesTwoCalls: the first read begins the transaction
// (new_transaction) and the commit uses the id it answered; no
// BeginTransaction. A retry begins with retry_of naming the run before.
func TestReadModifyWriteMakesTwoCalls(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.failures["Commit"] = []connect.Code{connect.CodeAborted}
		account := db.Collection("accounts").Doc("a")
		err := db.RunTransaction(t.Context(), func(tx *Transaction) error {
			if _, err := tx.Get(t.Context(), account); err != nil {
				return err
			}
			if _, err := tx.Get(t.Context(), account); err != nil {
				return err
			}
			return tx.Set(account, map[string]any{"balance": 90})
		}, TransactionOptions{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if f.callsOf("BeginTransaction") != 0 || f.callsOf("GetDocuments") != 4 || f.callsOf("Commit") != 2 {
			t.Fatalf("calls: %d BeginTransaction, %d GetDocuments, %d Commit; want 0, 4 (two runs of two reads), 2", f.callsOf("BeginTransaction"), f.callsOf("GetDocuments"), f.callsOf("Commit"))
		}
		if len(f.begins) != 2 || f.begins[0].GetRetryOf() != "" || f.begins[1].GetRetryOf() != "tx-1" || f.begins[0].GetTimeout().AsDuration() != 5*time.Second {
			t.Fatalf("begun with %v; want two transactions, the second retrying tx-1, with the 5 s timeout", f.begins)
		}
		if f.commits[1].GetTransaction() != "tx-2" || f.commits[1].GetNewTransaction() != nil {
			t.Fatalf("second commit %v; want it in tx-2, the id its first read answered", f.commits[1])
		}
		// A transaction that never reads begins with its commit.
		if err := db.RunTransaction(t.Context(), func(tx *Transaction) error { return tx.Set(account, map[string]any{"balance": 1}) }); err != nil {
			t.Fatal(err)
		}
		if last := f.commits[len(f.commits)-1]; last.GetTransaction() != "" || last.GetNewTransaction() == nil {
			t.Fatalf("write-only commit %v; want new_transaction and no id", last)
		}
	})
}

func TestRunTransactionRetriesAbortedThenGivesUp(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		f.failures["Commit"] = []connect.Code{connect.CodeAborted, connect.CodeAborted}
		runs := 0
		err := db.RunTransaction(t.Context(), func(tx *Transaction) error {
			runs++
			return tx.Set(db.Collection("c").Doc("d"), map[string]any{"run": runs})
		})
		if err != nil || runs != 3 || len(f.begins) != 3 {
			t.Fatalf("RunTransaction: %v after %d runs and %d begins; want success on the third", err, runs, len(f.begins))
		}

		f.failures["Commit"] = []connect.Code{10, 10, 10, 10, 10, 10, 10, 10}
		runs = 0
		err = db.RunTransaction(t.Context(), func(tx *Transaction) error { runs++; return nil }, TransactionOptions{AttemptsMax: 2})
		if !errors.Is(err, ErrAborted) || runs != 2 {
			t.Fatalf("RunTransaction that always aborts: %v after %d runs; want ErrAborted after AttemptsMax (2)", err, runs)
		}
		// The last run's own words say to retry; the error says RunTransaction already did, and which option allows more.
		if !strings.HasPrefix(err.Error(), "RunTransaction gave up after 2 runs (AttemptsMax): ") || connect.CodeOf(err) != connect.CodeAborted {
			t.Fatalf("RunTransaction that always aborts: %q (code %v); want it to say it gave up after 2 runs (AttemptsMax), code aborted", err, connect.CodeOf(err))
		}
	})
}

func TestRunTransactionReturnsTheFunctionsErrorAndRollsBack(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		mine := errors.New("insufficient funds")
		runs := 0
		err := db.RunTransaction(t.Context(), func(tx *Transaction) error {
			runs++
			if _, err := tx.Get(t.Context(), db.Collection("c").Doc("d")); err != nil {
				return err
			}
			return mine
		})
		if !errors.Is(err, mine) || runs != 1 || f.callsOf("Commit") != 0 || f.callsOf("Rollback") != 1 {
			t.Fatalf("RunTransaction: %v after %d runs, %d commits, %d rollbacks; want the function's error, 1 run, no commit, 1 rollback", err, runs, f.callsOf("Commit"), f.callsOf("Rollback"))
		}
		// A run that failed before reading began nothing on the server: no rollback to send.
		if err := db.RunTransaction(t.Context(), func(tx *Transaction) error { return mine }); !errors.Is(err, mine) || f.callsOf("Rollback") != 1 {
			t.Fatalf("RunTransaction failing before any read: %v, %d rollbacks in all; want the function's error and no new rollback", err, f.callsOf("Rollback"))
		}
		// A value that cannot be stored fails the transaction even when the
		// function ignores Set's error.
		err = db.RunTransaction(t.Context(), func(tx *Transaction) error {
			_ = tx.Set(db.Collection("c").Doc("d"), map[string]any{"n": math.NaN()})
			return nil
		})
		if !errors.Is(err, ErrInvalidArgument) || f.callsOf("Commit") != 0 {
			t.Fatalf("RunTransaction with an ignored bad Set: %v, %d commits; want ErrInvalidArgument and no commit", err, f.callsOf("Commit"))
		}
	})
}

func TestContextDeadlineStopsRetries(t *testing.T) {
	f := newFakeDB()
	db := f.serve(t, WithRetry(RetryPolicy{AttemptsMax: 1000, InitialBackoff: 50_000_000, MaxBackoff: 50_000_000}))["connect"]
	f.failures["GetDocument"] = make([]connect.Code, 1000)
	for i := range f.failures["GetDocument"] {
		f.failures["GetDocument"][i] = connect.CodeUnavailable
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200_000_000)
	defer cancel()
	_, err := db.Collection("users").Doc("a").Get(ctx)
	if err == nil || f.callsOf("GetDocument") > 20 {
		t.Fatalf("Get under a 200 ms deadline: %v after %d calls; want an error after a handful", err, f.callsOf("GetDocument"))
	}
}

func TestCallTimeoutBoundsCallsWithoutADeadline(t *testing.T) {
	for _, transport := range []string{"connect", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			f := newFakeDB()
			f.getDelay = 10 * time.Second
			db := f.serve(t, WithCallTimeout(200*time.Millisecond))[transport]
			started := time.Now()
			_, err := db.Collection("users").Doc("slow").Get(context.Background())
			if !errors.Is(err, ErrDeadlineExceeded) || time.Since(started) > 5*time.Second {
				t.Fatalf("Get of a slow server under a 200 ms call timeout: %v after %v; want ErrDeadlineExceeded soon", err, time.Since(started))
			}
		})
	}
}

func TestReadOnlyTransactionRefusesWrites(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		var setErr error
		err := db.RunTransaction(t.Context(), func(tx *Transaction) error {
			setErr = tx.Set(db.Collection("c").Doc("d"), map[string]any{"n": 1})
			return nil
		}, TransactionOptions{ReadOnly: true})
		if !errors.Is(setErr, ErrInvalidArgument) || err != nil {
			t.Fatalf("Set in a read-only transaction: %v (transaction %v); want ErrInvalidArgument from Set", setErr, err)
		}
		if len(f.begins) != 1 || !f.begins[0].GetReadOnly() || len(f.commits[0].GetWrites()) != 0 {
			t.Fatalf("begins %v, commits %v; want one read-only transaction committing no writes", f.begins, f.commits)
		}
	})
}

func TestTransactionEndsWithItsFunction(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		var kept *Transaction
		if err := db.RunTransaction(t.Context(), func(tx *Transaction) error { kept = tx; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := kept.Set(db.Collection("c").Doc("d"), map[string]any{"n": 1}); !errors.Is(err, ErrFailedPrecondition) {
			t.Fatalf("Set after the function returned: %v; want ErrFailedPrecondition (no commit would send it)", err)
		}
		func() {
			defer func() { _ = recover() }()
			_ = db.RunTransaction(t.Context(), func(tx *Transaction) error {
				_, _ = tx.Get(t.Context(), db.Collection("c").Doc("d"))
				panic("boom")
			})
		}()
		if f.callsOf("Rollback") != 1 || f.callsOf("Commit") != 1 {
			t.Fatalf("after a panicking function: %d rollbacks, %d commits; want the panicking run rolled back, not committed", f.callsOf("Rollback"), f.callsOf("Commit"))
		}
	})
}

func (f *fakeDB) CommitBatch(_ context.Context, req *connect.Request[v1.CommitBatchRequest]) (*connect.Response[v1.CommitBatchResponse], error) {
	if err := f.call("CommitBatch"); err != nil {
		return nil, err
	}
	results := make([]*v1.WriteResult, len(req.Msg.GetWrites()))
	for i, w := range req.Msg.GetWrites() {
		results[i] = &v1.WriteResult{Ref: w.GetRef(), Version: 1}
	}
	return connect.NewResponse(&v1.CommitBatchResponse{Results: results}), nil
}

func (f *fakeDB) BatchWriteDocuments(_ context.Context, req *connect.Request[v1.BatchWriteDocumentsRequest]) (*connect.Response[v1.BatchWriteDocumentsResponse], error) {
	if err := f.call("BatchWriteDocuments"); err != nil {
		return nil, err
	}
	statuses := make([]*v1.WriteStatus, len(req.Msg.GetWrites()))
	results := make([]*v1.WriteResult, len(req.Msg.GetWrites()))
	for i, w := range req.Msg.GetWrites() {
		statuses[i] = &v1.WriteStatus{}
		results[i] = &v1.WriteResult{Ref: w.GetRef(), Version: 1}
	}
	return connect.NewResponse(&v1.BatchWriteDocumentsResponse{Statuses: statuses, Results: results}), nil
}

func TestABatchIsSentOnceUnlessAnAtomicCommitWasRefused(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		doc := db.Collection("c").Doc("a")
		batch := db.Batch().Set(doc, map[string]any{"n": 1})
		if _, err := batch.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := batch.Commit(t.Context()); !errors.Is(err, ErrFailedPrecondition) {
			t.Fatalf("second Commit: %v, want ErrFailedPrecondition", err)
		}
		if _, err := batch.Set(doc, map[string]any{"n": 2}).CommitAtomic(t.Context()); !errors.Is(err, ErrFailedPrecondition) {
			t.Fatalf("CommitAtomic after Commit: %v, want ErrFailedPrecondition", err)
		}
		if n := f.callsOf("BatchWriteDocuments") + f.callsOf("CommitBatch"); n != 1 {
			t.Fatalf("%d calls sent, want 1", n)
		}
		// A refused atomic commit applied nothing: the batch may go again.
		f.failures["CommitBatch"] = []connect.Code{connect.CodeAlreadyExists}
		refused := db.Batch().Set(doc, map[string]any{"n": 1})
		if _, err := refused.CommitAtomic(t.Context()); !errors.Is(err, ErrAlreadyExists) {
			t.Fatalf("refused CommitAtomic: %v", err)
		}
		if _, err := refused.Commit(t.Context()); err != nil {
			t.Fatalf("Commit after a refused CommitAtomic: %v", err)
		}
		// A lost answer (it may have been applied): not again.
		f.failures["CommitBatch"] = []connect.Code{connect.CodeUnavailable}
		lost := db.Batch().Set(doc, map[string]any{"n": 1})
		if _, err := lost.CommitAtomic(t.Context()); err == nil {
			t.Fatal("want the scripted UNAVAILABLE")
		}
		if _, err := lost.CommitAtomic(t.Context()); !errors.Is(err, ErrFailedPrecondition) {
			t.Fatalf("CommitAtomic after a lost answer: %v, want ErrFailedPrecondition", err)
		}
	})
}

func TestABatchRefusesASecondWriteOfADocumentWhenItIsAdded(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		a, b := db.Collection("c").Doc("a"), db.Collection("c").Doc("b")
		batch := db.Batch().Set(a, map[string]any{"n": 1}).Set(b, map[string]any{"n": 1}).Update(a, map[string]any{"n": 2})
		for _, commit := range []func(context.Context) ([]WriteResult, error){batch.Commit, batch.CommitAtomic} {
			_, err := commit(t.Context())
			if !errors.Is(err, ErrInvalidArgument) || !strings.HasSuffix(err.Error(), "writes[2] writes c/a again; a batch may write each document once") {
				t.Fatalf("commit of a batch writing c/a twice: %v, want ErrInvalidArgument naming writes[2]", err)
			}
		}
		if n := f.callsOf("BatchWriteDocuments") + f.callsOf("CommitBatch"); n != 0 {
			t.Fatalf("%d calls sent, want none", n)
		}
		// The same id in another collection is another document.
		other := db.Batch().Set(a, map[string]any{"n": 1}).Set(db.Collection("d").Doc("a"), map[string]any{"n": 1})
		if _, err := other.CommitAtomic(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestACommitCutByItsDeadlineSaysItsOutcomeIsUnknown(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		doc := db.Collection("c").Doc("a")
		f.failures["CommitBatch"] = []connect.Code{connect.CodeDeadlineExceeded}
		_, err := db.Batch().Set(doc, map[string]any{"n": 1}).CommitAtomic(t.Context())
		if !errors.Is(err, ErrDeadlineExceeded) || !strings.Contains(err.Error(), "the commit's outcome is unknown, it may have been applied; read the documents") {
			t.Fatalf("CommitAtomic cut by its deadline: %v, want ErrDeadlineExceeded saying the outcome is unknown", err)
		}
		f.failures["Commit"] = []connect.Code{connect.CodeDeadlineExceeded}
		err = db.RunTransaction(t.Context(), func(tx *Transaction) error { return tx.Set(doc, map[string]any{"n": 2}) })
		if !errors.Is(err, ErrDeadlineExceeded) || !strings.Contains(err.Error(), "outcome is unknown") {
			t.Fatalf("RunTransaction whose commit was cut by its deadline: %v, want ErrDeadlineExceeded saying the outcome is unknown", err)
		}
		// A refusal is the server's answer, not a lost one: its message is as the server wrote it.
		f.failures["CommitBatch"] = []connect.Code{connect.CodeAlreadyExists}
		_, err = db.Batch().Set(doc, map[string]any{"n": 1}).CommitAtomic(t.Context())
		if !errors.Is(err, ErrAlreadyExists) || strings.Contains(err.Error(), "outcome") {
			t.Fatalf("refused CommitAtomic: %v", err)
		}
	})
}

func TestATransactionRefusesASecondWriteOfADocumentWhenItIsMade(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		doc := db.Collection("c").Doc("a")
		var second error
		err := db.RunTransaction(t.Context(), func(tx *Transaction) error {
			if err := tx.Set(doc, map[string]any{"n": 1}); err != nil {
				return err
			}
			second = tx.Delete(doc)
			return nil // the refused write fails the transaction even when ignored
		})
		if !errors.Is(second, ErrInvalidArgument) || !strings.HasSuffix(second.Error(), "writes[1] writes c/a again; a transaction may write each document once") {
			t.Fatalf("second write of c/a: %v, want ErrInvalidArgument naming writes[1]", second)
		}
		if !errors.Is(err, ErrInvalidArgument) || f.callsOf("Commit") != 0 {
			t.Fatalf("RunTransaction: %v with %d Commits, want ErrInvalidArgument and none sent", err, f.callsOf("Commit"))
		}
	})
}
