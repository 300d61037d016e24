package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
