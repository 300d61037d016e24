package impossibledb

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1/impossibledbv1connect"
)

// TestAPIKeyIsSentOnEveryTransport checks that WithAPIKey reaches the server
// as `authorization: Bearer <key>` over Connect and over gRPC.
func TestAPIKeyIsSentOnEveryTransport(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	mux := http.NewServeMux()
	mux.Handle(impossibledbv1connect.NewCollectionServiceHandler(newFakeDB()))
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	server.Config.Protocols = new(http.Protocols)
	server.Config.Protocols.SetHTTP1(true)
	server.Config.Protocols.SetUnencryptedHTTP2(true)
	server.Start()
	t.Cleanup(server.Close)

	overConnect, err := NewClient(server.URL, WithAPIKey("idb_k"))
	if err != nil {
		t.Fatal(err)
	}
	overGRPC, err := NewClient("", WithGRPC(strings.TrimPrefix(server.URL, "http://")), WithAPIKey("idb_k"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = overGRPC.Close() })
	without, err := NewClient(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*Client{overConnect, overGRPC, without} {
		_, _ = db.Collection("users").Doc("alice").Get(t.Context())
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"Bearer idb_k", "Bearer idb_k", ""}
	if len(seen) != len(want) {
		t.Fatalf("saw %d requests (%q), want %d", len(seen), seen, len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("request %d: authorization %q, want %q", i, seen[i], want[i])
		}
	}
}
