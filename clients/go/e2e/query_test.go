package e2e

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// user is one document of the query scenarios, kept as plain data so the
// expected answers are computed from the same definition the server stores.
type user struct {
	id       string
	LastName string `json:"lastName"`
	Age      int    `json:"age"`
	Status   string `json:"status"`
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
		users = append(users, user{id: fmt.Sprintf("u%02d", i), LastName: fmt.Sprintf("Name%02d", userCount-1-i), Age: 15 + i, Status: status})
	}
	return users
}

func storeUsers(t *testing.T, db *impossibledb.Client, collection *impossibledb.CollectionRef) []user {
	users := queryUsers()
	batch := db.Batch()
	for _, u := range users {
		batch.Set(collection.Doc(u.id), u)
	}
	results, err := batch.Commit(ctx(t))
	if err != nil {
		t.Fatalf("Batch.Commit: %v", err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("storing %s: %v", r.Ref.ID, r.Err)
		}
	}
	return users
}

// TestQuery runs the seed document's query: age > 21 and status == active,
// sorted by lastName, skipping 20 and returning at most 10, walking pages
// of 4 and resuming from a page token.
func TestQuery(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		collection := db.Collection(uniqueName(t, transport, "query"))
		users := storeUsers(t, db, collection)

		const offset, limit = 20, 10
		var matching []user
		for _, u := range users {
			if u.Age > 21 && u.Status == "active" {
				matching = append(matching, u)
			}
		}
		slices.SortFunc(matching, func(a, b user) int { return cmp.Compare(a.LastName, b.LastName) })
		var want []string
		for _, u := range matching[offset:min(offset+limit, len(matching))] {
			want = append(want, u.id)
		}
		if len(want) != limit {
			t.Fatalf("the scenario's data must make the limit bite: %d matches after the offset", len(want))
		}

		query := collection.Query().
			Where("age", ">", 21).
			Where("status", "==", "active").
			OrderBy("lastName", impossibledb.Asc).
			Limit(limit).
			Offset(offset).
			PageSize(4)
		var got []string
		var pageSizes []int
		firstToken := ""
		for page, err := range query.Pages(ctx(t)) {
			if err != nil {
				t.Fatalf("Pages: %v", err)
			}
			pageSizes = append(pageSizes, len(page.Documents))
			for _, doc := range page.Documents {
				var u user
				if err := doc.DataTo(&u); err != nil || u.Age <= 21 || u.Status != "active" {
					t.Fatalf("matched %s: %+v, %v; want an active user over 21", doc.Ref.ID, u, err)
				}
				got = append(got, doc.Ref.ID)
			}
			if firstToken == "" {
				firstToken = page.NextPageToken
			}
		}
		if !slices.Equal(got, want) || !slices.Equal(pageSizes, []int{4, 4, 2}) {
			t.Fatalf("query pages %v held %v, want pages [4 4 2] holding %v", pageSizes, got, want)
		}

		// Documents iterates the same results; StartAfter resumes after the first page.
		all, err := query.GetAll(ctx(t))
		if err != nil || len(all) != limit {
			t.Fatalf("GetAll: %d documents, %v; want %d", len(all), err, limit)
		}
		rest, err := query.StartAfter(firstToken).GetAll(ctx(t))
		if err != nil {
			t.Fatalf("StartAfter: %v", err)
		}
		var restIDs []string
		for _, d := range rest {
			restIDs = append(restIDs, d.Ref.ID)
		}
		if !slices.Equal(restIDs, want[4:]) {
			t.Fatalf("StartAfter(first page's token) gave %v, want %v", restIDs, want[4:])
		}

		// Breaking out of the loop stops the iteration.
		seen := 0
		for _, err := range query.Documents(ctx(t)) {
			if err != nil {
				t.Fatal(err)
			}
			if seen++; seen == 3 {
				break
			}
		}

		// Select returns only the named fields.
		picked, err := collection.Query().Where("age", "==", 30).Select("age").GetAll(ctx(t))
		if err != nil || len(picked) != 1 || len(picked[0].Data()) != 1 || picked[0].Data()["age"] != int64(30) {
			t.Fatalf("Select(age): %v, %v; want one document with only its age", picked, err)
		}
		// in, and a descending order.
		in, err := collection.Query().Where("age", "in", []int{16, 17, 18}).OrderBy("age", impossibledb.Desc).GetAll(ctx(t))
		if err != nil || len(in) != 3 || in[0].Ref.ID != "u03" || in[2].Ref.ID != "u01" {
			t.Fatalf("age in [16 17 18] by age descending: %v, %v; want u03 u02 u01", in, err)
		}
	})
}

// TestAggregations counts, sums and averages the users, whole and grouped
// by status, and checks each against the data.
func TestAggregations(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		collection := db.Collection(uniqueName(t, transport, "aggregate"))
		users := storeUsers(t, db, collection)
		type stats struct {
			count, sum float64
			minAge     float64
			maxAge     float64
		}
		byStatus := map[string]*stats{}
		var over21 float64
		for _, u := range users {
			s := byStatus[u.Status]
			if s == nil {
				s = &stats{minAge: 1e9}
				byStatus[u.Status] = s
			}
			s.count++
			s.sum += float64(u.Age)
			s.minAge = min(s.minAge, float64(u.Age))
			s.maxAge = max(s.maxAge, float64(u.Age))
			if u.Age > 21 {
				over21++
			}
		}

		n, err := collection.Query().Where("age", ">", 21).Count(ctx(t))
		if err != nil || float64(n) != over21 {
			t.Fatalf("Count of age > 21: %d, %v; want %v", n, err, over21)
		}
		groups, err := collection.Query().GroupBy("status").Aggregate(ctx(t),
			impossibledb.Count("n"), impossibledb.Sum("total", "age"), impossibledb.Avg("mean", "age"),
			impossibledb.Min("youngest", "age"), impossibledb.Max("oldest", "age"))
		if err != nil || len(groups) != 2 {
			t.Fatalf("Aggregate by status: %v, %v; want two groups", groups, err)
		}
		for i, status := range []string{"active", "inactive"} {
			g, s := groups[i], byStatus[status]
			if len(g.Key) != 1 || g.Key[0] != status {
				t.Fatalf("group %d has key %v, want [%s] (groups ordered by key)", i, g.Key, status)
			}
			// Ages are Go ints, stored as integers: COUNT, SUM, MIN and MAX are
			// int64s; AVG is a float64.
			want := map[string]any{"n": int64(s.count), "total": int64(s.sum), "mean": s.sum / s.count, "youngest": int64(s.minAge), "oldest": int64(s.maxAge)}
			for alias, v := range want {
				if g.Results[alias] != v {
					t.Fatalf("%s: %s = %v, want %v (all results %v)", status, alias, g.Results[alias], v, g.Results)
				}
			}
		}
	})
}
