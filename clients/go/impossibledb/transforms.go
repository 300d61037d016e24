package impossibledb

// Field transforms: changes the document's shard computes from a field's
// stored value inside the write (Firestore's FieldValue.increment, MongoDB's
// $inc), so many clients can change one document at once without reading
// it and without losing an update. They are write options:
//
//	doc.Update(ctx, map[string]any{}, impossibledb.Increment("views", 1))
//
// They apply after the write's data (and mask), in the order given; a
// transform's path may not overlap another's, nor a path the data sets
// (INVALID_ARGUMENT). Operands travel in the typed form (typed_increment,
// typed_maximum, typed_minimum, typed_server_timestamp,
// typed_append_missing_elements, typed_remove_all_from_array): an integer added
// to an integer stays an exact int64 (a sum beyond int64 fails the write
// with ErrOutOfRange and changes nothing); with a float64 on either side
// the result is a double.

import (
	"fmt"
	"reflect"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

type transformOption struct {
	transform *v1.FieldTransform
	err       error
}

func (o transformOption) applyWrite(w *writeOptions) {
	if o.err != nil && w.err == nil {
		w.err = o.err
	}
	w.transforms = append(w.transforms, o.transform)
}

// numberOperand is n (an integer type or a float) as a typed value.
func numberOperand(what, fieldPath string, n any) (*v1.Value, error) {
	switch reflect.ValueOf(n).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return encodeOperand(fmt.Sprintf("%s(%q)", what, fieldPath), n)
	}
	return nil, &ValueError{Where: fmt.Sprintf("%s(%q)", what, fieldPath), Problem: fmt.Sprintf("takes a number (an integer type or a float), got %s", kindName(reflect.ValueOf(n)))}
}

// Increment adds n, an integer type (int, int64...) or a float, to the
// field. A missing field, or one that is not a number, is set to n. An
// integer added to an integer stays an integer, exactly; a sum beyond int64
// fails the write with ErrOutOfRange. With a double on either side the sum
// is a double.
func Increment(fieldPath string, n any) WriteOption {
	v, err := numberOperand("Increment", fieldPath, n)
	return transformOption{&v1.FieldTransform{FieldPath: fieldPath, TransformType: &v1.FieldTransform_TypedIncrement{TypedIncrement: v}}, err}
}

// Maximum sets the field to the larger of it and n (an integer type or a
// float); integers and doubles compare as numbers and the larger keeps its
// own type. A missing or non-numeric field is set to n.
func Maximum(fieldPath string, n any) WriteOption {
	v, err := numberOperand("Maximum", fieldPath, n)
	return transformOption{&v1.FieldTransform{FieldPath: fieldPath, TransformType: &v1.FieldTransform_TypedMaximum{TypedMaximum: v}}, err}
}

// Minimum sets the field to the smaller of it and n, as Maximum.
func Minimum(fieldPath string, n any) WriteOption {
	v, err := numberOperand("Minimum", fieldPath, n)
	return transformOption{&v1.FieldTransform{FieldPath: fieldPath, TransformType: &v1.FieldTransform_TypedMinimum{TypedMinimum: v}}, err}
}

// ServerTimestamp sets the field to the time of the write as a timestamp
// (read back as a time.Time, to the microsecond): the document's
// UpdateTime.
func ServerTimestamp(fieldPath string) WriteOption {
	return transformOption{transform: &v1.FieldTransform{FieldPath: fieldPath, TransformType: &v1.FieldTransform_TypedServerTimestamp{TypedServerTimestamp: &emptypb.Empty{}}}}
}

// arrayOperand is elements as a typed array; an element that cannot be
// stored is a ValueError naming its index.
func arrayOperand(what, fieldPath string, elements []any) (*v1.ArrayValue, error) {
	if elements == nil {
		elements = []any{}
	}
	v, err := encodeOperand(fmt.Sprintf("%s(%q)", what, fieldPath), elements)
	if err != nil {
		return nil, err
	}
	return v.GetArrayValue(), nil
}

// ArrayUnion appends to the array field each of elements that it does not
// already hold, in order (Firestore's FieldValue.arrayUnion; the TS SDK's
// FieldValue.arrayUnion). A missing field, or one that is not an array, is
// first set to the empty array. Elements are Go values as in documents
// (an int64 stays an exact integer, a time.Time a timestamp...) and
// compare by content: numbers by value, maps by their fields.
func ArrayUnion(fieldPath string, elements ...any) WriteOption {
	v, err := arrayOperand("ArrayUnion", fieldPath, elements)
	return transformOption{&v1.FieldTransform{FieldPath: fieldPath, TransformType: &v1.FieldTransform_TypedAppendMissingElements{TypedAppendMissingElements: v}}, err}
}

// ArrayRemove removes from the array field every element equal to one of
// elements (compared as by ArrayUnion). A missing field, or one that is not
// an array, is set to the empty array.
func ArrayRemove(fieldPath string, elements ...any) WriteOption {
	v, err := arrayOperand("ArrayRemove", fieldPath, elements)
	return transformOption{&v1.FieldTransform{FieldPath: fieldPath, TransformType: &v1.FieldTransform_TypedRemoveAllFromArray{TypedRemoveAllFromArray: v}}, err}
}
