package e2e

import (
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

func mustStruct(t *testing.T, fields map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(fields)
	if err != nil {
		t.Fatalf("structpb.NewStruct: %v", err)
	}
	return s
}

func expectCode(t *testing.T, db api, err error, want connect.Code, what string) {
	t.Helper()
	if got := db.code(err); got != want {
		t.Fatalf("%s: got code %v (error %v), want %v", what, got, err, want)
	}
}

func expectData(t *testing.T, doc *v1.Document, want *structpb.Struct, what string) {
	t.Helper()
	if doc == nil {
		t.Fatalf("%s: no document", what)
	}
	if !proto.Equal(doc.GetData(), want) {
		t.Fatalf("%s: data = %v, want %v", what, doc.GetData(), want)
	}
}

// TestRawCRUD creates, reads, replaces, patches and deletes one document
// through the generated stubs, with the preconditions and errors a user
// relies on (TestCRUD does the same through the Go client).
func TestRawCRUD(t *testing.T) {
	forEachAPI(t, func(t *testing.T, db api) {
		ref := &v1.DocumentRef{Collection: uniqueCollection(t, db, "crud"), Id: "alice"}
		alice := mustStruct(t, map[string]any{
			"name":    "Alice",
			"email":   "alice@example.com",
			"age":     30,
			"active":  true,
			"tags":    []any{"admin", "beta"},
			"address": map[string]any{"city": "Lisbon", "zip": "1100"},
		})

		created, err := db.createDocument(ctx(t), &v1.CreateDocumentRequest{Ref: ref, Data: alice})
		if err != nil {
			t.Fatalf("CreateDocument: %v", err)
		}
		expectData(t, created.GetDocument(), alice, "CreateDocument")
		if created.GetDocument().GetVersion() <= 0 || created.GetDocument().GetCreateTime() == nil {
			t.Fatalf("CreateDocument: version %d, create_time %v; want a positive version and a time", created.GetDocument().GetVersion(), created.GetDocument().GetCreateTime())
		}
		firstVersion := created.GetDocument().GetVersion()

		_, err = db.createDocument(ctx(t), &v1.CreateDocumentRequest{Ref: ref, Data: mustStruct(t, map[string]any{"name": "Mallory"})})
		expectCode(t, db, err, connect.CodeAlreadyExists, "CreateDocument of an existing document")

		got, err := db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: ref})
		if err != nil {
			t.Fatalf("GetDocument: %v", err)
		}
		expectData(t, got.GetDocument(), alice, "GetDocument after a refused second create")
		if got.GetDocument().GetVersion() != firstVersion || got.GetDocument().GetId() != "alice" || got.GetDocument().GetCollection() != ref.Collection {
			t.Fatalf("GetDocument: %v, want %s/alice at version %d", got.GetDocument(), ref.Collection, firstVersion)
		}

		replacement := mustStruct(t, map[string]any{"name": "Alice", "age": 31})
		set, err := db.setDocument(ctx(t), &v1.SetDocumentRequest{
			Ref: ref, Data: replacement,
			Precondition: &v1.Precondition{Condition: &v1.Precondition_Version{Version: firstVersion}},
		})
		if err != nil {
			t.Fatalf("SetDocument at the current version: %v", err)
		}
		expectData(t, set.GetDocument(), replacement, "SetDocument")
		secondVersion := set.GetDocument().GetVersion()
		if secondVersion == firstVersion {
			t.Fatalf("SetDocument kept version %d; every write must give a new version", firstVersion)
		}

		_, err = db.setDocument(ctx(t), &v1.SetDocumentRequest{
			Ref: ref, Data: mustStruct(t, map[string]any{"name": "stale"}),
			Precondition: &v1.Precondition{Condition: &v1.Precondition_Version{Version: firstVersion}},
		})
		expectCode(t, db, err, connect.CodeFailedPrecondition, "SetDocument at a stale version")

		updated, err := db.updateDocument(ctx(t), &v1.UpdateDocumentRequest{
			Ref: ref,
			Patch: &v1.DocumentPatch{
				Data:       mustStruct(t, map[string]any{"email": "alice@example.org"}),
				UpdateMask: &v1.DocumentMask{FieldPaths: []string{"email", "age"}},
			},
			Precondition: &v1.Precondition{Condition: &v1.Precondition_Exists{Exists: true}},
		})
		if err != nil {
			t.Fatalf("UpdateDocument: %v", err)
		}
		// The mask names age but the patch has none, so age is removed.
		expectData(t, updated.GetDocument(), mustStruct(t, map[string]any{"name": "Alice", "email": "alice@example.org"}), "UpdateDocument")

		deleted, err := db.deleteDocument(ctx(t), &v1.DeleteDocumentRequest{Ref: ref})
		if err != nil || !deleted.GetDeleted() {
			t.Fatalf("DeleteDocument: %v, %v; want deleted", deleted, err)
		}
		_, err = db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: ref})
		expectCode(t, db, err, connect.CodeNotFound, "GetDocument after delete")
		again, err := db.deleteDocument(ctx(t), &v1.DeleteDocumentRequest{Ref: ref})
		if err != nil || again.GetDeleted() {
			t.Fatalf("second DeleteDocument: %v, %v; want deleted=false", again, err)
		}

		_, err = db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: &v1.DocumentRef{Collection: "__reserved", Id: "x"}})
		expectCode(t, db, err, connect.CodeInvalidArgument, "GetDocument in a reserved collection name")
	})
}

// TestRawTransactionReadTwice reads a document through the stubs, lets
// another client change it, reads it again and sends both versions: Commit
// aborts rather than apply a write computed from the first read (the lost
// update). The Go client's own read set is checked by TestTransactionReadTwice.
func TestRawTransactionReadTwice(t *testing.T) {
	forEachAPI(t, func(t *testing.T, db api) {
		account := &v1.DocumentRef{Collection: uniqueCollection(t, db, "accounts"), Id: "a"}
		if _, err := db.setDocument(ctx(t), &v1.SetDocumentRequest{Ref: account, Data: mustStruct(t, map[string]any{"balance": 100})}); err != nil {
			t.Fatalf("SetDocument: %v", err)
		}
		begun, err := db.beginTransaction(ctx(t), &v1.BeginTransactionRequest{})
		if err != nil {
			t.Fatalf("BeginTransaction: %v", err)
		}
		first, err := db.getDocuments(ctx(t), &v1.GetDocumentsRequest{Transaction: begun.GetTransaction(), Refs: []*v1.DocumentRef{account}})
		if err != nil {
			t.Fatalf("GetDocuments: %v", err)
		}
		if _, err := db.setDocument(ctx(t), &v1.SetDocumentRequest{Ref: account, Data: mustStruct(t, map[string]any{"balance": 50})}); err != nil {
			t.Fatalf("SetDocument outside the transaction: %v", err)
		}
		again, err := db.getDocuments(ctx(t), &v1.GetDocumentsRequest{Transaction: begun.GetTransaction(), Refs: []*v1.DocumentRef{account}})
		if err != nil {
			t.Fatalf("GetDocuments again: %v", err)
		}
		if first.GetReads()[0].GetVersion() == again.GetReads()[0].GetVersion() {
			t.Fatalf("the two reads saw one version (%d); the write between them should have changed it", first.GetReads()[0].GetVersion())
		}
		_, err = db.commit(ctx(t), &v1.CommitRequest{
			Transaction: begun.GetTransaction(),
			Reads:       readSet(first.GetReads(), again.GetReads()),
			Writes:      []*v1.Write{{Ref: account, Operation: &v1.Write_Set{Set: mustStruct(t, map[string]any{"balance": 90})}}},
		})
		expectCode(t, db, err, connect.CodeAborted, "Commit of a transaction that read two versions of one document")
		stored, err := db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: account})
		if err != nil {
			t.Fatalf("GetDocument: %v", err)
		}
		expectData(t, stored.GetDocument(), mustStruct(t, map[string]any{"balance": 50}), "the account after the aborted commit")
	})
}

// readSet turns what GetDocuments answered into the versions Commit validates:
// a transaction sends back every version it read, from every GetDocuments
// call, so a document read twice at two versions goes in twice.
func readSet(responses ...[]*v1.TransactionalRead) []*v1.ReadVersion {
	var set []*v1.ReadVersion
	for _, reads := range responses {
		for _, r := range reads {
			set = append(set, &v1.ReadVersion{Ref: r.GetRef(), Version: r.GetVersion()})
		}
	}
	return set
}
