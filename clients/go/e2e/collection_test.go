package e2e

import (
	"fmt"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
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

// TestCRUD creates, reads, replaces, patches and deletes one document, with
// the preconditions and errors a user relies on.
func TestCRUD(t *testing.T) {
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

// TestBatch writes several documents in one call, reads them back in one
// call, and checks that one failing write reports its own code.
func TestBatch(t *testing.T) {
	forEachAPI(t, func(t *testing.T, db api) {
		collection := uniqueCollection(t, db, "batch")
		ref := func(id string) *v1.DocumentRef { return &v1.DocumentRef{Collection: collection, Id: id} }
		const docCount = 12
		var writes []*v1.Write
		for i := range docCount {
			writes = append(writes, &v1.Write{
				Ref:       ref(fmt.Sprintf("item-%02d", i)),
				Operation: &v1.Write_Set{Set: mustStruct(t, map[string]any{"n": i})},
			})
		}
		written, err := db.batchWriteDocuments(ctx(t), &v1.BatchWriteDocumentsRequest{Writes: writes})
		if err != nil {
			t.Fatalf("BatchWriteDocuments: %v", err)
		}
		if len(written.GetStatuses()) != docCount || len(written.GetResults()) != docCount {
			t.Fatalf("BatchWriteDocuments: %d statuses and %d results, want %d of each", len(written.GetStatuses()), len(written.GetResults()), docCount)
		}
		for i, s := range written.GetStatuses() {
			if s.GetCode() != 0 || written.GetResults()[i].GetVersion() <= 0 {
				t.Fatalf("write %d: status %v, result %v; want OK with a version", i, s, written.GetResults()[i])
			}
		}

		refs := []*v1.DocumentRef{ref("item-03"), ref("missing"), ref("item-11"), ref("item-00")}
		read, err := db.batchGetDocuments(ctx(t), &v1.BatchGetDocumentsRequest{Refs: refs})
		if err != nil {
			t.Fatalf("BatchGetDocuments: %v", err)
		}
		wantN := map[string]float64{"item-03": 3, "item-11": 11, "item-00": 0}
		if len(read.GetResults()) != len(refs) {
			t.Fatalf("BatchGetDocuments: %d results, want %d", len(read.GetResults()), len(refs))
		}
		for i, result := range read.GetResults() {
			id := refs[i].GetId()
			if result.GetRef().GetId() != id {
				t.Fatalf("result %d is for %q, want %q (request order)", i, result.GetRef().GetId(), id)
			}
			n, exists := wantN[id]
			if result.GetFound() != exists {
				t.Fatalf("%s: found = %v, want %v", id, result.GetFound(), exists)
			}
			if exists && result.GetDocument().GetData().GetFields()["n"].GetNumberValue() != n {
				t.Fatalf("%s: data %v, want n=%v", id, result.GetDocument().GetData(), n)
			}
		}

		// Creating an existing document fails with its own code; the
		// document keeps its data.
		clash, err := db.batchWriteDocuments(ctx(t), &v1.BatchWriteDocumentsRequest{Writes: []*v1.Write{
			{Ref: ref("item-05"), Operation: &v1.Write_Create{Create: mustStruct(t, map[string]any{"n": -1})}},
			{Ref: ref("item-06"), Operation: &v1.Write_Delete{Delete: &emptypb.Empty{}}},
		}})
		if err != nil {
			t.Fatalf("BatchWriteDocuments with a clash: %v", err)
		}
		if code := connect.Code(clash.GetStatuses()[0].GetCode()); code != connect.CodeAlreadyExists {
			t.Fatalf("create of an existing document in a batch: code %v (%q), want %v", code, clash.GetStatuses()[0].GetMessage(), connect.CodeAlreadyExists)
		}
		kept, err := db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: ref("item-05")})
		if err != nil || kept.GetDocument().GetData().GetFields()["n"].GetNumberValue() != 5 {
			t.Fatalf("item-05 after a refused create: %v, %v; want n=5", kept, err)
		}
		// The delete either succeeded (another shard) or was aborted with the
		// failing write (same shard); what is stored must say which.
		_, err = db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: ref("item-06")})
		switch connect.Code(clash.GetStatuses()[1].GetCode()) {
		case 0:
			expectCode(t, db, err, connect.CodeNotFound, "item-06 after its delete succeeded")
		case connect.CodeAborted:
			expectCode(t, db, err, 0, "item-06 after its delete was aborted")
		default:
			t.Fatalf("delete beside a failing write: status %v, want OK or ABORTED", clash.GetStatuses()[1])
		}
	})
}

// TestList pages through a collection in id order.
func TestList(t *testing.T) {
	forEachAPI(t, func(t *testing.T, db api) {
		collection := uniqueCollection(t, db, "list")
		ids := []string{"kiwi", "apple", "fig", "banana", "cherry", "date", "elderberry"}
		var writes []*v1.Write
		for _, id := range ids {
			writes = append(writes, &v1.Write{
				Ref:       &v1.DocumentRef{Collection: collection, Id: id},
				Operation: &v1.Write_Create{Create: mustStruct(t, map[string]any{"fruit": id})},
			})
		}
		if _, err := db.batchWriteDocuments(ctx(t), &v1.BatchWriteDocumentsRequest{Writes: writes}); err != nil {
			t.Fatalf("BatchWriteDocuments: %v", err)
		}

		const pageSize = 3
		var listed []string
		var pageSizes []int
		token := ""
		for page := 0; ; page++ {
			if page > len(ids) {
				t.Fatalf("listing did not end after %d pages", page)
			}
			res, err := db.listDocuments(ctx(t), &v1.ListDocumentsRequest{Collection: collection, PageSize: pageSize, PageToken: token})
			if err != nil {
				t.Fatalf("ListDocuments page %d: %v", page, err)
			}
			pageSizes = append(pageSizes, len(res.GetDocuments()))
			for _, doc := range res.GetDocuments() {
				if doc.GetData().GetFields()["fruit"].GetStringValue() != doc.GetId() {
					t.Fatalf("listed %s with data %v", doc.GetId(), doc.GetData())
				}
				listed = append(listed, doc.GetId())
			}
			token = res.GetNextPageToken()
			if token == "" {
				break
			}
		}
		want := slices.Clone(ids)
		slices.Sort(want)
		if !slices.Equal(listed, want) {
			t.Fatalf("listed %v, want %v (every document once, in id order)", listed, want)
		}
		if !slices.Equal(pageSizes, []int{3, 3, 1}) {
			t.Fatalf("page sizes %v, want [3 3 1]", pageSizes)
		}

		_, err := db.listDocuments(ctx(t), &v1.ListDocumentsRequest{Collection: collection, PageSize: pageSize, PageToken: "forged"})
		expectCode(t, db, err, connect.CodeInvalidArgument, "ListDocuments with a forged page token")
	})
}
