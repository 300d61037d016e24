package impossibledb

import (
	"errors"
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

// An API key a header cannot carry was taken: net/http then failed every
// call with it, and gRPC metadata sent it altered. NewClient refuses it, as
// it refuses a bad database id, without showing the key.
func TestAPIKeyWithCharactersAHeaderCannotCarryIsRefusedAtNewClient(t *testing.T) {
	for _, c := range []struct{ key, why string }{
		{"s3cr\n", "a newline at byte 4"},
		{"s3cr\r\nX-Evil: 1", "a carriage return at byte 4"},
		{"s3c r", "a space at byte 3"},
		{"s3cr\tk", "a tab at byte 4"},
		{"s3crk\x00", "the control character 0x00 at byte 5"},
		{"s3cré", "a non-ASCII character at byte 4"},
	} {
		for _, transport := range [][]Option{nil, {WithGRPC("127.0.0.1:1")}} {
			url := "http://127.0.0.1:1"
			if transport != nil {
				url = ""
			}
			client, err := NewClient(url, append(transport, WithAPIKey(c.key))...)
			if err == nil {
				client.Close()
				t.Fatalf("NewClient took the API key %q", c.key)
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("key %q: %v does not match ErrInvalidArgument", c.key, err)
			}
			if !strings.Contains(err.Error(), "the API key holds "+c.why) {
				t.Errorf("key %q: %v does not say %q", c.key, err, c.why)
			}
			if strings.Contains(err.Error(), "s3c") {
				t.Errorf("key %q: the error shows the key: %v", c.key, err)
			}
		}
	}
	client, err := NewClient("http://127.0.0.1:1", WithAPIKey("idb_AZaz09-._~+/="))
	if err != nil {
		t.Fatalf("a key of visible ASCII was refused: %v", err)
	}
	client.Close()
}
