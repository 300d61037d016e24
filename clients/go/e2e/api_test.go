package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
	"github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1/impossibledbv1connect"
	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// The suite runs every scenario twice, through each way a Go program talks
// to ImpossibleDB: connect-go (Connect protocol over HTTP/1.1) straight to
// the Worker, and grpc-go (gRPC over h2c) through the gRPC front door. Most
// scenarios use the Go client (package impossibledb, via forEachClient); a
// few call the generated stubs directly (via forEachAPI and the api type),
// so the raw contract stays honest too.
const (
	urlEnv        = "IMPOSSIBLEDB_URL"
	grpcTargetEnv = "IMPOSSIBLEDB_GRPC_TARGET"
	// apiKeyEnv is the API key the end-to-end harness makes for this suite
	// (its server requires auth); every client here sends it. Empty against
	// a server with auth off (npm start).
	apiKeyEnv = "IMPOSSIBLEDB_API_KEY"
	// authEnv is "required" when the server requires auth: the
	// UNAUTHENTICATED cases (auth_test.go) run only then.
	authEnv = "IMPOSSIBLEDB_AUTH"
	// callTimeout bounds every RPC, so a stuck server fails the test instead
	// of hanging it.
	callTimeout = 30 * time.Second
)

// unary is one RPC as a plain function: both transports are adapted to it so
// that a scenario is written once.
type unary[Req, Res any] func(context.Context, *Req) (*Res, error)

// api is the part of the v1 contract the scenarios call, and how to read a
// status code out of the transport's errors.
type api struct {
	name                string
	getDocument         unary[v1.GetDocumentRequest, v1.GetDocumentResponse]
	batchGetDocuments   unary[v1.BatchGetDocumentsRequest, v1.BatchGetDocumentsResponse]
	listDocuments       unary[v1.ListDocumentsRequest, v1.ListDocumentsResponse]
	createDocument      unary[v1.CreateDocumentRequest, v1.CreateDocumentResponse]
	setDocument         unary[v1.SetDocumentRequest, v1.SetDocumentResponse]
	updateDocument      unary[v1.UpdateDocumentRequest, v1.UpdateDocumentResponse]
	deleteDocument      unary[v1.DeleteDocumentRequest, v1.DeleteDocumentResponse]
	batchWriteDocuments unary[v1.BatchWriteDocumentsRequest, v1.BatchWriteDocumentsResponse]
	runQuery            unary[v1.RunQueryRequest, v1.RunQueryResponse]
	beginTransaction    unary[v1.BeginTransactionRequest, v1.BeginTransactionResponse]
	getDocuments        unary[v1.GetDocumentsRequest, v1.GetDocumentsResponse]
	commit              unary[v1.CommitRequest, v1.CommitResponse]
	// code is the status code of an error returned by a call (Connect and
	// gRPC number their codes alike), or connect.Code(0) for nil.
	code func(error) connect.Code
}

func fromConnect[Req, Res any](call func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) unary[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) {
		res, err := call(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		return res.Msg, nil
	}
}

func fromGRPC[Req, Res any](call func(context.Context, *Req, ...grpc.CallOption) (*Res, error)) unary[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) {
		return call(ctx, req)
	}
}

// apiKey is the suite's API key (apiKeyEnv), "" when none.
func apiKey() string { return os.Getenv(apiKeyEnv) }

// withKey is the Go client's option that sends the suite's key.
func withKey() impossibledb.Option { return impossibledb.WithAPIKey(apiKey()) }

// bearer sends `authorization: Bearer <key>` on raw connect-go calls; an
// empty key sends nothing.
func bearer(key string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if key != "" {
				req.Header().Set("Authorization", "Bearer "+key)
			}
			return next(ctx, req)
		}
	}))
}

// grpcBearer sends the same on raw grpc-go calls.
func grpcBearer(key string) grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if key != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
}

// connectAPI speaks the Connect protocol (binary Protobuf) over HTTP/1.1,
// sending the suite's key.
func connectAPI(baseURL string) api { return connectAPIWithKey(baseURL, apiKey()) }

// connectAPIWithKey is connectAPI with the key given ("" sends none).
func connectAPIWithKey(baseURL, key string) api {
	httpClient := &http.Client{Timeout: callTimeout}
	collections := impossibledbv1connect.NewCollectionServiceClient(httpClient, baseURL, bearer(key))
	queries := impossibledbv1connect.NewQueryServiceClient(httpClient, baseURL, bearer(key))
	transactions := impossibledbv1connect.NewTransactionServiceClient(httpClient, baseURL, bearer(key))
	return api{
		name:                "connect-go",
		getDocument:         fromConnect(collections.GetDocument),
		batchGetDocuments:   fromConnect(collections.BatchGetDocuments),
		listDocuments:       fromConnect(collections.ListDocuments),
		createDocument:      fromConnect(collections.CreateDocument),
		setDocument:         fromConnect(collections.SetDocument),
		updateDocument:      fromConnect(collections.UpdateDocument),
		deleteDocument:      fromConnect(collections.DeleteDocument),
		batchWriteDocuments: fromConnect(collections.BatchWriteDocuments),
		runQuery:            fromConnect(queries.RunQuery),
		beginTransaction:    fromConnect(transactions.BeginTransaction),
		getDocuments:        fromConnect(transactions.GetDocuments),
		commit:              fromConnect(transactions.Commit),
		code:                connect.CodeOf,
	}
}

// grpcAPI speaks gRPC over cleartext HTTP/2 to the front door, sending the
// suite's key.
func grpcAPI(t *testing.T, target string) api { return grpcAPIWithKey(t, target, apiKey()) }

// grpcAPIWithKey is grpcAPI with the key given ("" sends none).
func grpcAPIWithKey(t *testing.T, target, key string) api {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpcBearer(key))
	if err != nil {
		t.Fatalf("grpc.NewClient(%q): %v", target, err)
	}
	t.Cleanup(func() { conn.Close() })
	collections := v1.NewCollectionServiceClient(conn)
	queries := v1.NewQueryServiceClient(conn)
	transactions := v1.NewTransactionServiceClient(conn)
	return api{
		name:                "grpc-go",
		getDocument:         fromGRPC(collections.GetDocument),
		batchGetDocuments:   fromGRPC(collections.BatchGetDocuments),
		listDocuments:       fromGRPC(collections.ListDocuments),
		createDocument:      fromGRPC(collections.CreateDocument),
		setDocument:         fromGRPC(collections.SetDocument),
		updateDocument:      fromGRPC(collections.UpdateDocument),
		deleteDocument:      fromGRPC(collections.DeleteDocument),
		batchWriteDocuments: fromGRPC(collections.BatchWriteDocuments),
		runQuery:            fromGRPC(queries.RunQuery),
		beginTransaction:    fromGRPC(transactions.BeginTransaction),
		getDocuments:        fromGRPC(transactions.GetDocuments),
		commit:              fromGRPC(transactions.Commit),
		code:                func(err error) connect.Code { return connect.Code(status.Code(err)) },
	}
}

// endpoints reads where the server is. The suite never skips: without a
// server to talk to it fails and says how to provide one.
func endpoints(t *testing.T) (baseURL, grpcTarget string) {
	t.Helper()
	baseURL = strings.TrimRight(os.Getenv(urlEnv), "/")
	grpcTarget = os.Getenv(grpcTargetEnv)
	if baseURL == "" || grpcTarget == "" {
		t.Fatalf("%s (the Worker's Connect base URL, e.g. http://127.0.0.1:8787) and %s (the gRPC front door's host:port, e.g. 127.0.0.1:8788) must both be set; start the server with `npm start` or run the suite through scripts/test-go.sh from the end-to-end harness", urlEnv, grpcTargetEnv)
	}
	return baseURL, grpcTarget
}

// forEachAPI runs a scenario once per transport, as subtests.
func forEachAPI(t *testing.T, scenario func(t *testing.T, db api)) {
	baseURL, grpcTarget := endpoints(t)
	t.Run("connect-go", func(t *testing.T) { scenario(t, connectAPI(baseURL)) })
	t.Run("grpc-go", func(t *testing.T) { scenario(t, grpcAPI(t, grpcTarget)) })
}

// ctx bounds one call.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c
}

// uniqueCollection names a collection no earlier run used, so runs against a
// long-lived database do not see each other's documents.
func uniqueCollection(t *testing.T, db api, purpose string) string {
	return uniqueName(t, db.name, purpose)
}

func uniqueName(t *testing.T, transport, purpose string) string {
	name := fmt.Sprintf("go_%s_%s_%d", strings.ReplaceAll(transport, "-", "_"), purpose, time.Now().UnixNano())
	t.Logf("collection %s", name)
	return name
}

// forEachClient runs a scenario once per transport of the Go client
// (package impossibledb), as subtests named like forEachAPI's.
func forEachClient(t *testing.T, scenario func(t *testing.T, db *impossibledb.Client, transport string)) {
	baseURL, grpcTarget := endpoints(t)
	t.Run("connect-go", func(t *testing.T) {
		db, err := impossibledb.NewClient(baseURL, impossibledb.WithCallTimeout(callTimeout), withKey())
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		scenario(t, db, "connect-go")
	})
	t.Run("grpc-go", func(t *testing.T) {
		db, err := impossibledb.NewClient("", impossibledb.WithGRPC(grpcTarget), impossibledb.WithCallTimeout(callTimeout), withKey())
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		scenario(t, db, "grpc-go")
	})
}
