package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
	"github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1/impossibledbv1connect"
	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// TestDatabasesAreIsolated creates a second (and third) database, writes the
// same collection and document id in each, over both transports, and shows
// that each client sees only its own database's document; deleting one
// database makes its requests NOT_FOUND and leaves the others alone.
func TestDatabasesAreIsolated(t *testing.T) {
	baseURL, grpcTarget := endpoints(t)
	admin := impossibledbv1connect.NewAdminServiceClient(http.DefaultClient, baseURL, bearer(apiKey()))
	run := time.Now().UnixNano()
	ids := []string{fmt.Sprintf("go-%d-a", run), fmt.Sprintf("go-%d-b", run)}
	for _, id := range ids {
		if _, err := admin.CreateDatabase(t.Context(), connect.NewRequest(&v1.CreateDatabaseRequest{DatabaseId: id})); err != nil {
			t.Fatalf("CreateDatabase %s: %v", id, err)
		}
	}
	t.Cleanup(func() {
		for _, id := range ids {
			_, _ = admin.DeleteDatabase(t.Context(), connect.NewRequest(&v1.DeleteDatabaseRequest{Name: "databases/" + id}))
		}
	})
	clients := map[string][]impossibledb.Option{
		"connect-go": {withKey()},
		"grpc-go":    {impossibledb.WithGRPC(grpcTarget), withKey()},
	}
	for transport, options := range clients {
		t.Run(transport, func(t *testing.T) {
			url := baseURL
			if transport == "grpc-go" {
				url = ""
			}
			byDatabase := map[string]*impossibledb.Client{}
			for _, id := range ids {
				db, err := impossibledb.NewClient(url, append([]impossibledb.Option{impossibledb.WithDatabase(id), impossibledb.WithCallTimeout(callTimeout)}, options...)...)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				byDatabase[id] = db
			}
			doc := "shared-" + transport
			if _, err := byDatabase[ids[0]].Collection("users").Doc(doc).Set(t.Context(), map[string]any{"db": ids[0]}); err != nil {
				t.Fatal(err)
			}
			snap, err := byDatabase[ids[0]].Collection("users").Doc(doc).Get(t.Context())
			if err != nil || snap.Data()["db"] != ids[0] {
				t.Fatalf("read back in %s: %v, %v", ids[0], snap, err)
			}
			if _, err := byDatabase[ids[1]].Collection("users").Doc(doc).Get(t.Context()); !errors.Is(err, impossibledb.ErrNotFound) {
				t.Fatalf("the same document in %s: err = %v; want not found (databases are isolated)", ids[1], err)
			}
		})
	}
	// Deleting the first database deletes its data: its requests are NOT_FOUND now.
	if _, err := admin.DeleteDatabase(t.Context(), connect.NewRequest(&v1.DeleteDatabaseRequest{Name: "databases/" + ids[0]})); err != nil {
		t.Fatal(err)
	}
	gone, err := impossibledb.NewClient(baseURL, impossibledb.WithDatabase(ids[0]), impossibledb.WithCallTimeout(callTimeout), withKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gone.Collection("users").Doc("anything").Set(t.Context(), map[string]any{}); !errors.Is(err, impossibledb.ErrNotFound) {
		t.Fatalf("a write to a deleted database: err = %v; want NOT_FOUND", err)
	}
}
