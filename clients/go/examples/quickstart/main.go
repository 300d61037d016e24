// Quickstart stores a document over Connect and reads it back over gRPC.
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
	"net/http"
	"os"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
	"github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1/impossibledbv1connect"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ref := &v1.DocumentRef{Collection: "users", Id: "user123"}

	// Connect (HTTP/1.1, binary Protobuf), straight to the Worker.
	collections := impossibledbv1connect.NewCollectionServiceClient(http.DefaultClient, envOr("IMPOSSIBLEDB_URL", "http://127.0.0.1:8787"))
	alice, err := structpb.NewStruct(map[string]any{"name": "Alice", "email": "alice@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	set, err := collections.SetDocument(ctx, connect.NewRequest(&v1.SetDocumentRequest{Ref: ref, Data: alice}))
	if err != nil {
		log.Fatalf("SetDocument: %v", err)
	}
	fmt.Printf("stored users/user123 at version %d over Connect\n", set.Msg.GetDocument().GetVersion())

	// gRPC (HTTP/2 without TLS), through the front door.
	conn, err := grpc.NewClient(envOr("IMPOSSIBLEDB_GRPC_TARGET", "127.0.0.1:8788"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	got, err := v1.NewCollectionServiceClient(conn).GetDocument(ctx, &v1.GetDocumentRequest{Ref: ref})
	if err != nil {
		log.Fatalf("GetDocument: %v", err)
	}
	fmt.Printf("read %s back over gRPC\n", got.GetDocument().GetData().GetFields()["name"].GetStringValue())
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
