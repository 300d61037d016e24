package impossibledb

// Reading typed values back: into Go's natural types for Data, and into
// the JSON that DataTo hands to encoding/json.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// decodeValue is a typed value as a Go value: nil, bool, int64 (integer),
// float64 (double), time.Time in UTC (timestamp), string, []byte (bytes,
// never nil), *DocumentRef (reference, bound to c so its methods work),
// GeoPoint, []any (array) or map[string]any (map).
func decodeValue(c *Client, v *v1.Value) any {
	switch k := v.GetKind().(type) {
	case *v1.Value_BooleanValue:
		return k.BooleanValue
	case *v1.Value_IntegerValue:
		return k.IntegerValue
	case *v1.Value_DoubleValue:
		return k.DoubleValue
	case *v1.Value_TimestampValue:
		return k.TimestampValue.AsTime().UTC()
	case *v1.Value_StringValue:
		return k.StringValue
	case *v1.Value_BytesValue:
		return append([]byte{}, k.BytesValue...)
	case *v1.Value_ReferenceValue:
		return &DocumentRef{client: c, Collection: k.ReferenceValue.GetCollection(), ID: k.ReferenceValue.GetId()}
	case *v1.Value_GeoPointValue:
		return GeoPoint{Lat: k.GeoPointValue.GetLatitude(), Lng: k.GeoPointValue.GetLongitude()}
	case *v1.Value_ArrayValue:
		out := make([]any, len(k.ArrayValue.GetValues()))
		for i, item := range k.ArrayValue.GetValues() {
			out[i] = decodeValue(c, item)
		}
		return out
	case *v1.Value_MapValue:
		return decodeFields(c, k.MapValue.GetFields())
	}
	return nil
}

func decodeFields(c *Client, fields map[string]*v1.Value) map[string]any {
	out := make(map[string]any, len(fields))
	for name, item := range fields {
		out[name] = decodeValue(c, item)
	}
	return out
}

// jsonOf is a typed value as JSON that encoding/json decodes into the
// natural Go types: integers as their exact decimal text (so an int64
// field gets every digit), doubles as numbers, timestamps as RFC 3339 text
// (time.Time's UnmarshalJSON reads it), bytes as base64 (as []byte
// expects), references as "collection/id" (DocumentRef's UnmarshalText
// reads it), geo points as {"latitude", "longitude"} (GeoPoint's tags).
func jsonOf(v *v1.Value) any {
	switch k := v.GetKind().(type) {
	case *v1.Value_BooleanValue:
		return k.BooleanValue
	case *v1.Value_IntegerValue:
		return json.Number(strconv.FormatInt(k.IntegerValue, 10))
	case *v1.Value_DoubleValue:
		return k.DoubleValue
	case *v1.Value_TimestampValue:
		return k.TimestampValue.AsTime().UTC().Format(time.RFC3339Nano)
	case *v1.Value_StringValue:
		return k.StringValue
	case *v1.Value_BytesValue:
		return k.BytesValue
	case *v1.Value_ReferenceValue:
		return k.ReferenceValue.GetCollection() + "/" + k.ReferenceValue.GetId()
	case *v1.Value_GeoPointValue:
		return map[string]any{"latitude": k.GeoPointValue.GetLatitude(), "longitude": k.GeoPointValue.GetLongitude()}
	case *v1.Value_ArrayValue:
		out := make([]any, len(k.ArrayValue.GetValues()))
		for i, item := range k.ArrayValue.GetValues() {
			out[i] = jsonOf(item)
		}
		return out
	case *v1.Value_MapValue:
		out := make(map[string]any, len(k.MapValue.GetFields()))
		for name, item := range k.MapValue.GetFields() {
			out[name] = jsonOf(item)
		}
		return out
	}
	return nil
}

// decodeFieldsInto stores typed fields into v as encoding/json would
// decode their JSON (see jsonOf).
func decodeFieldsInto(where string, fields map[string]*v1.Value, v any) error {
	text, err := json.Marshal(jsonOf(mapOf(fields)))
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := json.Unmarshal(text, v); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// UnmarshalText reads "collection/id", the JSON form of a reference, so a
// *DocumentRef field of a struct is filled by DataTo. The result has no
// client: name it in batches, transactions and GetAll, or call
// client.Collection(ref.Collection).Doc(ref.ID) for its methods.
func (d *DocumentRef) UnmarshalText(text []byte) error {
	collection, id, ok := strings.Cut(string(text), "/")
	if !ok || collection == "" || id == "" {
		return fmt.Errorf("impossibledb: %q is not a reference (collection/id)", text)
	}
	d.Collection, d.ID = collection, id
	return nil
}
