package e2e

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"connectrpc.com/connect"

	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// profile is a document as a Go struct, mapped by its json tags.
type profile struct {
	Name    string   `json:"name"`
	Email   string   `json:"email,omitempty"`
	Age     int      `json:"age,omitempty"`
	Active  bool     `json:"active"`
	Tags    []string `json:"tags,omitempty"`
	Address *struct {
		City string `json:"city"`
	} `json:"address,omitempty"`
}

// TestCRUD creates, reads, replaces, patches and deletes one document
// through the Go client, with preconditions, masks and the typed errors a
// user branches on.
func TestCRUD(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		alice := db.Collection(uniqueName(t, transport, "crud")).Doc("alice")
		in := profile{Name: "Alice", Email: "alice@example.com", Age: 30, Active: true, Tags: []string{"admin", "beta"}}
		in.Address = &struct {
			City string `json:"city"`
		}{City: "Lisbon"}

		created, err := alice.Create(ctx(t), in)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if created.Version <= 0 || created.CreateTime.IsZero() || !created.Exists {
			t.Fatalf("Create: version %d, create time %v; want a positive version and a time", created.Version, created.CreateTime)
		}
		_, err = alice.Create(ctx(t), map[string]any{"name": "Mallory"})
		var ce *connect.Error
		if !errors.Is(err, impossibledb.ErrAlreadyExists) || !errors.As(err, &ce) || ce.Code() != connect.CodeAlreadyExists {
			t.Fatalf("second Create: %v; want ErrAlreadyExists with a *connect.Error inside", err)
		}

		got, err := alice.Get(ctx(t))
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		var out profile
		if err := got.DataTo(&out); err != nil {
			t.Fatalf("DataTo: %v", err)
		}
		if out.Name != "Alice" || out.Age != 30 || !slices.Equal(out.Tags, in.Tags) || out.Address == nil || out.Address.City != "Lisbon" || got.Version != created.Version {
			t.Fatalf("read back %+v at version %d; want what Create stored at version %d", out, got.Version, created.Version)
		}
		if only, err := alice.Get(ctx(t), "name"); err != nil || len(only.Data()) != 1 || only.Data()["name"] != "Alice" {
			t.Fatalf("Get(name): %v, %v; want only the name", only, err)
		}

		set, err := alice.Set(ctx(t), map[string]any{"name": "Alice", "age": 31}, impossibledb.IfVersion(created.Version))
		if err != nil || set.Version == created.Version {
			t.Fatalf("Set at the current version: %v (version %v); want a new version", err, set)
		}
		_, err = alice.Set(ctx(t), map[string]any{"name": "stale"}, impossibledb.IfVersion(created.Version))
		if !errors.Is(err, impossibledb.ErrFailedPrecondition) {
			t.Fatalf("Set at a stale version: %v; want ErrFailedPrecondition", err)
		}

		updated, err := alice.Update(ctx(t), map[string]any{"email": "alice@example.org"}, impossibledb.Mask("email", "age"), impossibledb.Exists(true))
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		// The mask names age but the patch has none, so age is removed.
		if data := updated.Data(); len(data) != 2 || data["email"] != "alice@example.org" || data["name"] != "Alice" {
			t.Fatalf("Update under a mask gave %v; want name and the new email, age removed", data)
		}

		deleted, err := alice.Delete(ctx(t), impossibledb.IfVersion(updated.Version))
		if err != nil || !deleted {
			t.Fatalf("Delete: %v, %v; want deleted", deleted, err)
		}
		if _, err := alice.Get(ctx(t)); !errors.Is(err, impossibledb.ErrNotFound) {
			t.Fatalf("Get after Delete: %v; want ErrNotFound", err)
		}
		if again, err := alice.Delete(ctx(t)); err != nil || again {
			t.Fatalf("second Delete: %v, %v; want false, nil", again, err)
		}
		if _, err := alice.Update(ctx(t), map[string]any{"name": "ghost"}); !errors.Is(err, impossibledb.ErrNotFound) {
			t.Fatalf("Update of a missing document: %v; want ErrNotFound", err)
		}
		if _, err := alice.Delete(ctx(t), impossibledb.Exists(true)); !errors.Is(err, impossibledb.ErrFailedPrecondition) {
			t.Fatalf("Delete of a missing document that must exist: %v; want ErrFailedPrecondition", err)
		}
	})
}

// TestBadInput checks that mistakes come back as typed errors: values the
// client refuses before sending, and requests the server refuses.
func TestBadInput(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		doc := db.Collection(uniqueName(t, transport, "bad")).Doc("x")
		_, err := doc.Set(ctx(t), map[string]any{"stats": map[string]any{"mean": math.NaN()}})
		var ve *impossibledb.ValueError
		if !errors.As(err, &ve) || ve.Path != "stats.mean" || !errors.Is(err, impossibledb.ErrInvalidArgument) {
			t.Fatalf("Set with a NaN: %v; want a ValueError at stats.mean matching ErrInvalidArgument", err)
		}
		if _, err := doc.Get(ctx(t)); !errors.Is(err, impossibledb.ErrNotFound) {
			t.Fatalf("Get after a refused Set: %v; want ErrNotFound (nothing was sent)", err)
		}
		_, err = db.Collection("__reserved").Doc("x").Get(ctx(t))
		if !errors.Is(err, impossibledb.ErrInvalidArgument) {
			t.Fatalf("Get in a reserved collection: %v; want ErrInvalidArgument", err)
		}
		_, err = db.Collection(uniqueName(t, transport, "bad")).Query().StartAfter("forged").GetAll(ctx(t))
		if !errors.Is(err, impossibledb.ErrInvalidArgument) {
			t.Fatalf("a query from a forged page token: %v; want ErrInvalidArgument", err)
		}
		_, err = db.Collection(uniqueName(t, transport, "bad")).Query().Where("age", ">", 1).Aggregate(ctx(t), impossibledb.Sum("s", ""))
		if !errors.Is(err, impossibledb.ErrInvalidArgument) {
			t.Fatalf("a sum without a field: %v; want ErrInvalidArgument", err)
		}
	})
}

// TestBatch writes documents in one call, reads them back following
// unread_refs, and checks per-write errors and the all-or-nothing batch.
func TestBatch(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		items := db.Collection(uniqueName(t, transport, "batch"))
		const docCount = 12
		batch := db.Batch()
		for i := range docCount {
			batch.Set(items.Doc(fmt.Sprintf("item-%02d", i)), map[string]any{"n": i})
		}
		results, err := batch.Commit(ctx(t))
		if err != nil || len(results) != docCount {
			t.Fatalf("Batch.Commit: %d results, %v; want %d", len(results), err, docCount)
		}
		for i, r := range results {
			if r.Err != nil || r.Version <= 0 || r.Ref.ID != fmt.Sprintf("item-%02d", i) {
				t.Fatalf("write %d: %+v; want OK with a version, in order", i, r)
			}
		}

		docs, err := db.GetAll(ctx(t), items.Doc("item-03"), items.Doc("missing"), items.Doc("item-11"), items.Doc("item-00"))
		if err != nil || len(docs) != 4 {
			t.Fatalf("GetAll: %d documents, %v; want 4", len(docs), err)
		}
		for i, want := range []int64{3, -1, 11, 0} {
			if exists := want >= 0; docs[i].Exists != exists || exists && docs[i].Data()["n"] != want {
				t.Fatalf("GetAll result %d (%s): exists %v, data %v; want n=%v", i, docs[i].Ref.ID, docs[i].Exists, docs[i].Data(), want)
			}
		}

		// A clashing create fails on its own; the document keeps its data.
		clash, err := db.Batch().Create(items.Doc("item-05"), map[string]any{"n": -1}).Delete(items.Doc("item-06")).Commit(ctx(t))
		if err != nil {
			t.Fatalf("Batch.Commit with a clash: %v", err)
		}
		if !errors.Is(clash[0].Err, impossibledb.ErrAlreadyExists) {
			t.Fatalf("create of an existing document in a batch: %v; want ErrAlreadyExists", clash[0].Err)
		}
		if kept, err := items.Doc("item-05").Get(ctx(t)); err != nil || kept.Data()["n"] != int64(5) {
			t.Fatalf("item-05 after a refused create: %v, %v; want n=5", kept, err)
		}
		_, err = items.Doc("item-06").Get(ctx(t))
		switch {
		case clash[1].Err == nil && !errors.Is(err, impossibledb.ErrNotFound):
			t.Fatalf("item-06 after its delete succeeded: %v; want ErrNotFound", err)
		case errors.Is(clash[1].Err, impossibledb.ErrAborted) && err != nil:
			t.Fatalf("item-06 after its delete was aborted: %v; want it kept", err)
		case clash[1].Err != nil && !errors.Is(clash[1].Err, impossibledb.ErrAborted):
			t.Fatalf("delete beside a failing write: %v; want OK or ErrAborted", clash[1].Err)
		}

		// CommitAtomic: one failing precondition and nothing is applied.
		_, err = db.Batch().
			Set(items.Doc("item-01"), map[string]any{"n": 100}).
			Update(items.Doc("item-02"), map[string]any{"n": 200}, impossibledb.IfVersion(results[2].Version+1000)).
			CommitAtomic(ctx(t))
		if !errors.Is(err, impossibledb.ErrFailedPrecondition) && !errors.Is(err, impossibledb.ErrAborted) {
			t.Fatalf("CommitAtomic with a stale precondition: %v; want ErrFailedPrecondition or ErrAborted", err)
		}
		if one, err := items.Doc("item-01").Get(ctx(t)); err != nil || one.Data()["n"] != int64(1) {
			t.Fatalf("item-01 after a refused atomic batch: %v, %v; want n=1 (nothing applied)", one, err)
		}
		atomic, err := db.Batch().
			Set(items.Doc("item-01"), map[string]any{"n": 100}).
			Update(items.Doc("item-02"), map[string]any{"n": 200}, impossibledb.IfVersion(results[2].Version)).
			CommitAtomic(ctx(t))
		if err != nil || len(atomic) != 2 || atomic[1].Version == results[2].Version {
			t.Fatalf("CommitAtomic: %v, %v; want two results with new versions", atomic, err)
		}
		if two, err := items.Doc("item-02").Get(ctx(t)); err != nil || two.Data()["n"] != int64(200) {
			t.Fatalf("item-02 after the atomic batch: %v, %v; want n=200", two, err)
		}
	})
}

// TestList walks a collection in id order through the client's iterator.
func TestList(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		fruit := db.Collection(uniqueName(t, transport, "list"))
		ids := []string{"kiwi", "apple", "fig", "banana", "cherry", "date", "elderberry"}
		batch := db.Batch()
		for _, id := range ids {
			batch.Create(fruit.Doc(id), map[string]any{"fruit": id})
		}
		if _, err := batch.Commit(ctx(t)); err != nil {
			t.Fatalf("Batch.Commit: %v", err)
		}
		var listed []string
		for doc, err := range fruit.Documents(ctx(t)) {
			if err != nil {
				t.Fatalf("Documents: %v", err)
			}
			if doc.Data()["fruit"] != doc.Ref.ID {
				t.Fatalf("listed %s with data %v", doc.Ref.ID, doc.Data())
			}
			listed = append(listed, doc.Ref.ID)
		}
		want := slices.Sorted(slices.Values(ids))
		if !slices.Equal(listed, want) {
			t.Fatalf("listed %v, want %v (every document once, in id order)", listed, want)
		}
	})
}
