package impossibledb

// How values meet encoding/json: struct tags and options, types with their
// own MarshalJSON, and decoding documents into Go values.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// embeddedStruct is the struct an embedded field holds (through a pointer,
// which may be nil: then there is nothing to flatten).
func embeddedStruct(fv reflect.Value) (reflect.Value, bool) {
	if fv.Kind() == reflect.Pointer {
		if fv.Type().Elem().Kind() != reflect.Struct {
			return fv, false
		}
		if fv.IsNil() {
			return fv, true
		}
		fv = fv.Elem()
	}
	return fv, fv.Kind() == reflect.Struct
}

// exactIntegerText is an integer field tagged ",string" as its exact
// decimal text: the way to store integers beyond 2^53 without loss.
func exactIntegerText(v reflect.Value, opts string) (string, bool) {
	if !hasOption(opts, "string") {
		return "", false
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(v.Uint(), 10), true
	}
	return "", false
}

// quoted applies the json ",string" option to a checked scalar, as
// encoding/json does: a number or bool becomes its JSON text, a string its
// JSON-quoted text; other values are left as they are (as json does).
func quoted(v *v1.Value) *v1.Value {
	switch k := v.GetKind().(type) {
	case *v1.Value_IntegerValue:
		return stringValue(strconv.FormatInt(k.IntegerValue, 10))
	case *v1.Value_DoubleValue:
		return stringValue(strconv.FormatFloat(k.DoubleValue, 'g', -1, 64))
	case *v1.Value_BooleanValue:
		return stringValue(strconv.FormatBool(k.BooleanValue))
	case *v1.Value_StringValue:
		return stringValue(strconv.Quote(k.StringValue))
	}
	return v
}

// encodeMarshaler converts a value through its MarshalJSON and checks the
// JSON it produced.
func encodeMarshaler(where string, path []segment, v reflect.Value, depth int) (*v1.Value, error) {
	text, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("failed its MarshalJSON: %v", err)}
	}
	decoder := json.NewDecoder(bytes.NewReader(text))
	decoder.UseNumber()
	var decoded any
	if err := decoder.Decode(&decoded); err != nil {
		return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("produced invalid JSON from MarshalJSON: %v", err)}
	}
	return encodeJSON(where, path, decoded, depth)
}

// encodeJSON converts what encoding/json decoded with UseNumber, so that
// integer text stays an exact integer.
func encodeJSON(where string, path []segment, value any, depth int) (*v1.Value, error) {
	switch x := value.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return encodeValue(where, path, reflect.ValueOf(n), depth)
		}
		if isIntegerText(string(x)) {
			// Integer text past int64 (a uint64 id a MarshalJSON printed,
			// say) would be rounded by a conversion to a double.
			return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("is %s, an integer beyond the range of int64; store it as a string", x)}
		}
		f, err := x.Float64()
		if err != nil {
			return nil, &ValueError{Where: where, Path: pathText(path), Problem: fmt.Sprintf("is the number %s, beyond the range of doubles", x)}
		}
		return encodeFloat(where, path, f)
	case map[string]any:
		fields := make(map[string]*v1.Value, len(x))
		for key, item := range x {
			v, err := encodeJSON(where, append(path[:len(path):len(path)], segment{name: key, index: -1}), item, depth+1)
			if err != nil {
				return nil, err
			}
			fields[key] = v
		}
		return mapOf(fields), nil
	case []any:
		values := make([]*v1.Value, len(x))
		for i, item := range x {
			v, err := encodeJSON(where, append(path[:len(path):len(path)], segment{index: i}), item, depth+1)
			if err != nil {
				return nil, err
			}
			values[i] = v
		}
		return arrayOf(values), nil
	}
	return encodeValue(where, path, reflect.ValueOf(value), depth)
}

// isIntegerText reports whether JSON number text is written as an integer
// (no fraction, no exponent), which is how encoding/json prints integer
// types.
func isIntegerText(text string) bool {
	return !strings.ContainsAny(text, ".eE")
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var opt string
		opt, opts, _ = strings.Cut(opts, ",")
		if opt == want {
			return true
		}
	}
	return false
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// decodeInto stores a document's data into v (a pointer to a struct, a map
// or any), as encoding/json would decode the same JSON: struct fields by
// their `json` tags; a number into an integer field must be an integer in
// range.
func decodeInto(where string, data *structpb.Struct, v any) error {
	text, err := data.MarshalJSON()
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := json.Unmarshal(text, v); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}
