package impossibledb

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

func TestWithDatabaseSendsTheHeaderOnBothTransports(t *testing.T) {
	for _, name := range []string{"connect", "grpc"} {
		t.Run(name, func(t *testing.T) {
			f := newFakeDB()
			orders := f.serve(t, WithDatabase("orders"))[name]
			plain := f.serve(t)[name]
			if _, err := orders.Collection("users").Doc("alice").Get(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := plain.Collection("users").Doc("alice").Get(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(f.databases, ","); got != "orders," {
				t.Fatalf("database headers seen: %q; want %q", got, "orders,")
			}
		})
	}
}

func TestWithDatabaseRefusesIdsOutsideTheGrammar(t *testing.T) {
	for _, bad := range []string{"", "Orders", "1db", "a_b", strings.Repeat("a", 64)} {
		if _, err := NewClient("http://127.0.0.1:1", WithDatabase(bad)); err == nil || !strings.Contains(err.Error(), "is not a database id") {
			t.Errorf("WithDatabase(%q): err = %v; want a grammar error", bad, err)
		}
	}
	if _, err := NewClient("http://127.0.0.1:1", WithDatabase(strings.Repeat("a", 63))); err != nil {
		t.Errorf("a 63-character id: %v", err)
	}
}

func TestWithDatabaseSendsTheHeaderOnListenStreams(t *testing.T) {
	for _, name := range []string{"connect", "grpc"} {
		t.Run(name, func(t *testing.T) {
			f := newFakeDB()
			f.listens = []listenScript{sendAll(context.Canceled, "", &v1.ListenResponse{Current: true, ResumeToken: "t1"})}
			db := f.serve(t, WithDatabase("orders"))[name]
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			for _, err := range db.Collection("c").Listen(ctx, ListenOptions{}) {
				if err != nil {
					t.Fatal(err)
				}
				break
			}
			if got := strings.Join(f.listenDatabases, ","); got != "orders" {
				t.Fatalf("database headers of Listen: %q; want %q", got, "orders")
			}
		})
	}
}
