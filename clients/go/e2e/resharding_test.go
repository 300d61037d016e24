package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
	"github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1/impossibledbv1connect"
	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

const (
	// reshardDocuments are written before the resharding, so it has some to move.
	reshardDocuments = 300
	// reshardTimeout bounds the wait for a resharding on a loaded machine.
	reshardTimeout = 2 * time.Minute
	// reshardPollInterval is the wait between two GetResharding calls.
	reshardPollInterval = 200 * time.Millisecond
)

// inDatabase sends the impossibledb-database header on raw connect-go calls.
func inDatabase(id string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set(impossibledb.DatabaseHeader, id)
			return next(ctx, req)
		}
	}))
}

// TestReshardingFromGo grows a fresh database from 8 to 11 shards with the
// generated AdminService client (connect-go): StartResharding answers at
// once, GetResharding is polled to phase DONE, and then every document
// written before is read back with its version, the shards are 11, a
// second StartResharding to the same count is FAILED_PRECONDITION, and
// GetResharding answers the same through the gRPC front door (grpc-go).
func TestReshardingFromGo(t *testing.T) {
	baseURL, grpcTarget := endpoints(t)
	database := fmt.Sprintf("go-%d-rs", time.Now().UnixNano())
	catalog := impossibledbv1connect.NewAdminServiceClient(http.DefaultClient, baseURL, bearer(apiKey()))
	if _, err := catalog.CreateDatabase(t.Context(), connect.NewRequest(&v1.CreateDatabaseRequest{DatabaseId: database})); err != nil {
		t.Fatalf("CreateDatabase: %v", err)
	}
	t.Cleanup(func() {
		_, _ = catalog.DeleteDatabase(context.Background(), connect.NewRequest(&v1.DeleteDatabaseRequest{Name: "databases/" + database}))
	})
	db, err := impossibledb.NewClient(baseURL, impossibledb.WithDatabase(database), impossibledb.WithCallTimeout(callTimeout), withKey())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	batch := db.Batch()
	for i := range reshardDocuments {
		batch.Set(db.Collection("docs").Doc(fmt.Sprintf("d%04d", i)), map[string]any{"i": i})
	}
	written, err := batch.Commit(t.Context())
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
	versions := map[string]int64{}
	for _, w := range written {
		if w.Err != nil {
			t.Fatalf("seeding %s: %v", w.Ref.Path(), w.Err)
		}
		versions[w.Ref.ID] = w.Version
	}

	admin := impossibledbv1connect.NewAdminServiceClient(http.DefaultClient, baseURL, bearer(apiKey()), inDatabase(database))
	started, err := admin.StartResharding(t.Context(), connect.NewRequest(&v1.StartReshardingRequest{ShardCount: 11}))
	if err != nil {
		t.Fatalf("StartResharding: %v", err)
	}
	op := started.Msg.GetResharding()
	if op.GetState() != v1.Resharding_STATE_RUNNING || op.GetSourceShardCount() != 8 || op.GetTargetShardCount() != 11 {
		t.Fatalf("StartResharding answered %v; want RUNNING, 8 -> 11", op)
	}
	done := waitForResharding(t, admin, op.GetId())
	if done.GetState() != v1.Resharding_STATE_SUCCEEDED {
		t.Fatalf("resharding ended %v; errors %v", done.GetState(), done.GetErrors())
	}
	if done.GetTargetRoutingVersion() != op.GetSourceRoutingVersion()+1 || done.GetEndTime() == nil {
		t.Fatalf("finished resharding %v: want routing version %d and an end time", done, op.GetSourceRoutingVersion()+1)
	}

	shards, err := admin.ListShards(t.Context(), connect.NewRequest(&v1.ListShardsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(shards.Msg.GetShards()); n != 11 || shards.Msg.GetRoutingVersion() != done.GetTargetRoutingVersion() {
		t.Fatalf("ListShards: %d shards at version %d; want 11 at %d", n, shards.Msg.GetRoutingVersion(), done.GetTargetRoutingVersion())
	}
	refs := make([]*impossibledb.DocumentRef, 0, reshardDocuments)
	for id := range versions {
		refs = append(refs, db.Collection("docs").Doc(id))
	}
	snaps, err := db.GetAll(t.Context(), refs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		if !s.Exists || s.Version != versions[s.Ref.ID] {
			t.Errorf("%s after the resharding: exists %v, version %d; want version %d", s.Ref.Path(), s.Exists, s.Version, versions[s.Ref.ID])
		}
	}

	_, err = admin.StartResharding(t.Context(), connect.NewRequest(&v1.StartReshardingRequest{ShardCount: 11}))
	if connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Fatalf("StartResharding to the shard count it has: err = %v; want FAILED_PRECONDITION", err)
	}
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Message() != "the database already has 11 shards" {
		t.Fatalf("StartResharding to the shard count it has: %v", err)
	}

	// The same operation through the gRPC front door.
	conn, err := grpc.NewClient(grpcTarget, grpc.WithTransportCredentials(insecure.NewCredentials()), grpcBearer(apiKey()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(t.Context(), impossibledb.DatabaseHeader, database), callTimeout)
	defer cancel()
	viaGRPC, err := v1.NewAdminServiceClient(conn).GetResharding(ctx, &v1.GetReshardingRequest{})
	if err != nil {
		t.Fatalf("GetResharding over gRPC: %v", err)
	}
	if got := viaGRPC.GetResharding(); got.GetId() != op.GetId() || got.GetState() != v1.Resharding_STATE_SUCCEEDED || viaGRPC.GetAdvice() == nil {
		t.Fatalf("GetResharding over gRPC: %v", viaGRPC)
	}
}

// waitForResharding polls GetResharding until the operation id is in phase
// DONE, within reshardTimeout.
func waitForResharding(t *testing.T, admin impossibledbv1connect.AdminServiceClient, id string) *v1.Resharding {
	t.Helper()
	deadline := time.Now().Add(reshardTimeout)
	for polls := 0; time.Now().Before(deadline); polls++ {
		ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
		res, err := admin.GetResharding(ctx, connect.NewRequest(&v1.GetReshardingRequest{}))
		cancel()
		if err != nil {
			t.Fatalf("GetResharding (poll %d): %v", polls, err)
		}
		op := res.Msg.GetResharding()
		if op.GetId() != id {
			t.Fatalf("GetResharding answered operation %q; want %q", op.GetId(), id)
		}
		if op.GetPhase() == v1.Resharding_PHASE_DONE {
			return op
		}
		time.Sleep(reshardPollInterval)
	}
	t.Fatalf("resharding %s not done after %v", id, reshardTimeout)
	return nil
}

// listenerState is what one listener of TestListenersSurviveResharding has
// yielded so far.
type listenerState struct {
	snapshots  int
	resets     int
	partial    bool
	documents  map[string]int64 // id -> field "i" of the latest snapshot
	reconnects []string
	err        error
}

// TestListenersSurviveResharding listens to a collection of a fresh
// database over both transports while the database is resharded (8 -> 9
// shards): the server ends every open stream at the cutover with
// OUT_OF_RANGE ("resharded while this stream was open"), and each listener
// must listen again without a token, on its own, and go on: no error is
// yielded, one snapshot is flagged Reset, and the result ends equal to the
// collection, with a write made during the resharding and one after it.
func TestListenersSurviveResharding(t *testing.T) {
	baseURL, grpcTarget := endpoints(t)
	database := fmt.Sprintf("go-%d-rsl", time.Now().UnixNano())
	catalog := impossibledbv1connect.NewAdminServiceClient(http.DefaultClient, baseURL, bearer(apiKey()))
	if _, err := catalog.CreateDatabase(t.Context(), connect.NewRequest(&v1.CreateDatabaseRequest{DatabaseId: database})); err != nil {
		t.Fatalf("CreateDatabase: %v", err)
	}
	t.Cleanup(func() {
		_, _ = catalog.DeleteDatabase(context.Background(), connect.NewRequest(&v1.DeleteDatabaseRequest{Name: "databases/" + database}))
	})
	clients := map[string]*impossibledb.Client{}
	for transport, options := range map[string][]impossibledb.Option{
		"connect-go": nil,
		"grpc-go":    {impossibledb.WithGRPC(grpcTarget)},
	} {
		db, err := impossibledb.NewClient(baseURL, append(options, impossibledb.WithDatabase(database), impossibledb.WithCallTimeout(callTimeout), withKey())...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		clients[transport] = db
	}
	db := clients["connect-go"]
	docs := db.Collection("docs")
	const seeded = 20
	batch := db.Batch()
	for i := range seeded {
		batch.Set(docs.Doc(fmt.Sprintf("d%02d", i)), map[string]any{"i": i})
	}
	if _, err := batch.CommitAtomic(t.Context()); err != nil {
		t.Fatalf("seeding: %v", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), reshardTimeout+time.Minute)
	defer cancel()
	var mu sync.Mutex
	states := map[string]*listenerState{}
	var wg sync.WaitGroup
	for transport, client := range clients {
		state := &listenerState{}
		states[transport] = state
		wg.Add(1)
		go func() {
			defer wg.Done()
			onReconnect := func(err error, _ time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				state.reconnects = append(state.reconnects, impossibledb.Code(err).String())
			}
			for snap, err := range client.Collection("docs").Listen(ctx, impossibledb.ListenOptions{OnReconnect: onReconnect}) {
				mu.Lock()
				if err != nil {
					state.err = err
					mu.Unlock()
					return
				}
				state.snapshots++
				if snap.Reset {
					state.resets++
				}
				state.partial = state.partial || snap.Partial
				state.documents = map[string]int64{}
				for _, d := range snap.Documents {
					state.documents[d.Ref.ID], _ = d.Data()["i"].(int64)
				}
				mu.Unlock()
			}
		}()
	}
	// waitFor polls the listeners until ok holds for both, or one failed.
	waitFor := func(what string, ok func(s *listenerState) bool) {
		t.Helper()
		for ctx.Err() == nil {
			mu.Lock()
			done := true
			for transport, s := range states {
				if s.err != nil {
					mu.Unlock()
					t.Fatalf("%s listener, waiting for %s: %v (reconnects %v)", transport, what, s.err, s.reconnects)
				}
				done = done && ok(s)
			}
			mu.Unlock()
			if done {
				return
			}
			time.Sleep(reshardPollInterval)
		}
		t.Fatalf("listeners never saw %s: %+v", what, states)
	}
	waitFor("the seeded documents", func(s *listenerState) bool { return len(s.documents) == seeded })

	admin := impossibledbv1connect.NewAdminServiceClient(http.DefaultClient, baseURL, bearer(apiKey()), inDatabase(database))
	started, err := admin.StartResharding(t.Context(), connect.NewRequest(&v1.StartReshardingRequest{ShardCount: 9}))
	if err != nil {
		t.Fatalf("StartResharding: %v", err)
	}
	if _, err := docs.Doc("d00").Set(t.Context(), map[string]any{"i": 100}); err != nil {
		t.Fatalf("a write during the resharding: %v", err)
	}
	if done := waitForResharding(t, admin, started.Msg.GetResharding().GetId()); done.GetState() != v1.Resharding_STATE_SUCCEEDED {
		t.Fatalf("resharding ended %v; errors %v", done.GetState(), done.GetErrors())
	}
	if _, err := docs.Doc("d99").Set(t.Context(), map[string]any{"i": 99}); err != nil {
		t.Fatalf("a write after the resharding: %v", err)
	}
	waitFor("both writes, after a reset", func(s *listenerState) bool {
		return s.resets >= 1 && len(s.documents) == seeded+1 && s.documents["d00"] == 100 && s.documents["d99"] == 99
	})
	cancel()
	wg.Wait()
	for transport, s := range states {
		if s.partial || !slices.Contains(s.reconnects, "out_of_range") {
			t.Errorf("%s listener: partial %v, reconnects %v; want not partial, and a start over after out_of_range", transport, s.partial, s.reconnects)
		}
	}
}
