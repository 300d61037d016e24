package impossibledb

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// typedEdges are values at the edges of each type, with what Data must
// give back for each.
func typedEdges() map[string]any {
	return map[string]any{
		"maxInt64":     int64(math.MaxInt64),
		"minInt64":     int64(math.MinInt64),
		"negMaxInt64":  -int64(math.MaxInt64),
		"twoTo53Plus1": int64(1)<<53 + 1,
		"double":       0.1,
		"wholeDouble":  float64(1 << 60),
		"before1970":   time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
		"micro":        time.Date(2026, 11, 30, 15, 4, 5, 123_456_000, time.UTC),
		"year1":        time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		"year9999":     time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
		"emptyBytes":   []byte{},
		"bytes":        []byte{0, 1, 0xfe, 0xff},
		"geo":          GeoPoint{Lat: -33.8688, Lng: 151.2093},
		"ref":          &DocumentRef{Collection: "users", ID: "alice"},
		"null":         nil,
		"bool":         true,
		"text":         "é😀",
		"nested":       []any{[]any{int64(1), []any{}}, map[string]any{"m": map[string]any{"t": time.Date(2000, 2, 29, 0, 0, 0, 1000, time.UTC)}}},
		"emptyMap":     map[string]any{},
	}
}

// sameValue compares what Data gave with what was written: references by
// their path (Data binds them to the client), everything else deeply.
func sameValue(got, want any) bool {
	if w, ok := want.(*DocumentRef); ok {
		g, ok := got.(*DocumentRef)
		return ok && g.Collection == w.Collection && g.ID == w.ID
	}
	if w, ok := want.([]any); ok {
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	if w, ok := want.(map[string]any); ok {
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range w {
			if !sameValue(g[k], w[k]) {
				return false
			}
		}
		return true
	}
	if w, ok := want.(time.Time); ok {
		g, ok := got.(time.Time)
		return ok && g.Equal(w) && g.Location() == time.UTC
	}
	return reflect.DeepEqual(got, want)
}

// TestTypedRoundTrip: every type at its edges, encoded as a write sends it
// and decoded as a read gives it back, is the same Go value and type.
func TestTypedRoundTrip(t *testing.T) {
	in := typedEdges()
	fields, err := encodeFields("t/x", in)
	if err != nil {
		t.Fatal(err)
	}
	data, typed := wireForms(fields)
	if data != nil || typed == nil {
		t.Fatalf("wireForms of typed values gave the JSON form")
	}
	snap := &DocumentSnapshot{Ref: &DocumentRef{Collection: "t", ID: "x"}, Exists: true, fields: typed}
	out := snap.Data()
	for name, want := range in {
		if !sameValue(out[name], want) {
			t.Errorf("%s: read back %#v (%T), wrote %#v (%T)", name, out[name], out[name], want, want)
		}
	}
	if got := out["emptyBytes"].([]byte); got == nil || len(got) != 0 {
		t.Errorf("empty bytes read back as %#v; want a non-nil empty []byte", got)
	}
}

// TestTypedWireValues checks the exact wire values of the edges: int64
// bounds, 2^53+1 (which a double would round to 2^53), microseconds before
// 1970 (a negative seconds with positive nanos, as protobuf's Timestamp
// has it).
func TestTypedWireValues(t *testing.T) {
	fields, err := encodeFields("t/x", typedEdges())
	if err != nil {
		t.Fatal(err)
	}
	if fields["maxInt64"].GetIntegerValue() != math.MaxInt64 || fields["minInt64"].GetIntegerValue() != math.MinInt64 {
		t.Fatalf("int64 bounds encoded as %v, %v", fields["maxInt64"], fields["minInt64"])
	}
	if fields["twoTo53Plus1"].GetIntegerValue() != 9007199254740993 {
		t.Fatalf("2^53+1 encoded as %v", fields["twoTo53Plus1"])
	}
	if ts := fields["before1970"].GetTimestampValue(); ts.GetSeconds() != -1 || ts.GetNanos() != 999_999_000 {
		t.Fatalf("1969-12-31T23:59:59.999999Z encoded as %v; want seconds -1, nanos 999999000", ts)
	}
	if ts := fields["year1"].GetTimestampValue(); ts.GetSeconds() != -62135596800 {
		t.Fatalf("year 1 encoded as %v", ts)
	}
	if fields["wholeDouble"].GetDoubleValue() != 1<<60 || fields["double"].GetDoubleValue() != 0.1 {
		t.Fatalf("doubles encoded as %v, %v; want doubles", fields["wholeDouble"], fields["double"])
	}
	if b, ok := fields["emptyBytes"].GetKind().(*v1.Value_BytesValue); !ok || len(b.BytesValue) != 0 {
		t.Fatalf("empty bytes encoded as %v", fields["emptyBytes"])
	}
	if r := fields["ref"].GetReferenceValue(); r.GetCollection() != "users" || r.GetId() != "alice" {
		t.Fatalf("reference encoded as %v", fields["ref"])
	}
	if g := fields["geo"].GetGeoPointValue(); g.GetLatitude() != -33.8688 || g.GetLongitude() != 151.2093 {
		t.Fatalf("geo point encoded as %v", fields["geo"])
	}
	if null := fields["null"].GetKind(); null == nil {
		t.Fatalf("nil encoded as an unset value")
	}
}

// TestJSONOnlyDocumentsKeepTheJSONForm: a document of strings, doubles,
// booleans, nulls, lists and maps is sent as data (as before typed values),
// and one typed value anywhere, however deep, sends the typed form.
func TestJSONOnlyDocumentsKeepTheJSONForm(t *testing.T) {
	doc := map[string]any{"name": "a", "score": 1.5, "on": true, "x": nil, "tags": []any{"a", map[string]any{"b": 2.0}}}
	w, err := writeProto("Set t/x", &DocumentRef{Collection: "t", ID: "x"}, opSet, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.GetSet() == nil || w.GetSetFields() != nil || w.GetSet().GetFields()["score"].GetNumberValue() != 1.5 {
		t.Fatalf("a JSON-only document was sent as %v; want set (the JSON form)", w)
	}
	doc["tags"] = []any{"a", map[string]any{"b": []any{time.Unix(0, 0)}}}
	for kind, check := range map[writeKind]func(*v1.Write) bool{
		opSet:    func(w *v1.Write) bool { return w.GetSetFields() != nil && w.GetSet() == nil },
		opCreate: func(w *v1.Write) bool { return w.GetCreateFields() != nil && w.GetCreate() == nil },
		opUpdate: func(w *v1.Write) bool { return w.GetUpdate().GetFields() != nil && w.GetUpdate().GetData() == nil },
	} {
		w, err := writeProto("write t/x", &DocumentRef{Collection: "t", ID: "x"}, kind, doc, nil)
		if err != nil || !check(w) {
			t.Fatalf("a document with a timestamp deep inside, write kind %d: %v, %v; want the typed form only", kind, w, err)
		}
	}
}

// TestDataToTypedStruct: DataTo fills int64, time.Time, []byte, GeoPoint
// and *DocumentRef fields exactly (an int64 beyond 2^53 keeps every digit).
func TestDataToTypedStruct(t *testing.T) {
	type event struct {
		ID    int64        `json:"id"`
		At    time.Time    `json:"at"`
		Blob  []byte       `json:"blob"`
		Where GeoPoint     `json:"where"`
		Owner *DocumentRef `json:"owner"`
		Score float64      `json:"score"`
		Tags  []string     `json:"tags"`
	}
	in := event{ID: math.MaxInt64, At: time.Date(1969, 7, 20, 20, 17, 40, 123_456_000, time.UTC), Blob: []byte{0, 255}, Where: GeoPoint{Lat: 90, Lng: -180}, Owner: &DocumentRef{Collection: "users", ID: "neil"}, Score: 2.5, Tags: []string{"moon"}}
	fields, err := encodeFields("events/e", in)
	if err != nil {
		t.Fatal(err)
	}
	var out event
	snap := &DocumentSnapshot{Ref: &DocumentRef{Collection: "events", ID: "e"}, Exists: true, fields: fields}
	if err := snap.DataTo(&out); err != nil {
		t.Fatal(err)
	}
	if out.ID != in.ID || !out.At.Equal(in.At) || !bytes.Equal(out.Blob, in.Blob) || out.Where != in.Where || out.Owner == nil || out.Owner.Path() != "users/neil" || out.Score != 2.5 || len(out.Tags) != 1 {
		t.Fatalf("DataTo gave %+v; want %+v", out, in)
	}
}

// TestWhereSendsTypedOperands: an operand holding a typed value goes in
// typed_value (and not value); a JSON operand stays in value.
func TestWhereSendsTypedOperands(t *testing.T) {
	q := (&CollectionRef{name: "events"}).Query().
		Where("at", ">=", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).
		Where("id", "in", []any{int64(1)<<53 + 1, 2.5}).
		Where("name", "==", "x")
	filters := q.proto().GetWhere().GetCompositeFilter().GetFilters()
	at, in, name := filters[0].GetFieldFilter(), filters[1].GetFieldFilter(), filters[2].GetFieldFilter()
	if at.GetValue() != nil || at.GetTypedValue().GetTimestampValue().AsTime().Year() != 2026 {
		t.Fatalf("a time operand was sent as %v", at)
	}
	ids := in.GetTypedValue().GetArrayValue().GetValues()
	if in.GetValue() != nil || len(ids) != 2 || ids[0].GetIntegerValue() != 9007199254740993 || ids[1].GetDoubleValue() != 2.5 {
		t.Fatalf("an in list with an integer was sent as %v", in)
	}
	if name.GetTypedValue() != nil || name.GetValue().GetStringValue() != "x" {
		t.Fatalf("a string operand was sent as %v; want value", name)
	}
	if _, err := (&CollectionRef{name: "e"}).Query().Where("at", "==", time.Unix(0, 1)).GetAll(t.Context()); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a time with nanoseconds as an operand: %v; want ErrInvalidArgument", err)
	}
}

// TestTransformsAreTyped: Increment with an integer sends an integer
// typed_increment, with a float a double; ServerTimestamp the typed form;
// a non-number is refused before sending.
func TestTransformsAreTyped(t *testing.T) {
	ref := &DocumentRef{Collection: "c", ID: "d"}
	w, err := writeProto("Update c/d", ref, opUpdate, map[string]any{}, []WriteOption{Increment("n", int64(1)<<62), Increment("f", 0.5), Maximum("hi", 3), Minimum("lo", int8(-3)), ServerTimestamp("at")})
	if err != nil {
		t.Fatal(err)
	}
	tr := w.GetTransforms()
	if len(tr) != 5 || tr[0].GetTypedIncrement().GetIntegerValue() != 1<<62 || tr[1].GetTypedIncrement().GetDoubleValue() != 0.5 ||
		tr[2].GetTypedMaximum().GetIntegerValue() != 3 || tr[3].GetTypedMinimum().GetIntegerValue() != -3 || tr[4].GetTypedServerTimestamp() == nil {
		t.Fatalf("transforms sent as %v", tr)
	}
	if _, err := writeProto("Update c/d", ref, opUpdate, map[string]any{}, []WriteOption{Increment("n", "1")}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Increment with a string: %v; want ErrInvalidArgument", err)
	}
	if _, err := writeProto("Delete c/d", ref, opDelete, nil, []WriteOption{Increment("n", 1)}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a delete with a transform: %v; want ErrInvalidArgument", err)
	}
}

// TestAggregationGroupsDecodeTyped: typed results win over the JSON ones
// (a SUM of integers is an exact int64), and a group without typed results
// reads the JSON ones.
func TestAggregationGroupsDecodeTyped(t *testing.T) {
	c := &Client{}
	g := c.aggregationGroup(&v1.AggregationGroup{
		Key:          []*structpb.Value{structpb.NewNumberValue(9007199254740992)},
		Results:      map[string]*structpb.Value{"total": structpb.NewNumberValue(9007199254740992)},
		TypedKey:     []*v1.Value{integerValue(9007199254740993)},
		TypedResults: map[string]*v1.Value{"total": integerValue(9007199254740993), "first": {Kind: &v1.Value_TimestampValue{}}},
	})
	if g.Key[0] != int64(9007199254740993) || g.Results["total"] != int64(9007199254740993) {
		t.Fatalf("typed group decoded as %+v; want the exact int64s", g)
	}
	if _, ok := g.Results["first"].(time.Time); !ok {
		t.Fatalf("a timestamp MIN decoded as %T", g.Results["first"])
	}
	g = c.aggregationGroup(&v1.AggregationGroup{Results: map[string]*structpb.Value{"n": structpb.NewNumberValue(3)}})
	if g.Results["n"] != float64(3) {
		t.Fatalf("a JSON-only group decoded as %+v", g)
	}
}

// TestCountsAreIntegers: a COUNT is an int64 whichever form the server
// answered it in (it sends a double), while an AVG of 3 stays a float64.
func TestCountsAreIntegers(t *testing.T) {
	group := (&Client{}).aggregationGroup(&v1.AggregationGroup{TypedResults: map[string]*v1.Value{
		"n":    {Kind: &v1.Value_DoubleValue{DoubleValue: 3}},
		"mean": {Kind: &v1.Value_DoubleValue{DoubleValue: 3}},
	}})
	countsAsIntegers(group, []Aggregation{Count("n"), Avg("mean", "x")})
	if group.Results["n"] != int64(3) || group.Results["mean"] != float64(3) {
		t.Fatalf("results %#v; want n int64 3 and mean float64 3", group.Results)
	}
}
