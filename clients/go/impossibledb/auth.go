package impossibledb

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// WithAPIKey sends key (an API key, idb_..., or a JWT) as
// `authorization: Bearer <key>` with every call, over Connect and gRPC.
// Servers with auth required answer CodeUnauthenticated without it; see the
// server's docs/security.md. An empty key sends nothing.
func WithAPIKey(key string) Option {
	return func(cfg *config) { cfg.apiKey = key }
}

// bearerHTTPClient adds the authorization header to every Connect request
// that does not carry one already.
type bearerHTTPClient struct {
	inner connect.HTTPClient
	value string
}

func (c bearerHTTPClient) Do(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", c.value)
	}
	return c.inner.Do(req)
}

// bearerConn adds the authorization metadata to every gRPC call.
type bearerConn struct {
	inner grpc.ClientConnInterface
	value string
}

func (c bearerConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return c.inner.Invoke(metadata.AppendToOutgoingContext(ctx, "authorization", c.value), method, args, reply, opts...)
}

func (c bearerConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.inner.NewStream(metadata.AppendToOutgoingContext(ctx, "authorization", c.value), desc, method, opts...)
}
