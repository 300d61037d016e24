package impossibledb

// The one gate every user value passes before it is put on the wire.
//
// Documents travel as google.protobuf.Struct: maps with string keys, lists,
// strings, booleans, null and IEEE-754 doubles, nothing else. The client
// converts Go values itself, with the rules of encoding/json (struct fields
// by their `json` tags, omitempty, "-", embedded structs flattened, nil
// slices and maps as null, the ",string" option), and refuses, with a *ValueError that names the
// field path, what the wire would change or cannot carry:
//
//   - NaN and ±Inf: JSON and the server have no such numbers.
//   - values of integer types (int64, uint64, int...) beyond ±(2^53 − 1):
//     a double cannot hold them all exactly, and every client reads numbers
//     as doubles; store big integers as strings (a struct field tagged
//     `json:",string"` does that, exactly, both ways). A float32 or float64
//     is a double already and travels exactly, so any finite one passes,
//     whole or not, however large (1.7e308, 6.02214076e23): refusing them
//     would stop a client writing back a document another client stored.
//   - strings and map keys that are not valid UTF-8.
//   - time.Time: store t.Format(time.RFC3339Nano) or t.UnixMilli().
//   - []byte: store base64 text explicitly, so readers know to decode it.
//   - maps whose keys are not strings; channels, functions, complex numbers,
//     unsafe pointers.
//   - nesting deeper than ValueDepthMax (which also stops pointer cycles).
//
// Types with a MarshalJSON method are converted through it, and the JSON
// they produce is checked by the same rules.

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
)

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	timeType          = reflect.TypeFor[time.Time]()
	identifier        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// encodeData converts a document's data (a map with string keys, or a
// struct, or a pointer to one) into a Struct; where names the document in
// errors.
func encodeData(where string, data any) (*structpb.Struct, error) {
	if s, ok := data.(*structpb.Struct); ok {
		data = s.AsMap()
	}
	v, err := encodeValue(where, nil, reflect.ValueOf(data), 1)
	if err != nil {
		return nil, err
	}
	s := v.GetStructValue()
	if s == nil {
		return nil, &ValueError{Where: where, Problem: fmt.Sprintf("is %s; document data must be a map with string keys or a struct", kindName(reflect.ValueOf(data)))}
	}
	return s, nil
}

// encodeOperand converts one value that is not a whole document (a query
// operand).
func encodeOperand(where string, value any) (*structpb.Value, error) {
	return encodeValue(where, nil, reflect.ValueOf(value), 1)
}

// segment is one step of a field path: a map key or struct field name, or a
// list index.
type segment struct {
	name  string
	index int
}

func encodeValue(where string, path []segment, v reflect.Value, depth int) (*structpb.Value, error) {
	fail := func(format string, args ...any) (*structpb.Value, error) {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf(format, args...)}
	}
	if depth > ValueDepthMax {
		return fail("is nested more than ValueDepthMax (%d) levels deep (or refers back to itself)", ValueDepthMax)
	}
	if !v.IsValid() {
		return structpb.NewNullValue(), nil
	}
	t := v.Type()
	if t == timeType {
		return fail("is a time.Time; store t.Format(time.RFC3339Nano) (a string) or t.UnixMilli() (a number) instead")
	}
	if t.Implements(jsonMarshalerType) && !(v.Kind() == reflect.Pointer && v.IsNil()) {
		return encodeMarshaler(where, path, v, depth)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return structpb.NewNullValue(), nil
		}
		return encodeValue(where, path, v.Elem(), depth)
	case reflect.Bool:
		return structpb.NewBoolValue(v.Bool()), nil
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return fail("is a string that is not valid UTF-8; it would arrive changed (U+FFFD)")
		}
		return structpb.NewStringValue(v.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n := v.Int(); n > SafeIntegerMax || n < -SafeIntegerMax {
			return fail("is %d, an integer beyond ±(2^53 − 1), which a double cannot hold exactly; store big integers as strings", n)
		}
		return structpb.NewNumberValue(float64(v.Int())), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if n := v.Uint(); n > SafeIntegerMax {
			return fail("is %d, an integer beyond 2^53 − 1, which a double cannot hold exactly; store big integers as strings", n)
		}
		return structpb.NewNumberValue(float64(v.Uint())), nil
	case reflect.Float32, reflect.Float64:
		return encodeFloat(where, path, v.Float())
	case reflect.Map:
		return encodeMap(where, path, v, depth)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return fail("is a []byte; store base64 text (base64.StdEncoding.EncodeToString) so readers know to decode it")
		}
		if v.IsNil() {
			return structpb.NewNullValue(), nil
		}
		return encodeList(where, path, v, depth)
	case reflect.Array:
		return encodeList(where, path, v, depth)
	case reflect.Struct:
		fields := &structpb.Struct{Fields: map[string]*structpb.Value{}}
		if err := encodeStruct(where, path, v, depth, fields); err != nil {
			return nil, err
		}
		return structpb.NewStructValue(fields), nil
	}
	return fail("is %s; only maps with string keys, structs, slices, strings, numbers, booleans and nil can be stored", kindName(v))
}

// encodeFloat passes any finite double: the wire carries it exactly, so
// even a whole one beyond 2^53 (1e21, 1.7e308) reads back as the same
// double. Only integer types are refused beyond ±(2^53 − 1), where the
// conversion to a double would round them.
func encodeFloat(where string, path []segment, f float64) (*structpb.Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("is %v; only finite numbers can be stored", f)}
	}
	return structpb.NewNumberValue(f), nil
}

func encodeMap(where string, path []segment, v reflect.Value, depth int) (*structpb.Value, error) {
	if v.Type().Key().Kind() != reflect.String {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("is a map with %s keys; field names must be strings", v.Type().Key())}
	}
	if v.IsNil() {
		return structpb.NewNullValue(), nil
	}
	fields := make(map[string]*structpb.Value, v.Len())
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
	return structpb.NewStructValue(&structpb.Struct{Fields: fields}), nil
}

func encodeList(where string, path []segment, v reflect.Value, depth int) (*structpb.Value, error) {
	values := make([]*structpb.Value, v.Len())
	for i := range values {
		value, err := encodeValue(where, append(path[:len(path):len(path)], segment{index: i}), v.Index(i), depth+1)
		if err != nil {
			return nil, err
		}
		values[i] = value
	}
	return structpb.NewListValue(&structpb.ListValue{Values: values}), nil
}

// encodeStruct adds a struct's exported fields to out, named and skipped as
// encoding/json does. Embedded structs without a tag name are flattened
// into out after the struct's own fields, and a name the outer struct
// declares wins over an embedded one (json's rule); between two embedded
// structs that declare one name, the first wins (json would drop both).
func encodeStruct(where string, path []segment, v reflect.Value, depth int, out *structpb.Struct) error {
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
			out.Fields[name] = structpb.NewStringValue(text)
			continue
		}
		value, err := encodeValue(where, append(path[:len(path):len(path)], segment{name: name, index: -1}), fv, depth+1)
		if err != nil {
			return err
		}
		if hasOption(opts, "string") {
			value = quoted(value)
		}
		out.Fields[name] = value
	}
	for _, inner := range embedded {
		fields := &structpb.Struct{Fields: map[string]*structpb.Value{}}
		if err := encodeStruct(where, path, inner, depth+1, fields); err != nil {
			return err
		}
		for name, value := range fields.Fields {
			if _, taken := out.Fields[name]; !taken && !declared[name] {
				out.Fields[name] = value
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
