package e2e

import (
	"os"
	"testing"

	"connectrpc.com/connect"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// wrongKey has an API key's shape but was never issued.
const wrongKey = "idb_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro"

// requireAuth skips unless the server requires auth (the end-to-end harness
// runs this suite against such a server and sets authEnv; against npm start,
// with auth off, every call is allowed and there is nothing to refuse).
func requireAuth(t *testing.T) {
	t.Helper()
	if os.Getenv(authEnv) != "required" {
		t.Skipf("%s is not \"required\": the server does not require auth", authEnv)
	}
	if apiKey() == "" {
		t.Fatalf("%s=required but %s is empty: the harness gives this suite a key", authEnv, apiKeyEnv)
	}
}

// TestMissingOrWrongKeyIsUnauthenticated: without a key, or with a key the
// server never issued, every way of calling is refused with UNAUTHENTICATED,
// while the suite's own key is let in.
func TestMissingOrWrongKeyIsUnauthenticated(t *testing.T) {
	requireAuth(t)
	baseURL, grpcTarget := endpoints(t)
	for name, key := range map[string]string{"no key": "", "wrong key": wrongKey} {
		t.Run(name, func(t *testing.T) {
			for _, db := range []api{connectAPIWithKey(baseURL, key), grpcAPIWithKey(t, grpcTarget, key)} {
				_, err := db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: &v1.DocumentRef{Collection: "auth", Id: "x"}})
				if got := db.code(err); got != connect.CodeUnauthenticated {
					t.Errorf("%s GetDocument: code %v (%v); want unauthenticated", db.name, got, err)
				}
				_, err = db.setDocument(ctx(t), &v1.SetDocumentRequest{Ref: &v1.DocumentRef{Collection: "auth", Id: "x"}})
				if got := db.code(err); got != connect.CodeUnauthenticated {
					t.Errorf("%s SetDocument: code %v (%v); want unauthenticated", db.name, got, err)
				}
			}
			for transport, options := range map[string][]impossibledb.Option{
				"connect-go": {impossibledb.WithAPIKey(key)},
				"grpc-go":    {impossibledb.WithGRPC(grpcTarget), impossibledb.WithAPIKey(key)},
			} {
				url := baseURL
				if transport == "grpc-go" {
					url = ""
				}
				client, err := impossibledb.NewClient(url, append(options, impossibledb.WithCallTimeout(callTimeout))...)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = client.Close() })
				_, err = client.Collection("auth").Doc("x").Get(ctx(t))
				if got := impossibledb.Code(err); got != connect.CodeUnauthenticated {
					t.Errorf("client over %s: code %v (%v); want unauthenticated", transport, got, err)
				}
			}
		})
	}
	// The suite's own key gets in (NOT_FOUND: the document does not exist).
	for _, db := range []api{connectAPI(baseURL), grpcAPI(t, grpcTarget)} {
		_, err := db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: &v1.DocumentRef{Collection: uniqueCollection(t, db, "auth"), Id: "x"}})
		if got := db.code(err); got != connect.CodeNotFound {
			t.Errorf("%s with the suite's key: code %v (%v); want not found", db.name, got, err)
		}
	}
}
