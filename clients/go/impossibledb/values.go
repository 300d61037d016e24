package impossibledb

// The one gate every user value passes before it is put on the wire.
//
// Every value is first converted to the typed form (v1.Value), with the
// rules of encoding/json for structs (fields by their `json` tags,
// omitempty, "-", embedded structs flattened, nil slices and maps as null,
// the ",string" option) and Go's natural types for what JSON lacks:
//
//   - integer types (int, int8...int64, uint...uint64) -> integer (int64,
//     exact); a uint64 beyond 2^63 − 1 is refused.
//   - float32, float64 -> double; NaN and ±Inf are refused.
//   - time.Time -> timestamp, to the microsecond, years 1 to 9999; a time
//     with nanoseconds that are not whole microseconds is refused rather
//     than truncated.
//   - []byte -> bytes (a nil []byte is null).
//   - GeoPoint -> geo point; DocumentRef (or a pointer to one) -> reference.
//   - strings (valid UTF-8), bool, nil, slices and arrays, maps with string
//     keys, structs.
//
// What cannot be stored is refused with a *ValueError that names the field
// path: maps whose keys are not strings; channels, functions, complex
// numbers, unsafe pointers; nesting deeper than ValueDepthMax (which also
// stops pointer cycles). Types with a MarshalJSON method are converted
// through it, and the JSON they produce is checked by the same rules (a
// number written without a fraction or exponent is an integer).
//
// A document (or operand) whose values are all JSON values (null, bool,
// double, string, list, map) then travels in the JSON form
// (google.protobuf.Struct), as before typed values existed; one holding an
// integer, timestamp, bytes, reference or geo point anywhere travels in the
// typed form (see wireForms).

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	timeType          = reflect.TypeFor[time.Time]()
	geoPointType      = reflect.TypeFor[GeoPoint]()
	documentRefType   = reflect.TypeFor[DocumentRef]()
	identifier        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// encodeFields converts a document's data (a map with string keys, or a
// struct, or a pointer to one) into typed fields; where names the document
// in errors. A *structpb.Struct is taken as the JSON values it holds.
func encodeFields(where string, data any) (map[string]*v1.Value, error) {
	if s, ok := data.(*structpb.Struct); ok {
		data = s.AsMap()
	}
	v, err := encodeValue(where, nil, reflect.ValueOf(data), 1)
	if err != nil {
		return nil, err
	}
	m := v.GetMapValue()
	if m == nil {
		return nil, &ValueError{Where: where, Problem: fmt.Sprintf("is %s; document data must be a map with string keys or a struct", kindName(reflect.ValueOf(data)))}
	}
	return m.GetFields(), nil
}

// encodeOperand converts one value that is not a whole document (a query
// operand).
func encodeOperand(where string, value any) (*v1.Value, error) {
	return encodeValue(where, nil, reflect.ValueOf(value), 1)
}

// segment is one step of a field path: a map key or struct field name, or a
// list index.
type segment struct {
	name  string
	index int
}

func encodeValue(where string, path []segment, v reflect.Value, depth int) (*v1.Value, error) {
	fail := func(format string, args ...any) (*v1.Value, error) {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf(format, args...)}
	}
	if depth > ValueDepthMax {
		return fail("is nested more than ValueDepthMax (%d) levels deep (or refers back to itself)", ValueDepthMax)
	}
	if !v.IsValid() {
		return nullValue(), nil
	}
	switch v.Type() {
	case timeType:
		return encodeTime(where, path, v.Interface().(time.Time))
	case geoPointType:
		return encodeGeoPoint(where, path, v.Interface().(GeoPoint))
	case documentRefType:
		ref := v.Interface().(DocumentRef)
		return &v1.Value{Kind: &v1.Value_ReferenceValue{ReferenceValue: ref.proto()}}, nil
	}
	t := v.Type()
	if t.Implements(jsonMarshalerType) && !(v.Kind() == reflect.Pointer && v.IsNil()) {
		return encodeMarshaler(where, path, v, depth)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nullValue(), nil
		}
		return encodeValue(where, path, v.Elem(), depth)
	case reflect.Bool:
		return &v1.Value{Kind: &v1.Value_BooleanValue{BooleanValue: v.Bool()}}, nil
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return fail("is a string that is not valid UTF-8; it would arrive changed (U+FFFD)")
		}
		return stringValue(v.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return integerValue(v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if n := v.Uint(); n > math.MaxInt64 {
			return fail("is %d, beyond the largest integer (2^63 − 1); store it as a string", n)
		}
		return integerValue(int64(v.Uint())), nil
	case reflect.Float32, reflect.Float64:
		return encodeFloat(where, path, v.Float())
	case reflect.Map:
		return encodeMap(where, path, v, depth)
	case reflect.Slice:
		if v.IsNil() {
			return nullValue(), nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return &v1.Value{Kind: &v1.Value_BytesValue{BytesValue: append([]byte{}, v.Bytes()...)}}, nil
		}
		return encodeList(where, path, v, depth)
	case reflect.Array:
		return encodeList(where, path, v, depth)
	case reflect.Struct:
		fields := map[string]*v1.Value{}
		if err := encodeStruct(where, path, v, depth, fields); err != nil {
			return nil, err
		}
		return mapOf(fields), nil
	}
	return fail("is %s; only maps with string keys, structs, slices, strings, numbers, booleans, times, []byte, GeoPoint, DocumentRef and nil can be stored", kindName(v))
}

// encodeFloat passes any finite double: the wire carries it exactly, so
// even a whole one beyond 2^53 (1e21, 1.7e308) reads back as the same
// double.
func encodeFloat(where string, path []segment, f float64) (*v1.Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("is %v; only finite numbers can be stored", f)}
	}
	return &v1.Value{Kind: &v1.Value_DoubleValue{DoubleValue: f}}, nil
}

func encodeMap(where string, path []segment, v reflect.Value, depth int) (*v1.Value, error) {
	if v.Type().Key().Kind() != reflect.String {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("is a map with %s keys; field names must be strings", v.Type().Key())}
	}
	if v.IsNil() {
		return nullValue(), nil
	}
	fields := make(map[string]*v1.Value, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		key := iter.Key().String()
		child := append(path[:len(path):len(path)], segment{name: key, index: -1})
		if !utf8.ValidString(key) {
			return nil, &ValueError{Where: where, Path: pathText(child), Problem: "has a name that is not valid UTF-8"}
		}
		value, err := encodeValue(where, child, iter.Value(), depth+1)
		if err != nil {
			return nil, err
		}
		fields[key] = value
	}
	return mapOf(fields), nil
}

func encodeList(where string, path []segment, v reflect.Value, depth int) (*v1.Value, error) {
	values := make([]*v1.Value, v.Len())
	for i := range values {
		value, err := encodeValue(where, append(path[:len(path):len(path)], segment{index: i}), v.Index(i), depth+1)
		if err != nil {
			return nil, err
		}
		values[i] = value
	}
	return arrayOf(values), nil
}

// encodeStruct adds a struct's exported fields to out, named and skipped as
// encoding/json does. Embedded structs without a tag name are flattened
// into out after the struct's own fields, and a name the outer struct
// declares wins over an embedded one (json's rule); between two embedded
// structs that declare one name, the first wins (json would drop both).
func encodeStruct(where string, path []segment, v reflect.Value, depth int, out map[string]*v1.Value) error {
	t := v.Type()
	declared := map[string]bool{}
	var embedded []reflect.Value
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		fv := v.Field(i)
		if f.Anonymous && name == "" {
			if inner, ok := embeddedStruct(fv); ok {
				if inner.Kind() == reflect.Struct {
					embedded = append(embedded, inner)
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		declared[name] = true
		if hasOption(opts, "omitempty") && isEmpty(fv) || hasOption(opts, "omitzero") && fv.IsZero() {
			continue
		}
		if text, ok := exactIntegerText(fv, opts); ok {
			out[name] = stringValue(text)
			continue
		}
		value, err := encodeValue(where, append(path[:len(path):len(path)], segment{name: name, index: -1}), fv, depth+1)
		if err != nil {
			return err
		}
		if hasOption(opts, "string") {
			value = quoted(value)
		}
		out[name] = value
	}
	for _, inner := range embedded {
		fields := map[string]*v1.Value{}
		if err := encodeStruct(where, path, inner, depth+1, fields); err != nil {
			return err
		}
		for name, value := range fields {
			if _, taken := out[name]; !taken && !declared[name] {
				out[name] = value
			}
		}
	}
	return nil
}

func kindName(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	return "a " + v.Type().String()
}

// pathText spells a field path as `profile.born`, `tags[2]` or
// `a["x.y"]`: identifiers joined by dots, other names quoted in brackets.
func pathText(path []segment) string {
	var b strings.Builder
	for _, s := range path {
		switch {
		case s.index >= 0:
			fmt.Fprintf(&b, "[%d]", s.index)
		case identifier.MatchString(s.name):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		default:
			fmt.Fprintf(&b, "[%s]", strconv.Quote(s.name))
		}
	}
	return b.String()
}
