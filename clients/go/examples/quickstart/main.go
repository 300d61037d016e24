// Quickstart stores a document over Connect and reads it back over gRPC,
// with the Go client (package impossibledb; clients/go/README.md has more).
//
//	cd clients/go && go run ./examples/quickstart
//
// IMPOSSIBLEDB_URL (default http://127.0.0.1:8787) is the Worker;
// IMPOSSIBLEDB_GRPC_TARGET (default 127.0.0.1:8788) is the gRPC front door.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Connect (HTTP/1.1, binary Protobuf), straight to the Worker.
	// IMPOSSIBLEDB_API_KEY: a server with auth required needs a key; an
	// empty one (auth off, as under npm start) sends nothing.
	key := impossibledb.WithAPIKey(os.Getenv("IMPOSSIBLEDB_API_KEY"))
	db, err := impossibledb.NewClient(envOr("IMPOSSIBLEDB_URL", "http://127.0.0.1:8787"), key)
	if err != nil {
		log.Fatal(err)
	}
	set, err := db.Collection("users").Doc("user123").Set(ctx, map[string]any{"name": "Alice", "email": "alice@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("stored users/user123 at version %d over Connect\n", set.Version)

	// gRPC (HTTP/2 without TLS), through the front door.
	overGRPC, err := impossibledb.NewClient("", impossibledb.WithGRPC(envOr("IMPOSSIBLEDB_GRPC_TARGET", "127.0.0.1:8788")), key)
	if err != nil {
		log.Fatal(err)
	}
	defer overGRPC.Close()
	got, err := overGRPC.Collection("users").Doc("user123").Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("read %s back over gRPC\n", got.Data()["name"])
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
