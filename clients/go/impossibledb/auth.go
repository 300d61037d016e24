package impossibledb

import (
	"context"
	"fmt"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// WithAPIKey sends key (an API key, idb_..., or a JWT) as
// `authorization: Bearer <key>` with every call, over Connect and gRPC.
// Servers with auth required answer CodeUnauthenticated without it; see the
// server's docs/security.md. An empty key sends nothing. NewClient refuses
// a key with a character a header cannot carry as it is (anything but
// visible ASCII: a newline, a space, a non-ASCII letter), as it refuses a
// bad database id: net/http would fail every call with it, and gRPC
// metadata would send it altered.
func WithAPIKey(key string) Option {
	return func(cfg *config) { cfg.apiKey = key }
}

// checkAPIKey validates a WithAPIKey key. The error names the first
// character that cannot go in the header by its offset and kind, never the
// key itself: a key is a secret, and errors end up in logs.
func checkAPIKey(key string) error {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("the API key holds %s at byte %d, which an authorization header cannot carry: an API key (idb_...) or a JWT is visible ASCII only (was a newline or a space copied with it?)", headerCharName(c), i)
		}
	}
	return nil
}

// headerCharName says what byte c is, for checkAPIKey's error.
func headerCharName(c byte) string {
	switch {
	case c == '\n':
		return "a newline"
	case c == '\r':
		return "a carriage return"
	case c == ' ':
		return "a space"
	case c == '\t':
		return "a tab"
	case c >= 0x80:
		return "a non-ASCII character"
	default:
		return fmt.Sprintf("the control character 0x%02x", c)
	}
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
