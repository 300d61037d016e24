package e2e

import (
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// TestTransaction runs the seed document's transaction (read a user, write
// an order, delete a cart, all or nothing), then one that must abort
// because a document it read changed before it committed.
func TestTransaction(t *testing.T) {
	forEachAPI(t, func(t *testing.T, db api) {
		user := &v1.DocumentRef{Collection: uniqueCollection(t, db, "users"), Id: "user123"}
		order := &v1.DocumentRef{Collection: uniqueCollection(t, db, "orders"), Id: "order456"}
		cart := &v1.DocumentRef{Collection: uniqueCollection(t, db, "carts"), Id: "cart789"}
		for _, ref := range []*v1.DocumentRef{user, cart} {
			if _, err := db.setDocument(ctx(t), &v1.SetDocumentRequest{Ref: ref, Data: mustStruct(t, map[string]any{"owner": "alice"})}); err != nil {
				t.Fatalf("SetDocument %v: %v", ref, err)
			}
		}

		begun, err := db.beginTransaction(ctx(t), &v1.BeginTransactionRequest{})
		if err != nil || begun.GetTransaction() == "" || begun.GetExpireTime() == nil {
			t.Fatalf("BeginTransaction: %v, %v; want an id and an expiry", begun, err)
		}
		reads, err := db.getDocuments(ctx(t), &v1.GetDocumentsRequest{Transaction: begun.GetTransaction(), Refs: []*v1.DocumentRef{user, order}})
		if err != nil {
			t.Fatalf("GetDocuments: %v", err)
		}
		if len(reads.GetReads()) != 2 || reads.GetReads()[0].GetVersion() <= 0 || reads.GetReads()[1].GetVersion() != 0 || reads.GetReads()[1].GetDocument() != nil {
			t.Fatalf("GetDocuments: %v; want the user at a version, and no order (version 0)", reads.GetReads())
		}
		widget := mustStruct(t, map[string]any{"product": "Widget", "quantity": 5})
		committed, err := db.commit(ctx(t), &v1.CommitRequest{
			Transaction: begun.GetTransaction(),
			Reads:       readSet(reads.GetReads()),
			Writes: []*v1.Write{
				{Ref: order, Operation: &v1.Write_Set{Set: widget}},
				{Ref: cart, Operation: &v1.Write_Delete{Delete: &emptypb.Empty{}}},
			},
		})
		if err != nil || len(committed.GetResults()) != 2 || committed.GetCommitTime() == nil {
			t.Fatalf("Commit: %v, %v; want two results and a commit time", committed, err)
		}
		stored, err := db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: order})
		if err != nil {
			t.Fatalf("GetDocument of the committed order: %v", err)
		}
		expectData(t, stored.GetDocument(), widget, "the committed order")
		_, err = db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: cart})
		expectCode(t, db, err, connect.CodeNotFound, "GetDocument of the cart the transaction deleted")

		// A write between the read and the commit aborts the commit, and
		// none of its writes is applied.
		second, err := db.beginTransaction(ctx(t), &v1.BeginTransactionRequest{})
		if err != nil {
			t.Fatalf("BeginTransaction: %v", err)
		}
		secondReads, err := db.getDocuments(ctx(t), &v1.GetDocumentsRequest{Transaction: second.GetTransaction(), Refs: []*v1.DocumentRef{user}})
		if err != nil {
			t.Fatalf("GetDocuments: %v", err)
		}
		if _, err := db.setDocument(ctx(t), &v1.SetDocumentRequest{Ref: user, Data: mustStruct(t, map[string]any{"owner": "bob"})}); err != nil {
			t.Fatalf("SetDocument outside the transaction: %v", err)
		}
		_, err = db.commit(ctx(t), &v1.CommitRequest{
			Transaction: second.GetTransaction(),
			Reads:       readSet(secondReads.GetReads()),
			Writes:      []*v1.Write{{Ref: order, Operation: &v1.Write_Set{Set: mustStruct(t, map[string]any{"product": "Gadget"})}}},
		})
		expectCode(t, db, err, connect.CodeAborted, "Commit after a document it read changed")
		unchanged, err := db.getDocument(ctx(t), &v1.GetDocumentRequest{Ref: order})
		if err != nil {
			t.Fatalf("GetDocument of the order: %v", err)
		}
		expectData(t, unchanged.GetDocument(), widget, "the order after an aborted commit")
	})
}

// TestTransactionReadTwice reads a document, lets another client change it,
// reads it again and sends both versions: Commit aborts rather than apply a
// write computed from the first read (the lost update).
func TestTransactionReadTwice(t *testing.T) {
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
