package e2e

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// grpcDefaultReceiveBytes is grpc-go's default limit on a received message:
// an answer larger than this fails with RESOURCE_EXHAUSTED even when the
// call succeeded on the server.
const grpcDefaultReceiveBytes = 4 * 1024 * 1024

// bigDoc is about 1 MB of JSON: under the 1 MiB document limit.
func bigDoc(t *testing.T, n int) *v1.Write_Set {
	return &v1.Write_Set{Set: mustStruct(t, map[string]any{"n": n, "blob": fmt.Sprintf("%d", n) + strings.Repeat("x", 1_000_000)})}
}

func bigWrites(t *testing.T, collection string, from, count int) ([]*v1.Write, []string) {
	writes := make([]*v1.Write, 0, count)
	ids := make([]string, 0, count)
	for i := from; i < from+count; i++ {
		id := fmt.Sprintf("d%02d", i)
		ids = append(ids, id)
		writes = append(writes, &v1.Write{Ref: &v1.DocumentRef{Collection: collection, Id: id}, Operation: bigDoc(t, i)})
	}
	return writes, ids
}

// TestLargeDocumentsThroughGRPCDefaults writes six 1 MB documents in one
// batch through the front door with grpc-go's default options and expects
// an OK answer with versions (not the documents echoed, which would exceed
// 4 MiB), then reads them back in batch gets and list pages that each fit.
func TestLargeDocumentsThroughGRPCDefaults(t *testing.T) {
	_, grpcTarget := endpoints(t)
	db := grpcAPI(t, grpcTarget)
	collection := uniqueCollection(t, db, "large")

	writes, ids := bigWrites(t, collection, 0, 6)
	written, err := db.batchWriteDocuments(ctx(t), &v1.BatchWriteDocumentsRequest{Writes: writes})
	if err != nil {
		t.Fatalf("BatchWriteDocuments of six 1 MB documents: %v; want OK", err)
	}
	versions := map[string]int64{}
	for i, r := range written.GetResults() {
		if written.GetStatuses()[i].GetCode() != 0 || r.GetVersion() <= 0 || r.GetUpdateTime() == nil || r.GetDocument() != nil {
			t.Fatalf("write %d: status %v, result version %d, time %v, document set %v; want OK with a version and time, no document",
				i, written.GetStatuses()[i], r.GetVersion(), r.GetUpdateTime(), r.GetDocument() != nil)
		}
		versions[r.GetRef().GetId()] = r.GetVersion()
	}
	more, moreIDs := bigWrites(t, collection, 6, 6)
	if _, err := db.batchWriteDocuments(ctx(t), &v1.BatchWriteDocumentsRequest{Writes: more}); err != nil {
		t.Fatalf("BatchWriteDocuments of six more: %v", err)
	}
	all := append(ids, moreIDs...)

	// Batch get: each answer is a prefix within the limit; unread_refs names the rest.
	refs := make([]*v1.DocumentRef, 0, len(all))
	for _, id := range all {
		refs = append(refs, &v1.DocumentRef{Collection: collection, Id: id})
	}
	var got []string
	for calls := 0; len(refs) > 0; calls++ {
		if calls > len(all) {
			t.Fatalf("BatchGetDocuments did not finish in %d calls", len(all))
		}
		answer, err := db.batchGetDocuments(ctx(t), &v1.BatchGetDocumentsRequest{Refs: refs})
		if err != nil {
			t.Fatalf("BatchGetDocuments: %v", err)
		}
		if size := proto.Size(answer); size >= grpcDefaultReceiveBytes || len(answer.GetResults()) == 0 {
			t.Fatalf("BatchGetDocuments answered %d results in %d bytes; want at least one, under 4 MiB", len(answer.GetResults()), size)
		}
		for _, r := range answer.GetResults() {
			got = append(got, r.GetRef().GetId())
			if want, ok := versions[r.GetRef().GetId()]; ok && r.GetDocument().GetVersion() != want {
				t.Fatalf("%s read back at version %d; the batch write answered %d", r.GetRef().GetId(), r.GetDocument().GetVersion(), want)
			}
		}
		refs = answer.GetUnreadRefs()
	}
	if strings.Join(got, ",") != strings.Join(all, ",") {
		t.Fatalf("batch gets read %v; want %v", got, all)
	}

	// The Go client's GetAll follows unread_refs itself and answers every
	// ref in order, over the same gRPC defaults.
	client, err := impossibledb.NewClient("", impossibledb.WithGRPC(grpcTarget), impossibledb.WithCallTimeout(callTimeout), withKey())
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer client.Close()
	docs := make([]*impossibledb.DocumentRef, len(all))
	for i, id := range all {
		docs[i] = client.Collection(collection).Doc(id)
	}
	snaps, err := client.GetAll(ctx(t), docs...)
	if err != nil || len(snaps) != len(all) {
		t.Fatalf("GetAll of %d 1 MB documents: %d answers, %v", len(all), len(snaps), err)
	}
	for i, s := range snaps {
		if s.Ref.ID != all[i] || !s.Exists || len(s.Data()["blob"].(string)) < 1_000_000 {
			t.Fatalf("GetAll answer %d is %s (exists %v); want %s with its blob", i, s.Ref.ID, s.Exists, all[i])
		}
	}

	// List pages end at the byte limit and the tokens walk every document once.
	var listed []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > len(all) {
			t.Fatalf("ListDocuments did not finish in %d pages", len(all))
		}
		page, err := db.listDocuments(ctx(t), &v1.ListDocumentsRequest{Collection: collection, PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatalf("ListDocuments: %v", err)
		}
		for _, d := range page.GetDocuments() {
			listed = append(listed, d.GetId())
		}
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	if strings.Join(listed, ",") != strings.Join(all, ",") {
		t.Fatalf("list pages held %v; want %v", listed, all)
	}
}
