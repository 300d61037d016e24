package e2e

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// user is one document of the query scenario, kept as plain data so the
// expected answer is computed from the same definition the server stores.
type user struct {
	id       string
	lastName string
	age      int
	status   string
}

func queryUsers() []user {
	const userCount = 60
	users := make([]user, 0, userCount)
	for i := range userCount {
		status := "active"
		if i%4 == 3 {
			status = "inactive"
		}
		// Last names run against ids, so sorting by lastName is not id order.
		users = append(users, user{id: fmt.Sprintf("u%02d", i), lastName: fmt.Sprintf("Name%02d", userCount-1-i), age: 15 + i, status: status})
	}
	return users
}

func fieldFilter(field string, op v1.FieldFilter_Operator, value *structpb.Value) *v1.Filter {
	return &v1.Filter{FilterType: &v1.Filter_FieldFilter{FieldFilter: &v1.FieldFilter{Field: field, Op: op, Value: value}}}
}

// TestQuery runs the seed document's query: age > 21 and status == active,
// sorted by lastName, skipping 20 and returning at most 10, a page at a time.
func TestQuery(t *testing.T) {
	forEachAPI(t, func(t *testing.T, db api) {
		collection := uniqueCollection(t, db, "query")
		users := queryUsers()
		var writes []*v1.Write
		for _, u := range users {
			data := mustStruct(t, map[string]any{"lastName": u.lastName, "age": u.age, "status": u.status})
			writes = append(writes, &v1.Write{Ref: &v1.DocumentRef{Collection: collection, Id: u.id}, Operation: &v1.Write_Set{Set: data}})
		}
		if _, err := db.batchWriteDocuments(ctx(t), &v1.BatchWriteDocumentsRequest{Writes: writes}); err != nil {
			t.Fatalf("BatchWriteDocuments: %v", err)
		}

		const offset, limit = 20, 10
		var matching []user
		for _, u := range users {
			if u.age > 21 && u.status == "active" {
				matching = append(matching, u)
			}
		}
		slices.SortFunc(matching, func(a, b user) int { return cmp.Compare(a.lastName, b.lastName) })
		var want []string
		for _, u := range matching[offset:min(offset+limit, len(matching))] {
			want = append(want, u.id)
		}
		if len(want) != limit {
			t.Fatalf("the scenario's data must make the limit bite: %d matches after the offset", len(want))
		}

		query := &v1.Query{
			Collection: collection,
			Where: &v1.Filter{FilterType: &v1.Filter_CompositeFilter{CompositeFilter: &v1.CompositeFilter{
				Op: v1.CompositeFilter_OPERATOR_AND,
				Filters: []*v1.Filter{
					fieldFilter("age", v1.FieldFilter_OPERATOR_GREATER_THAN, structpb.NewNumberValue(21)),
					fieldFilter("status", v1.FieldFilter_OPERATOR_EQUAL, structpb.NewStringValue("active")),
				},
			}}},
			OrderBy: []*v1.Order{{Field: "lastName", Direction: v1.Order_DIRECTION_ASCENDING}},
			Limit:   limit,
			Offset:  offset,
		}
		const pageSize = 4
		var got []string
		token := ""
		for page := 0; ; page++ {
			if page > limit {
				t.Fatalf("query did not end after %d pages", page)
			}
			res, err := db.runQuery(ctx(t), &v1.RunQueryRequest{Query: query, PageSize: pageSize, PageToken: token})
			if err != nil {
				t.Fatalf("RunQuery page %d: %v", page, err)
			}
			if len(res.GetDocuments()) > pageSize {
				t.Fatalf("page %d has %d documents, more than page_size %d", page, len(res.GetDocuments()), pageSize)
			}
			for _, doc := range res.GetDocuments() {
				got = append(got, doc.GetId())
			}
			token = res.GetNextPageToken()
			if token == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("RunQuery returned %v, want %v", got, want)
		}
	})
}
