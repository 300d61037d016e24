package impossibledb

import (
	"context"
	"fmt"
	"regexp"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// DatabaseHeader is the request header (gRPC metadata key) that names the
// database a call addresses. Without it the server uses its database
// "default".
const DatabaseHeader = "impossibledb-database"

// databaseIDPattern is the server's grammar of database ids: 1 to 63
// characters, a lowercase letter, then lowercase letters, digits or '-'.
var databaseIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// WithDatabase makes every call of the client address database id: it is
// sent as the impossibledb-database header (gRPC metadata over gRPC).
// Unset, calls use the server's database "default". NewClient refuses an id
// that does not follow the server's grammar. Create a database with
// AdminService.CreateDatabase (the generated stubs in ../gen).
func WithDatabase(id string) Option {
	return func(cfg *config) { cfg.database = &id }
}

// checkDatabase validates a WithDatabase id.
func checkDatabase(id string) error {
	if !databaseIDPattern.MatchString(id) {
		return fmt.Errorf("database %q is not a database id: 1 to 63 characters, a lowercase letter, then lowercase letters, digits or '-'", id)
	}
	return nil
}

// databaseInterceptor sets the database header on every Connect call,
// unary and streaming (Listen) alike.
type databaseInterceptor string

func (id databaseInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set(DatabaseHeader, string(id))
		return next(ctx, req)
	}
}

func (id databaseInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set(DatabaseHeader, string(id))
		return conn
	}
}

func (id databaseInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// databaseConn adds the database to the outgoing metadata of every gRPC call
// made over the connection it wraps.
type databaseConn struct {
	grpc.ClientConnInterface
	database string
}

func (c databaseConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return c.ClientConnInterface.Invoke(metadata.AppendToOutgoingContext(ctx, DatabaseHeader, c.database), method, args, reply, opts...)
}

func (c databaseConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.ClientConnInterface.NewStream(metadata.AppendToOutgoingContext(ctx, DatabaseHeader, c.database), desc, method, opts...)
}
