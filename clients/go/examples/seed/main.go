// Seed runs the seed document's example with the Go client: store a user,
// read it back, run a query and a transaction.
//
//	cd clients/go && go run ./examples/seed
//
// IMPOSSIBLEDB_URL (default http://127.0.0.1:8787) is the Worker.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// User is a document of the users collection; fields map by their json tags.
// Go's own types are stored as typed values: Joined (a time.Time) as a
// timestamp to the microsecond, Logins (an int64) as an exact integer.
type User struct {
	Name   string    `json:"name"`
	Email  string    `json:"email"`
	Joined time.Time `json:"joined"`
	Logins int64     `json:"logins"`
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A server with auth required needs a key; an empty one sends nothing.
	db, err := impossibledb.NewClient(envOr("IMPOSSIBLEDB_URL", "http://127.0.0.1:8787"), impossibledb.WithAPIKey(os.Getenv("IMPOSSIBLEDB_API_KEY")))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	users := db.Collection("users")

	// Store a document, and read it back into a struct.
	joined := time.Date(2026, 11, 30, 9, 30, 0, 123_456_000, time.UTC)
	alice := User{Name: "Alice", Email: "alice@example.com", Joined: joined, Logins: 1 << 60}
	if _, err := users.Doc("user123").Set(ctx, alice); err != nil {
		log.Fatal(err)
	}
	snap, err := users.Doc("user123").Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var read User
	if err := snap.DataTo(&read); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("users/user123 is %s <%s>, joined %s, %d logins, at version %d\n", read.Name, read.Email, read.Joined.Format(time.RFC3339Nano), read.Logins, snap.Version)
	// Data gives the same values in their Go types: time.Time, int64...
	if data := snap.Data(); !data["joined"].(time.Time).Equal(joined) || data["logins"] != int64(1<<60) {
		log.Fatalf("read back %v", data)
	}

	// Query: active users over 21, by last name, the third page of ten.
	query := users.Query().
		Where("age", ">", 21).
		Where("status", "==", "active").
		OrderBy("lastName", impossibledb.Asc).
		Limit(10).
		Offset(20)
	for doc, err := range query.Documents(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("matched", doc.Ref.ID)
	}

	// Transaction: read a user, write an order, delete a cart, all or
	// nothing; run again if something it read changed before it committed.
	err = db.RunTransaction(ctx, func(tx *impossibledb.Transaction) error {
		if _, err := tx.Get(ctx, users.Doc("user123")); err != nil {
			return err
		}
		if err := tx.Set(db.Collection("orders").Doc("order456"), map[string]any{"product": "Widget", "quantity": 5}); err != nil {
			return err
		}
		return tx.Delete(db.Collection("carts").Doc("cart789"))
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("committed orders/order456 and deleted carts/cart789")
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
