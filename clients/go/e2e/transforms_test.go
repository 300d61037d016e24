package e2e

import (
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// increment is the FieldTransform that adds n to fieldPath, built from the
// generated types (docs/clients.md shows the same).
func increment(fieldPath string, n float64) *v1.FieldTransform {
	return &v1.FieldTransform{FieldPath: fieldPath, TransformType: &v1.FieldTransform_Increment{Increment: structpb.NewNumberValue(n)}}
}

// TestRawFieldTransforms sends field transforms with the generated stubs:
// concurrent increments of one document lose no update, the answer carries
// each transform's result, and a transform on a masked field is refused.
func TestRawFieldTransforms(t *testing.T) {
	forEachAPI(t, func(t *testing.T, db api) {
		ref := &v1.DocumentRef{Collection: uniqueCollection(t, db, "transforms"), Id: "counter"}
		if _, err := db.setDocument(ctx(t), &v1.SetDocumentRequest{Ref: ref, Data: mustStruct(t, map[string]any{"n": 0})}); err != nil {
			t.Fatalf("SetDocument: %v", err)
		}
		const clients = 20
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.updateDocument(ctx(t), &v1.UpdateDocumentRequest{Ref: ref, Patch: &v1.DocumentPatch{Data: &structpb.Struct{}}, Transforms: []*v1.FieldTransform{increment("n", 1)}})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("UpdateDocument with an increment: %v", err)
			}
		}
		res, err := db.updateDocument(ctx(t), &v1.UpdateDocumentRequest{
			Ref:   ref,
			Patch: &v1.DocumentPatch{Data: &structpb.Struct{}},
			Transforms: []*v1.FieldTransform{
				increment("n", 1),
				{FieldPath: "at", TransformType: &v1.FieldTransform_ServerTimestamp{ServerTimestamp: &emptypb.Empty{}}},
				{FieldPath: "tags", TransformType: &v1.FieldTransform_AppendMissingElements{AppendMissingElements: &structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("go")}}}},
			},
		})
		if err != nil {
			t.Fatalf("UpdateDocument with three transforms: %v", err)
		}
		if got := res.GetDocument().GetData().GetFields()["n"].GetNumberValue(); got != clients+1 {
			t.Fatalf("n = %v after %d increments, want %d", got, clients+1, clients+1)
		}
		results := res.GetTransformResults()
		if len(results) != 3 || results[0].GetNumberValue() != clients+1 || results[1].GetStringValue() != res.GetDocument().GetUpdateTime().AsTime().UTC().Format("2006-01-02T15:04:05.000Z") {
			t.Fatalf("transform results = %v, want [%d, the update time, [go]]", results, clients+1)
		}
		_, err = db.updateDocument(ctx(t), &v1.UpdateDocumentRequest{
			Ref:        ref,
			Patch:      &v1.DocumentPatch{Data: mustStruct(t, map[string]any{"n": 5}), UpdateMask: &v1.DocumentMask{FieldPaths: []string{"n"}}},
			Transforms: []*v1.FieldTransform{increment("n", 1)},
		})
		expectCode(t, db, err, connect.CodeInvalidArgument, "a transform on a masked field")
	})
}
