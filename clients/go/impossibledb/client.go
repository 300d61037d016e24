// Package impossibledb is the idiomatic Go client of ImpossibleDB: documents
// as Go maps or structs (time.Time, integer types, []byte, GeoPoint and
// *DocumentRef stored as typed values; see values.go), queries with iterators, transactions that retry
// when they conflict, over Connect (connect-go, straight to the Worker) or
// gRPC (grpc-go, through the front door). It is written over the generated
// stubs in ../gen, which stay available for anything it does not cover.
//
//	db, err := impossibledb.NewClient("http://127.0.0.1:8787")
//	_, err = db.Collection("users").Doc("user123").Set(ctx, map[string]any{"name": "Alice"})
//
// See clients/go/README.md for the guide.
package impossibledb

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Client talks to one ImpossibleDB. It is safe for concurrent use; make one
// and share it. Close it when done (it closes a gRPC connection it opened).
type Client struct {
	rpc   rpcs
	retry RetryPolicy
	// listenRetry is retry with a listener's ceiling: ListenBackoffMaxDefault
	// when the caller's RetryPolicy left MaxBackoff zero.
	listenRetry RetryPolicy
	closers     []func() error
}

// Option configures NewClient.
type Option func(*config)

type config struct {
	httpClient     connect.HTTPClient
	connectOptions []connect.ClientOption
	grpcTarget     string
	grpcDial       []grpc.DialOption
	grpcConn       grpc.ClientConnInterface
	retry          RetryPolicy
	callTimeout    time.Duration
	apiKey         string
	database       *string
}

// WithHTTPClient sets the HTTP client of the Connect transport;
// http.DefaultClient when unset. Its own Timeout, if any, applies to each
// attempt on top of the call's deadline.
func WithHTTPClient(c connect.HTTPClient) Option {
	return func(cfg *config) { cfg.httpClient = c }
}

// WithConnectOptions passes options to the connect-go clients, such as
// connect.WithGRPCWeb() or connect.WithSendGzip().
func WithConnectOptions(opts ...connect.ClientOption) Option {
	return func(cfg *config) { cfg.connectOptions = append(cfg.connectOptions, opts...) }
}

// WithGRPC makes the client speak gRPC (grpc-go) to target, the host:port of
// a gRPC front door, instead of Connect to the URL. Without dial options the
// connection is cleartext HTTP/2 (h2c), as the local front door serves;
// pass grpc.WithTransportCredentials for TLS.
func WithGRPC(target string, dial ...grpc.DialOption) Option {
	return func(cfg *config) { cfg.grpcTarget, cfg.grpcDial = target, dial }
}

// WithGRPCConn makes the client speak gRPC over a connection the caller
// made and keeps (Close does not close it).
func WithGRPCConn(conn grpc.ClientConnInterface) Option {
	return func(cfg *config) { cfg.grpcConn = conn }
}

// WithRetry sets how idempotent calls are retried and the backoff between
// runs of RunTransaction; zero fields keep their defaults. Pass
// RetryPolicy{AttemptsMax: 1} to turn retries off.
func WithRetry(p RetryPolicy) Option {
	return func(cfg *config) { cfg.retry = p }
}

// WithCallTimeout sets the deadline of each call (all its attempts) when the
// caller's context has none; CallTimeoutDefault when unset. Zero or less
// leaves calls without a deadline of the client's.
func WithCallTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.callTimeout = d }
}

// NewClient returns a client of the ImpossibleDB at url, the Worker's base
// URL such as http://127.0.0.1:8787, spoken to over Connect. With WithGRPC
// or WithGRPCConn it speaks gRPC instead and url is not used (pass "").
// It fails only on a bad URL or option, with an error that matches
// ErrInvalidArgument; it does not contact the server.
func NewClient(url string, options ...Option) (*Client, error) {
	cfg := config{httpClient: http.DefaultClient, callTimeout: CallTimeoutDefault}
	for _, o := range options {
		o(&cfg)
	}
	policy, err := cfg.retry.withDefaults()
	if err != nil {
		return nil, optionError(err)
	}
	listenPolicy := cfg.retry
	if listenPolicy.MaxBackoff == 0 {
		listenPolicy.MaxBackoff = max(ListenBackoffMaxDefault, listenPolicy.InitialBackoff)
	}
	listenPolicy, err = listenPolicy.withDefaults()
	if err != nil {
		return nil, optionError(err)
	}
	c := &Client{retry: policy, listenRetry: listenPolicy}
	// withDatabase wraps a gRPC connection so that its calls name the database.
	withDatabase := func(conn grpc.ClientConnInterface) grpc.ClientConnInterface { return conn }
	if cfg.database != nil {
		if err := checkDatabase(*cfg.database); err != nil {
			return nil, optionError(err)
		}
		database := *cfg.database
		withDatabase = func(conn grpc.ClientConnInterface) grpc.ClientConnInterface { return databaseConn{conn, database} }
		cfg.connectOptions = append(cfg.connectOptions, connect.WithInterceptors(databaseInterceptor(database)))
	}
	var raw rpcs
	// withKey wraps a gRPC connection so every call carries the API key.
	withKey := func(conn grpc.ClientConnInterface) grpc.ClientConnInterface {
		if cfg.apiKey == "" {
			return conn
		}
		return bearerConn{inner: conn, value: "Bearer " + cfg.apiKey}
	}
	if err := checkAPIKey(cfg.apiKey); err != nil {
		return nil, optionError(err)
	}
	if cfg.apiKey != "" {
		cfg.httpClient = bearerHTTPClient{inner: cfg.httpClient, value: "Bearer " + cfg.apiKey}
	}
	switch {
	case cfg.grpcConn != nil:
		raw = grpcRPCs(withKey(withDatabase(cfg.grpcConn)))
	case cfg.grpcTarget != "":
		dial := cfg.grpcDial
		if len(dial) == 0 {
			dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		}
		conn, err := grpc.NewClient(cfg.grpcTarget, dial...)
		if err != nil {
			return nil, optionError(fmt.Errorf("gRPC target %q: %w", cfg.grpcTarget, err))
		}
		c.closers = append(c.closers, conn.Close)
		raw = grpcRPCs(withKey(withDatabase(conn)))
	default:
		if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			return nil, optionError(fmt.Errorf("the URL must start with http:// or https://, got %q (for gRPC use WithGRPC)", url))
		}
		raw = connectRPCs(cfg.httpClient, strings.TrimRight(url, "/"), cfg.connectOptions...)
	}
	c.rpc = raw.wrap(cfg.callTimeout, policy)
	return c, nil
}

// optionError is NewClient's refusal of a URL or an option: an *Error with
// INVALID_ARGUMENT, which matches ErrInvalidArgument as every argument the
// client refuses does.
func optionError(err error) error {
	return &Error{Op: "NewClient", Cause: connect.NewError(connect.CodeInvalidArgument, err)}
}

// Close releases what the client opened (a gRPC connection). Calls after
// Close fail.
func (c *Client) Close() error {
	var errs []error
	for _, closeFn := range c.closers {
		errs = append(errs, closeFn())
	}
	c.closers = nil
	return errors.Join(errs...)
}

// Collection returns a reference to a collection; nothing is sent. Names
// are 1 to 128 letters, digits, '_' or '-', starting with a letter or '_';
// the server refuses others with INVALID_ARGUMENT.
func (c *Client) Collection(name string) *CollectionRef {
	return &CollectionRef{client: c, name: name}
}
