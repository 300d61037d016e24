package impossibledb

import (
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"
)

// NewClient refuses a bad URL or option as every argument the client
// refuses: an error that matches ErrInvalidArgument and carries
// connect.CodeInvalidArgument.
func TestNewClientRefusesBadOptionsAsInvalidArgument(t *testing.T) {
	cases := map[string]struct {
		url     string
		options []Option
	}{
		"a database id outside the grammar":  {"http://127.0.0.1:1", []Option{WithDatabase("Bad_DB")}},
		"a URL without http(s)":              {"127.0.0.1:8787", nil},
		"RetryPolicy.AttemptsMax below 1":    {"http://127.0.0.1:1", []Option{WithRetry(RetryPolicy{AttemptsMax: -1})}},
		"InitialBackoff above MaxBackoff":    {"http://127.0.0.1:1", []Option{WithRetry(RetryPolicy{InitialBackoff: 2 * time.Second, MaxBackoff: time.Second})}},
		"a gRPC target grpc-go cannot parse": {"", []Option{WithGRPC("%")}},
	}
	for name, c := range cases {
		_, err := NewClient(c.url, c.options...)
		var ce *connect.Error
		if !errors.Is(err, ErrInvalidArgument) || !errors.As(err, &ce) || ce.Code() != connect.CodeInvalidArgument || Code(err) != connect.CodeInvalidArgument {
			t.Errorf("%s: err = %v (code %v); want ErrInvalidArgument", name, err, Code(err))
		}
	}
}
