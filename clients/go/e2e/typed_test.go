package e2e

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// typedDoc holds every value type at its edges, in Go's natural types.
func typedDoc() map[string]any {
	return map[string]any{
		"maxInt64":     int64(math.MaxInt64),
		"minInt64":     int64(math.MinInt64),
		"twoTo53Plus1": int64(1)<<53 + 1,
		"double":       0.1,
		"wholeDouble":  float64(1 << 60),
		"before1970":   time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
		"micro":        time.Date(2026, 11, 30, 15, 4, 5, 123_456_000, time.UTC),
		"year1":        time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		"year9999":     time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
		"emptyBytes":   []byte{},
		"bytes":        []byte{0, 1, 0xfe, 0xff},
		"geo":          impossibledb.GeoPoint{Lat: -33.8688, Lng: 151.2093},
		"ref":          &impossibledb.DocumentRef{Collection: "users", ID: "alice"},
		"null":         nil,
		"bool":         false,
		"text":         "é😀",
		"nested":       []any{[]any{int64(-1), []any{}}, map[string]any{"m": map[string]any{"t": time.Date(2000, 2, 29, 0, 0, 0, 1000, time.UTC), "b": []byte("x")}}},
	}
}

// same compares a value read back with the one written: references by
// path, times as instants in UTC, the rest deeply (so int64 stays int64 and
// float64 stays float64).
func same(got, want any) bool {
	switch w := want.(type) {
	case *impossibledb.DocumentRef:
		g, ok := got.(*impossibledb.DocumentRef)
		return ok && g.Path() == w.Path()
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w) && g.Location() == time.UTC
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !same(g[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range w {
			if !same(g[k], w[k]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

func expectSame(t *testing.T, how string, got, want map[string]any) {
	t.Helper()
	for name, w := range want {
		if !same(got[name], w) {
			t.Errorf("%s: %s read back %#v (%T), wrote %#v (%T)", how, name, got[name], got[name], w, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: read back %d fields, wrote %d", how, len(got), len(want))
	}
}

// TestTypedRoundTrip writes every type at its edges with Set, Create, a
// batch and a transaction, and reads each back with Get, GetAll, a query
// and a listing, over Connect and gRPC: every value comes back exactly, in
// its Go type, and the JSON form beside it holds the documented forms.
func TestTypedRoundTrip(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		docs := db.Collection(uniqueName(t, transport, "typed"))
		want := typedDoc()
		written, err := docs.Doc("set").Set(ctx(t), want)
		if err != nil {
			t.Fatalf("Set: %v", err)
		}
		expectSame(t, "Set's answer", written.Data(), want)
		if _, err := docs.Doc("create").Create(ctx(t), want); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if _, err := db.Batch().Set(docs.Doc("batch"), want).CommitAtomic(ctx(t)); err != nil {
			t.Fatalf("CommitAtomic: %v", err)
		}
		err = db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error { return tx.Set(docs.Doc("tx"), want) })
		if err != nil {
			t.Fatalf("RunTransaction: %v", err)
		}

		got, err := docs.Doc("set").Get(ctx(t))
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		expectSame(t, "Get", got.Data(), want)
		all, err := db.GetAll(ctx(t), docs.Doc("create"), docs.Doc("batch"), docs.Doc("tx"))
		if err != nil {
			t.Fatalf("GetAll: %v", err)
		}
		for _, snap := range all {
			expectSame(t, "GetAll "+snap.Ref.ID, snap.Data(), want)
		}
		listed := 0
		for snap, err := range docs.Documents(ctx(t)) {
			if err != nil {
				t.Fatalf("Documents: %v", err)
			}
			expectSame(t, "Documents "+snap.Ref.ID, snap.Data(), want)
			listed++
		}
		if listed != 4 {
			t.Fatalf("listed %d documents, want 4", listed)
		}
		// A reference read back is bound to the client: it can be followed.
		if ref := got.Data()["ref"].(*impossibledb.DocumentRef); ref.Path() != "users/alice" {
			t.Fatalf("reference read back as %v", ref)
		}

		// The JSON form beside the typed one, as the contract documents it.
		json := got.Proto().GetFields()
		if json["twoTo53Plus1"].GetNumberValue() != 9007199254740992 || json["micro"].GetStringValue() != "2026-11-30T15:04:05.123456Z" ||
			json["bytes"].GetStringValue() != "AAH+/w==" || json["ref"].GetStringValue() != "users/alice" ||
			json["geo"].GetStructValue().GetFields()["latitude"].GetNumberValue() != -33.8688 {
			t.Fatalf("the JSON form is %v", got.Proto())
		}
	})
}

// TestTypedUpdateAndDataTo: an update with a mask writes typed values into
// an existing JSON document, and DataTo fills a struct's int64, time.Time,
// []byte, GeoPoint and *DocumentRef fields exactly.
func TestTypedUpdateAndDataTo(t *testing.T) {
	type event struct {
		Name  string                    `json:"name"`
		ID    int64                     `json:"id"`
		At    time.Time                 `json:"at"`
		Blob  []byte                    `json:"blob"`
		Where impossibledb.GeoPoint     `json:"where"`
		Owner *impossibledb.DocumentRef `json:"owner"`
	}
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		doc := db.Collection(uniqueName(t, transport, "typedupdate")).Doc("e")
		if _, err := doc.Set(ctx(t), map[string]any{"name": "launch", "id": "pending"}); err != nil {
			t.Fatalf("Set: %v", err)
		}
		in := event{Name: "launch", ID: math.MaxInt64 - 1, At: time.Date(1969, 7, 16, 13, 32, 0, 1000, time.UTC), Blob: []byte{}, Where: impossibledb.GeoPoint{Lat: 28.5729, Lng: -80.649}, Owner: &impossibledb.DocumentRef{Collection: "crews", ID: "apollo11"}}
		patch := map[string]any{"id": in.ID, "at": in.At, "blob": in.Blob, "where": in.Where, "owner": in.Owner}
		if _, err := doc.Update(ctx(t), patch, impossibledb.Mask("id", "at", "blob", "where", "owner")); err != nil {
			t.Fatalf("Update: %v", err)
		}
		snap, err := doc.Get(ctx(t))
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		var out event
		if err := snap.DataTo(&out); err != nil {
			t.Fatalf("DataTo: %v", err)
		}
		if out.Name != in.Name || out.ID != in.ID || !out.At.Equal(in.At) || out.Blob == nil || !bytes.Equal(out.Blob, in.Blob) || out.Where != in.Where || out.Owner == nil || out.Owner.Path() != "crews/apollo11" {
			t.Fatalf("DataTo gave %+v; want %+v", out, in)
		}
	})
}

// TestTypedQuery filters with typed operands: an int64 equality tells
// 2^53+1 from 2^53 (a double cannot), a timestamp range keeps instants to
// the microsecond (and before 1970), and order follows the values.
func TestTypedQuery(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		docs := db.Collection(uniqueName(t, transport, "typedquery"))
		base := time.Date(1969, 12, 31, 23, 59, 59, 999_998_000, time.UTC)
		batch := db.Batch()
		ids := []string{"a", "b", "c", "d"}
		for i, id := range ids {
			// ids 2^53, 2^53+1, 2^53+2, 2^53+3; times a microsecond apart, across 1970.
			batch.Set(docs.Doc(id), map[string]any{"n": int64(1)<<53 + int64(i), "at": base.Add(time.Duration(i) * time.Microsecond)})
		}
		if _, err := batch.CommitAtomic(ctx(t)); err != nil {
			t.Fatalf("CommitAtomic: %v", err)
		}
		idsOf := func(q *impossibledb.Query) []string {
			t.Helper()
			snaps, err := q.GetAll(ctx(t))
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			var out []string
			for _, s := range snaps {
				out = append(out, s.Ref.ID)
			}
			return out
		}
		if got := idsOf(docs.Query().Where("n", "==", int64(1)<<53+1)); !reflect.DeepEqual(got, []string{"b"}) {
			t.Fatalf("n == 2^53+1 matched %v, want [b]", got)
		}
		if got := idsOf(docs.Query().Where("n", "in", []any{int64(1) << 53, int64(1)<<53 + 3})); !reflect.DeepEqual(got, []string{"a", "d"}) {
			t.Fatalf("n in [2^53, 2^53+3] matched %v, want [a d]", got)
		}
		// 1970-01-01T00:00:00Z is c's time; b is a microsecond before it.
		epoch := time.Unix(0, 0).UTC()
		if got := idsOf(docs.Query().Where("at", ">=", epoch).OrderBy("at", impossibledb.Desc)); !reflect.DeepEqual(got, []string{"d", "c"}) {
			t.Fatalf("at >= 1970 descending matched %v, want [d c]", got)
		}
		if got := idsOf(docs.Query().Where("at", "<", epoch).OrderBy("n", impossibledb.Desc)); !reflect.DeepEqual(got, []string{"b", "a"}) {
			t.Fatalf("at < 1970 by n descending matched %v, want [b a]", got)
		}
	})
}

// TestTypedAggregationsAndIncrements: SUM of integers past 2^53 is an exact
// int64, MIN and MAX of timestamps are times, COUNT is an int64, and an
// integer increment stays exact past 2^53 and fails past int64.
func TestTypedAggregationsAndIncrements(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		docs := db.Collection(uniqueName(t, transport, "typedsum"))
		first := time.Date(1900, 1, 1, 0, 0, 0, 1000, time.UTC)
		last := time.Date(2100, 1, 1, 0, 0, 0, 999_000, time.UTC)
		values := []int64{1<<61 + 1, 1<<61 + 2, 1<<61 + 3}
		for i, n := range values {
			at := []time.Time{first, last, time.Unix(0, 0)}[i]
			if _, err := docs.Doc(string(rune('a'+i))).Set(ctx(t), map[string]any{"n": n, "at": at}); err != nil {
				t.Fatalf("Set: %v", err)
			}
		}
		groups, err := docs.Query().Aggregate(ctx(t), impossibledb.Sum("total", "n"), impossibledb.Count("count"), impossibledb.Min("first", "at"), impossibledb.Max("last", "at"))
		if err != nil {
			t.Fatalf("Aggregate: %v", err)
		}
		r := groups[0].Results
		if want := int64(3<<61 + 6); r["total"] != want {
			t.Fatalf("SUM = %#v, want int64 %d exactly", r["total"], want)
		}
		if r["count"] != int64(3) {
			t.Fatalf("COUNT = %#v, want int64 3", r["count"])
		}
		if f, ok := r["first"].(time.Time); !ok || !f.Equal(first) {
			t.Fatalf("MIN(at) = %#v, want %v", r["first"], first)
		}
		if l, ok := r["last"].(time.Time); !ok || !l.Equal(last) {
			t.Fatalf("MAX(at) = %#v, want %v", r["last"], last)
		}
		if n, err := docs.Query().Where("n", ">", int64(1)<<61+1).Count(ctx(t)); err != nil || n != 2 {
			t.Fatalf("Count(n > 2^61+1) = %d, %v; want 2", n, err)
		}

		counter := docs.Doc("counter")
		if _, err := counter.Set(ctx(t), map[string]any{"n": int64(1) << 53}); err != nil {
			t.Fatalf("Set: %v", err)
		}
		for range 3 {
			if _, err := counter.Update(ctx(t), map[string]any{}, impossibledb.Increment("n", 1)); err != nil {
				t.Fatalf("Increment: %v", err)
			}
		}
		snap, err := counter.Update(ctx(t), map[string]any{}, impossibledb.ServerTimestamp("at"))
		if err != nil {
			t.Fatalf("ServerTimestamp: %v", err)
		}
		if got := snap.Data()["n"]; got != int64(1)<<53+3 {
			t.Fatalf("2^53 + 3 increments of 1 = %#v, want int64 %d", got, int64(1)<<53+3)
		}
		if at, ok := snap.Data()["at"].(time.Time); !ok || !at.Equal(snap.UpdateTime) {
			t.Fatalf("the server timestamp is %#v, want the update time %v as a time.Time", snap.Data()["at"], snap.UpdateTime)
		}
		// The same transforms ride on the writes of batches and transactions.
		if _, err := db.Batch().Update(counter, map[string]any{}, impossibledb.Increment("n", int64(10))).CommitAtomic(ctx(t)); err != nil {
			t.Fatalf("a batch with an increment: %v", err)
		}
		err = db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error {
			return tx.Update(counter, map[string]any{}, impossibledb.Increment("n", int64(100)))
		})
		if err != nil {
			t.Fatalf("a transaction with an increment: %v", err)
		}
		if snap, err := counter.Get(ctx(t)); err != nil || snap.Data()["n"] != int64(1)<<53+113 {
			t.Fatalf("after a batch and a transaction increment n = %#v, %v; want int64 %d", snap.Data()["n"], err, int64(1)<<53+113)
		}
		if _, err := counter.Set(ctx(t), map[string]any{"n": int64(math.MaxInt64)}); err != nil {
			t.Fatalf("Set: %v", err)
		}
		_, err = counter.Update(ctx(t), map[string]any{}, impossibledb.Increment("n", 1))
		if !errors.Is(err, impossibledb.ErrOutOfRange) {
			t.Fatalf("MaxInt64 + 1: %v; want ErrOutOfRange", err)
		}
		if snap, err := counter.Get(ctx(t)); err != nil || snap.Data()["n"] != int64(math.MaxInt64) {
			t.Fatalf("after the refused increment n = %#v, %v; want MaxInt64 unchanged", snap.Data()["n"], err)
		}
	})
}

// TestArrayUnionAndArrayRemove: the array transforms add what an array
// lacks and remove every equal element, with typed elements (an int64
// past 2^53 stays exact, a time.Time a timestamp), through a single write,
// a batch and a transaction; a value that cannot be stored is refused
// before anything is sent.
func TestArrayUnionAndArrayRemove(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		doc := db.Collection(uniqueName(t, transport, "arrays")).Doc("a")
		big := int64(1)<<53 + 1
		at := time.Date(2026, 12, 1, 8, 0, 0, 1000, time.UTC)
		if _, err := doc.Set(ctx(t), map[string]any{"tags": []any{"x", big}}, impossibledb.ArrayUnion("seen", at)); err != nil {
			t.Fatalf("Set with ArrayUnion: %v", err)
		}
		snap, err := doc.Update(ctx(t), map[string]any{}, impossibledb.ArrayUnion("tags", "x", "y", big, int64(1)<<53), impossibledb.ArrayRemove("seen", at))
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if got, want := snap.Data()["tags"], []any{"x", big, "y", int64(1) << 53}; !reflect.DeepEqual(got, want) {
			t.Fatalf("tags after ArrayUnion = %#v; want %#v", got, want)
		}
		if got := snap.Data()["seen"]; !reflect.DeepEqual(got, []any{}) {
			t.Fatalf("seen after ArrayRemove of its only element = %#v; want []", got)
		}
		if _, err := db.Batch().Update(doc, map[string]any{}, impossibledb.ArrayRemove("tags", "x", big)).CommitAtomic(ctx(t)); err != nil {
			t.Fatalf("batch ArrayRemove: %v", err)
		}
		if err := db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error {
			return tx.Update(doc, map[string]any{}, impossibledb.ArrayUnion("tags", "z"))
		}); err != nil {
			t.Fatalf("transaction ArrayUnion: %v", err)
		}
		if snap, err := doc.Get(ctx(t)); err != nil || !reflect.DeepEqual(snap.Data()["tags"], []any{"y", int64(1) << 53, "z"}) {
			t.Fatalf("tags = %#v, %v; want [y 2^53 z]", snap.Data()["tags"], err)
		}
		var ve *impossibledb.ValueError
		if _, err := doc.Update(ctx(t), map[string]any{}, impossibledb.ArrayUnion("tags", "ok", math.NaN())); !errors.As(err, &ve) || ve.Path != "[1]" {
			t.Fatalf("ArrayUnion with NaN: %v; want a ValueError at [1]", err)
		}
	})
}
