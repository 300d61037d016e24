package impossibledb

// Typed values: the Go types for what JSON lacks (GeoPoint here; time.Time,
// []byte, integer types and DocumentRef are Go's own or the client's), and
// the choice between the two wire forms of a document or an operand.
//
// The contract (proto/impossibledb/v1/document.proto, Value) keeps the
// JSON-style form (google.protobuf.Struct) for values it can carry exactly
// and adds a typed form for the rest. A request carries one form or the
// other, never both, so the client sends the JSON form when every value
// fits it (a document of strings, doubles, booleans...) and the typed form
// as soon as one value does not (an integer, a timestamp, bytes, a
// reference, a geo point, at any depth).

import (
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// GeoPoint is a point on the earth, stored as a geo point value: Lat from
// -90 to 90 and Lng from -180 to 180 degrees (the server refuses others
// with INVALID_ARGUMENT; the client refuses NaN and ±Inf). Its json tags
// match the JSON form a reader of `data` sees, {"latitude": ..,
// "longitude": ..}, so DataTo fills a GeoPoint field of a struct.
type GeoPoint struct {
	Lat float64 `json:"latitude"`
	Lng float64 `json:"longitude"`
}

// TimestampYearMin and TimestampYearMax bound the instants a timestamp
// value holds (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, as
// Firestore and the contract say); the client refuses times outside.
const (
	TimestampYearMin = 1
	TimestampYearMax = 9999
)

func nullValue() *v1.Value {
	return &v1.Value{Kind: &v1.Value_NullValue{NullValue: structpb.NullValue_NULL_VALUE}}
}

func stringValue(s string) *v1.Value { return &v1.Value{Kind: &v1.Value_StringValue{StringValue: s}} }

func integerValue(n int64) *v1.Value { return &v1.Value{Kind: &v1.Value_IntegerValue{IntegerValue: n}} }

func mapOf(fields map[string]*v1.Value) *v1.Value {
	return &v1.Value{Kind: &v1.Value_MapValue{MapValue: &v1.MapValue{Fields: fields}}}
}

func arrayOf(values []*v1.Value) *v1.Value {
	return &v1.Value{Kind: &v1.Value_ArrayValue{ArrayValue: &v1.ArrayValue{Values: values}}}
}

// encodeTime is a timestamp value, refusing what the contract would refuse
// or change: nanoseconds that are not whole microseconds (rounding them
// away silently would make a time read back unequal to the one written)
// and years outside TimestampYearMin..TimestampYearMax.
func encodeTime(where string, path []segment, t time.Time) (*v1.Value, error) {
	fail := func(format string, args ...any) (*v1.Value, error) {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf(format, args...)}
	}
	if t.Nanosecond()%1000 != 0 {
		return fail("is the time %s, finer than a microsecond; timestamps are stored to the microsecond: use t.Truncate(time.Microsecond) or t.Round(time.Microsecond)", t.Format(time.RFC3339Nano))
	}
	if y := t.UTC().Year(); y < TimestampYearMin || y > TimestampYearMax {
		return fail("is the time %s, outside years %d to %d", t.UTC().Format(time.RFC3339Nano), TimestampYearMin, TimestampYearMax)
	}
	return &v1.Value{Kind: &v1.Value_TimestampValue{TimestampValue: timestamppb.New(t)}}, nil
}

// encodeGeoPoint refuses coordinates that are not finite; their range is
// the server's to check, with the contract's message.
func encodeGeoPoint(where string, path []segment, p GeoPoint) (*v1.Value, error) {
	if math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0) || math.IsNaN(p.Lng) || math.IsInf(p.Lng, 0) {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("is the geo point (%v, %v); its coordinates must be finite", p.Lat, p.Lng)}
	}
	return &v1.Value{Kind: &v1.Value_GeoPointValue{GeoPointValue: &v1.GeoPoint{Latitude: p.Lat, Longitude: p.Lng}}}, nil
}

// isTyped reports whether a value (at its top, not inside) is one the JSON
// form cannot carry exactly.
func isTyped(v *v1.Value) bool {
	switch v.GetKind().(type) {
	case *v1.Value_IntegerValue, *v1.Value_TimestampValue, *v1.Value_BytesValue, *v1.Value_ReferenceValue, *v1.Value_GeoPointValue:
		return true
	}
	return false
}

// firstTyped is the path of a value the JSON form cannot carry, anywhere
// inside v, or false when there is none. Its depth is bounded by the
// encoder's ValueDepthMax.
func firstTyped(v *v1.Value, path []segment) ([]segment, bool) {
	if isTyped(v) {
		return path, true
	}
	switch k := v.GetKind().(type) {
	case *v1.Value_ArrayValue:
		for i, item := range k.ArrayValue.GetValues() {
			if p, ok := firstTyped(item, append(path[:len(path):len(path)], segment{index: i})); ok {
				return p, true
			}
		}
	case *v1.Value_MapValue:
		for name, item := range k.MapValue.GetFields() {
			if p, ok := firstTyped(item, append(path[:len(path):len(path)], segment{name: name, index: -1})); ok {
				return p, true
			}
		}
	}
	return nil, false
}

// jsonValue converts a value holding no typed-only value (firstTyped found
// none) into the JSON form.
func jsonValue(v *v1.Value) *structpb.Value {
	switch k := v.GetKind().(type) {
	case *v1.Value_BooleanValue:
		return structpb.NewBoolValue(k.BooleanValue)
	case *v1.Value_DoubleValue:
		return structpb.NewNumberValue(k.DoubleValue)
	case *v1.Value_StringValue:
		return structpb.NewStringValue(k.StringValue)
	case *v1.Value_ArrayValue:
		values := make([]*structpb.Value, len(k.ArrayValue.GetValues()))
		for i, item := range k.ArrayValue.GetValues() {
			values[i] = jsonValue(item)
		}
		return structpb.NewListValue(&structpb.ListValue{Values: values})
	case *v1.Value_MapValue:
		return structpb.NewStructValue(jsonStruct(k.MapValue.GetFields()))
	}
	return structpb.NewNullValue()
}

func jsonStruct(fields map[string]*v1.Value) *structpb.Struct {
	out := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(fields))}
	for name, item := range fields {
		out.Fields[name] = jsonValue(item)
	}
	return out
}

// wireForms is a document's data in the one form its request carries:
// the JSON form (data) when every value fits it, else the typed form
// (fields); the other is nil.
func wireForms(fields map[string]*v1.Value) (data *structpb.Struct, typed map[string]*v1.Value) {
	if _, ok := firstTyped(mapOf(fields), nil); ok {
		return nil, fields
	}
	return jsonStruct(fields), nil
}

// operandForms is a query operand in the one form its filter carries, as
// wireForms.
func operandForms(v *v1.Value) (value *structpb.Value, typed *v1.Value) {
	if _, ok := firstTyped(v, nil); ok {
		return nil, v
	}
	return jsonValue(v), nil
}
