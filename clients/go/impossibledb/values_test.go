package impossibledb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

type address struct {
	City string `json:"city"`
	Zip  string `json:"zip,omitempty"`
}

type Audit struct {
	CreatedBy string `json:"createdBy"`
}

type person struct {
	Audit             // embedded: its fields sit beside the others
	Name     string   `json:"name"`
	Age      int      `json:"age"`
	Tags     []string `json:"tags"`
	Address  *address `json:"address"`
	Nickname string   `json:"nickname,omitempty"`
	Secret   string   `json:"-"`
	Score    float64
	internal int
}

func TestEncodeStructFollowsJSONTags(t *testing.T) {
	p := person{Audit: Audit{CreatedBy: "ops"}, Name: "Alice", Age: 30, Tags: []string{"a"}, Address: &address{City: "Lisbon"}, Secret: "s", Score: 1.5, internal: 7}
	got, err := encodeData("users/alice", p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := structpb.NewStruct(map[string]any{
		"createdBy": "ops", "name": "Alice", "age": 30, "tags": []any{"a"},
		"address": map[string]any{"city": "Lisbon"}, "Score": 1.5,
	})
	if !proto.Equal(got, want) {
		t.Fatalf("encoded %v\nwant    %v", got, want)
	}
	// The same bytes encoding/json would produce, field for field.
	viaJSON, _ := json.Marshal(p)
	var fromJSON map[string]any
	_ = json.Unmarshal(viaJSON, &fromJSON)
	if !proto.Equal(got, mustStruct(t, fromJSON)) {
		t.Fatalf("encoded %v, encoding/json gives %s", got, viaJSON)
	}
}

func TestDataToRoundTrip(t *testing.T) {
	in := person{Name: "Bob", Age: 41, Tags: []string{"x", "y"}, Address: &address{City: "Porto", Zip: "4000"}}
	fields, err := encodeFields("users/bob", in)
	if err != nil {
		t.Fatal(err)
	}
	snap := &DocumentSnapshot{Ref: &DocumentRef{Collection: "users", ID: "bob"}, Exists: true, fields: fields}
	var out person
	if err := snap.DataTo(&out); err != nil {
		t.Fatal(err)
	}
	if out.Name != "Bob" || out.Age != 41 || len(out.Tags) != 2 || out.Address == nil || out.Address.Zip != "4000" {
		t.Fatalf("DataTo gave %+v", out)
	}
	if snap.Data()["age"] != int64(41) {
		t.Fatalf("Data()[age] = %#v, want int64(41): an int field is stored as an integer", snap.Data()["age"])
	}
}

func TestDataToRefusesFractionInIntField(t *testing.T) {
	data := mustStruct(t, map[string]any{"age": 30.5})
	snap := &DocumentSnapshot{Ref: &DocumentRef{Collection: "users", ID: "x"}, Exists: true, data: data}
	var out person
	err := snap.DataTo(&out)
	if err == nil || !strings.Contains(err.Error(), "age") {
		t.Fatalf("DataTo of 30.5 into an int field: %v; want an error naming the field", err)
	}
}

func TestDataToMissingIsNotFound(t *testing.T) {
	snap := &DocumentSnapshot{Ref: &DocumentRef{Collection: "users", ID: "x"}}
	var out person
	if err := snap.DataTo(&out); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DataTo of a missing document: %v; want ErrNotFound", err)
	}
}

func TestEncodeRefusesWhatTheWireWouldChange(t *testing.T) {
	type withTime struct {
		Born time.Time `json:"born"`
	}
	deep := map[string]any{}
	for node, i := deep, 0; i < ValueDepthMax+1; i++ {
		child := map[string]any{}
		node["d"] = child
		node = child
	}
	cases := []struct {
		name     string
		data     any
		wantPath string
		wantText string
	}{
		{"NaN in a nested map", map[string]any{"stats": map[string]any{"mean": math.NaN()}}, "stats.mean", "NaN"},
		{"+Inf in a list", map[string]any{"xs": []any{1.0, math.Inf(1)}}, "xs[1]", "+Inf"},
		{"uint64 beyond int64", map[string]any{"n": uint64(math.MaxUint64)}, "n", "18446744073709551615"},
		{"uint64 2^63", map[string]any{"n": uint64(1) << 63}, "n", "9223372036854775808"},
		{"MarshalJSON integer text beyond int64", map[string]any{"v": big{"18446744073709551616"}}, "v", "18446744073709551616"},
		{"a time finer than a microsecond", withTime{Born: time.Unix(0, 1500)}, "born", "microsecond"},
		{"a time in year 10000", map[string]any{"t": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "t", "years 1 to 9999"},
		{"a time before year 1", map[string]any{"t": time.Date(0, 12, 31, 23, 59, 59, 0, time.UTC)}, "t", "years 1 to 9999"},
		{"a geo point with NaN", map[string]any{"at": GeoPoint{Lat: math.NaN(), Lng: 0}}, "at", "finite"},
		{"int keys", map[string]any{"m": map[int]string{1: "a"}}, "m", "int keys"},
		{"a channel", map[string]any{"c": make(chan int)}, "c", "chan int"},
		{"a function", map[string]any{"f": func() {}}, "f", "func()"},
		{"complex", map[string]any{"z": complex(1, 2)}, "z", "complex128"},
		{"invalid UTF-8", map[string]any{"s": "\xff"}, "s", "UTF-8"},
		{"an odd key", map[string]any{"a.b": math.NaN()}, `["a.b"]`, "NaN"},
		{"too deep", deep, "d.d.d", "ValueDepthMax"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := encodeFields("users/alice", c.data)
			var ve *ValueError
			if !errors.As(err, &ve) {
				t.Fatalf("encodeData: %v; want a *ValueError", err)
			}
			if !strings.HasPrefix(ve.Path, c.wantPath) || !strings.Contains(err.Error(), c.wantText) || !strings.HasPrefix(err.Error(), "users/alice: ") {
				t.Fatalf("error %q (path %q); want path %q and text %q", err, ve.Path, c.wantPath, c.wantText)
			}
			if !errors.Is(err, ErrInvalidArgument) || Code(err) != connect.CodeInvalidArgument {
				t.Fatalf("error %v: errors.Is(ErrInvalidArgument) = %v, Code = %v; want true, invalid_argument", err, errors.Is(err, ErrInvalidArgument), Code(err))
			}
		})
	}
}

func TestEncodeAcceptsTheEdges(t *testing.T) {
	data := map[string]any{
		"maxSafe": int64(SafeIntegerMax), "minSafe": -int64(SafeIntegerMax), "fraction": 4503599627370495.5, "hugeFloat": 1.5e-300,
		"small": 0.1, "nil": nil, "nilSlice": []int(nil), "emoji": "😀", "nested": []any{map[string]any{"ok": true}},
	}
	got, err := encodeFields("t/x", data)
	if err != nil {
		t.Fatalf("encodeFields: %v", err)
	}
	if got["maxSafe"].GetIntegerValue() != SafeIntegerMax || got["minSafe"].GetIntegerValue() != -SafeIntegerMax || got["nilSlice"].GetNullValue() != structpb.NullValue_NULL_VALUE {
		t.Fatalf("encoded %v", got)
	}
}

// TestEncodeAcceptsWholeDoublesBeyond2To53: a float64 is a double already
// and travels exactly, however large, so a document another client stored
// with 1.7e308 in it can be written back unchanged (and queried for).
func TestEncodeAcceptsWholeDoublesBeyond2To53(t *testing.T) {
	values := map[string]float64{
		"huge": 1.7e308, "e21": 1e21, "avogadro": 6.02214076e23, "max": math.MaxFloat64,
		"negMax": -math.MaxFloat64, "e17": 1e17, "twoTo53": 1 << 53, "twoTo60": 1 << 60,
	}
	data := map[string]any{"f32": float32(1e30)}
	for k, v := range values {
		data[k] = v
	}
	got, err := encodeData("t/x", data)
	if err != nil {
		t.Fatalf("encodeData: %v; want whole doubles accepted", err)
	}
	for k, v := range values {
		if got.Fields[k].GetNumberValue() != v {
			t.Fatalf("field %s encoded as %v; want %v exactly", k, got.Fields[k], v)
		}
	}
	if got.Fields["f32"].GetNumberValue() != float64(float32(1e30)) {
		t.Fatalf("float32 encoded as %v", got.Fields["f32"])
	}
	if _, err := encodeOperand("where", 1.7e308); err != nil {
		t.Fatalf("encodeOperand(1.7e308): %v; want accepted", err)
	}
	if v, err := encodeOperand("where", int64(1)<<60); err != nil || v.GetIntegerValue() != 1<<60 {
		t.Fatalf("encodeOperand(int64(1<<60)): %v, %v; want the exact integer", v, err)
	}
	got, err = encodeData("t/x", map[string]any{"v": big{"1.7e308"}})
	if err != nil || got.Fields["v"].GetNumberValue() != 1.7e308 {
		t.Fatalf("a MarshalJSON producing 1.7e308: %v, %v; want accepted", got, err)
	}
}

func TestEncodeRefusesNonObjects(t *testing.T) {
	for _, data := range []any{nil, 42, "text", []any{1}} {
		if _, err := encodeData("t/x", data); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("encodeData(%#v): %v; want ErrInvalidArgument", data, err)
		}
	}
}

// big is a type with its own JSON: its output is checked like any value.
type big struct{ digits string }

func (b big) MarshalJSON() ([]byte, error) { return []byte(b.digits), nil }

func TestEncodeChecksMarshalJSONOutput(t *testing.T) {
	if _, err := encodeData("t/x", map[string]any{"v": big{"12345678901234567890"}}); err == nil || !strings.Contains(err.Error(), `field "v"`) {
		t.Fatalf("a MarshalJSON producing a 20-digit integer: %v; want refused naming v", err)
	}
	got, err := encodeFields("t/x", map[string]any{"v": big{`{"a":[1,2.5]}`}})
	a := got["v"].GetMapValue().GetFields()["a"].GetArrayValue().GetValues()
	if err != nil || len(a) != 2 || a[0].GetIntegerValue() != 1 || a[1].GetDoubleValue() != 2.5 {
		t.Fatalf("a MarshalJSON producing an object: %v, %v; want [integer 1, double 2.5]", got, err)
	}
}

func TestWhereOperandIsChecked(t *testing.T) {
	q := (&CollectionRef{name: "users"}).Query().Where("score", ">", math.NaN())
	if _, err := q.GetAll(t.Context()); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "score") {
		t.Fatalf("a NaN operand: %v; want ErrInvalidArgument naming the condition", err)
	}
	q = (&CollectionRef{name: "users"}).Query().Where("age", "=>", 3)
	if _, err := q.GetAll(t.Context()); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "=>") {
		t.Fatalf("an unknown operator: %v; want ErrInvalidArgument naming it", err)
	}
}

func TestOrderByRefusesUnknownDirections(t *testing.T) {
	for _, dir := range []Direction{Direction(2), Direction(-1)} {
		q := (&CollectionRef{name: "users"}).Query().OrderBy("age", dir)
		if _, err := q.GetAll(t.Context()); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "OrderBy(\"age\"") {
			t.Fatalf("direction %d: %v; want ErrInvalidArgument naming the call, not an ascending sort", dir, err)
		}
	}
	if q := (&CollectionRef{name: "users"}).Query().OrderBy("a", Asc).OrderBy("b", Desc); q.err != nil || len(q.orderBy) != 2 || q.orderBy[1].GetDirection().String() != "DIRECTION_DESCENDING" {
		t.Fatalf("Asc then Desc: %v %v", q.err, q.orderBy)
	}
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStringOptionRoundTrips: an int64 beyond 2^53 tagged ",string" is
// stored as its exact text and read back exactly.
func TestStringOptionRoundTrips(t *testing.T) {
	type account struct {
		ID     int64 `json:"id,string"`
		Active bool  `json:"active,string"`
	}
	in := account{ID: 1<<62 + 1, Active: true}
	data, err := encodeData("accounts/a", in)
	if err != nil {
		t.Fatal(err)
	}
	if data.Fields["id"].GetStringValue() != "4611686018427387905" || data.Fields["active"].GetStringValue() != "true" {
		t.Fatalf("encoded %v; want the ,string fields as text, as encoding/json writes them", data)
	}
	var out account
	if err := (&DocumentSnapshot{Ref: &DocumentRef{Collection: "accounts", ID: "a"}, Exists: true, data: data}).DataTo(&out); err != nil || out != in {
		t.Fatalf("DataTo: %+v, %v; want %+v", out, err, in)
	}
}

// TestEmbeddedFieldsFollowJSONDominance: the outer struct's own field wins
// over an embedded one of the same name, even when omitted; a nil embedded
// pointer adds nothing.
func TestEmbeddedFieldsFollowJSONDominance(t *testing.T) {
	type Base struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	type Extra struct {
		Note string `json:"note"`
	}
	type doc struct {
		Base
		*Extra
		Name string `json:"name,omitempty"`
	}
	for _, in := range []doc{{Base: Base{Name: "inner", Kind: "k"}, Name: "outer"}, {Base: Base{Name: "inner", Kind: "k"}}} {
		got, err := encodeData("t/x", in)
		if err != nil {
			t.Fatal(err)
		}
		viaJSON, _ := json.Marshal(in)
		var want map[string]any
		_ = json.Unmarshal(viaJSON, &want)
		if !proto.Equal(got, mustStruct(t, want)) {
			t.Fatalf("encoded %v, encoding/json gives %s", got, viaJSON)
		}
	}
}

// TestEncodeMatchesEncodingJSON builds random documents of the kinds the
// wire carries and checks that the client encodes each as encoding/json
// would. The seed is printed so a failure replays.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	random := rand.New(rand.NewPCG(seed, 0))
	var value func(depth int) any
	value = func(depth int) any {
		switch k := random.IntN(10); {
		case k == 0 || depth > 4:
			return random.Float64()*2e6 - 1e6
		case k == 1:
			return random.Int64N(2*SafeIntegerMax) - SafeIntegerMax
		case k == 2:
			return random.IntN(2) == 0
		case k == 3:
			return nil
		case k == 4:
			return string(rune('a'+random.IntN(26))) + "é😀"
		case k == 8:
			// A time to the microsecond, 0001 to 9999, UTC (encoding/json
			// writes it as RFC 3339 text, the timestamp's JSON form).
			return time.UnixMicro(random.Int64N(253402300800000000+62135596800000000) - 62135596800000000).UTC()
		case k == 9:
			b := make([]byte, random.IntN(5))
			for i := range b {
				b[i] = byte(random.IntN(256))
			}
			return b
		case k == 5:
			list := make([]any, random.IntN(4))
			for i := range list {
				list[i] = value(depth + 1)
			}
			return list
		default:
			m := map[string]any{}
			for i := range random.IntN(4) {
				m[fmt.Sprintf("k%d.%d", depth, i)] = value(depth + 1)
			}
			return m
		}
	}
	for range 500 {
		doc := map[string]any{"root": value(0)}
		got, err := encodeData("t/x", doc)
		if err != nil {
			t.Fatalf("seed %d: encodeData(%v): %v", seed, doc, err)
		}
		text, _ := json.Marshal(doc)
		var want map[string]any
		_ = json.Unmarshal(text, &want)
		if !proto.Equal(got, mustStruct(t, want)) {
			t.Fatalf("seed %d: encoded %v, encoding/json gives %s", seed, got, text)
		}
	}
}

// encodeData is a document's data in the JSON form a reader of `data`
// sees (integers as doubles, times as RFC 3339 text, bytes as base64),
// which is what encoding/json makes of the same Go values.
func encodeData(where string, data any) (*structpb.Struct, error) {
	fields, err := encodeFields(where, data)
	if err != nil {
		return nil, err
	}
	text, err := json.Marshal(jsonOf(mapOf(fields)))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(text, &m); err != nil {
		return nil, err
	}
	return structpb.NewStruct(m)
}
