package impossibledb

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// CollectionRef names a collection. Make one with Client.Collection.
type CollectionRef struct {
	client *Client
	name   string
}

// Name returns the collection's name.
func (c *CollectionRef) Name() string { return c.name }

// Doc returns a reference to one document of the collection; nothing is
// sent. Ids are 1 to 256 letters, digits and `_ . : @ + = ~ -`, not starting
// with '.'; the server refuses others with INVALID_ARGUMENT.
func (c *CollectionRef) Doc(id string) *DocumentRef {
	return &DocumentRef{client: c.client, Collection: c.name, ID: id}
}

// DocumentRef names one document. Make one with CollectionRef.Doc; a
// DocumentRef written as a literal names a document for batches,
// transactions and GetAll, but has no client to call Get, Set and the other
// methods with (they would panic).
type DocumentRef struct {
	client *Client
	// Collection is the collection's name.
	Collection string
	// ID is the document's id.
	ID string
}

// Path returns "collection/id", as errors name the document.
func (d *DocumentRef) Path() string { return d.Collection + "/" + d.ID }

func (d *DocumentRef) proto() *v1.DocumentRef {
	return &v1.DocumentRef{Collection: d.Collection, Id: d.ID}
}

// DocumentSnapshot is a document as read or written: its data and the
// versions the server keeps. A snapshot of a missing document (from GetAll
// or Transaction.Get) has Exists false and no data.
type DocumentSnapshot struct {
	// Ref names the document.
	Ref *DocumentRef
	// Exists is false for a document that was read and did not exist.
	Exists bool
	// Version grows on every write of the document and is never reused;
	// compare versions for equality (preconditions). 0 when missing.
	Version int64
	// CreateTime is when the document was created; zero when unknown.
	CreateTime time.Time
	// UpdateTime is when the document was last written; zero when unknown.
	UpdateTime time.Time
	data       *structpb.Struct
	// fields is the typed form, set when the document holds a value the
	// JSON form cannot carry exactly (see Value in the contract).
	fields map[string]*v1.Value
	client *Client
}

// Data returns the document's fields as a map of Go's natural types:
// int64 for integers, float64 for doubles, time.Time (UTC) for timestamps,
// []byte for bytes, *DocumentRef for references, GeoPoint for geo points,
// []any for arrays, map[string]any for maps, and string, bool and nil. A
// document that holds only JSON values (written as JSON, by any client)
// has every number as a float64. nil for a missing document.
func (s *DocumentSnapshot) Data() map[string]any {
	if !s.Exists {
		return nil
	}
	if len(s.fields) > 0 {
		return decodeFields(s.client, s.fields)
	}
	if s.data == nil {
		return nil
	}
	return s.data.AsMap()
}

// DataTo stores the document's fields into v, a pointer to a struct (fields
// matched by their `json` tags, as encoding/json does), a map or an any. A
// number stored into an integer field must be a whole number in range, or
// DataTo fails naming the field; an integer value fills an int64 field
// exactly. time.Time, []byte, GeoPoint and *DocumentRef fields take
// timestamps, bytes, geo points and references. Into a map or an any,
// typed values arrive as encoding/json makes them (an integer as float64,
// a timestamp as its RFC 3339 text): use Data for the natural types.
// ErrNotFound for a missing document.
func (s *DocumentSnapshot) DataTo(v any) error {
	if !s.Exists {
		return &Error{Op: "DataTo " + s.Ref.Path(), Cause: notFoundCause()}
	}
	if len(s.fields) > 0 {
		return decodeFieldsInto("DataTo "+s.Ref.Path(), s.fields, v)
	}
	data := s.data
	if data == nil {
		data = &structpb.Struct{}
	}
	return decodeInto("DataTo "+s.Ref.Path(), data, v)
}

// Proto returns the document's data in the JSON form, as the wire carries
// it (typed values in their JSON forms; see TypedProto).
func (s *DocumentSnapshot) Proto() *structpb.Struct { return s.data }

// TypedProto returns the document's typed fields as the wire carries them;
// nil when the document holds only JSON values.
func (s *DocumentSnapshot) TypedProto() map[string]*v1.Value { return s.fields }

func (c *Client) snapshot(doc *v1.Document) *DocumentSnapshot {
	return &DocumentSnapshot{
		Ref:        &DocumentRef{client: c, Collection: doc.GetCollection(), ID: doc.GetId()},
		Exists:     true,
		Version:    doc.GetVersion(),
		CreateTime: timeOf(doc.GetCreateTime().AsTime(), doc.GetCreateTime() != nil),
		UpdateTime: timeOf(doc.GetUpdateTime().AsTime(), doc.GetUpdateTime() != nil),
		data:       doc.GetData(),
		fields:     doc.GetFields(),
		client:     c,
	}
}

func (c *Client) missing(ref *v1.DocumentRef) *DocumentSnapshot {
	return &DocumentSnapshot{Ref: &DocumentRef{client: c, Collection: ref.GetCollection(), ID: ref.GetId()}}
}

func timeOf(t time.Time, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	return t
}

// WriteOption is a condition, a mask or a field transform of a write:
// Exists, IfVersion, Mask, Increment, Maximum, Minimum, ServerTimestamp.
type WriteOption interface{ applyWrite(*writeOptions) }

type writeOptions struct {
	precondition *v1.Precondition
	mask         *v1.DocumentMask
	transforms   []*v1.FieldTransform
	err          error
}

type preconditionOption struct{ p *v1.Precondition }

func (o preconditionOption) applyWrite(w *writeOptions) { w.precondition = o.p }

// Exists makes a write conditional: with true the document must exist, with
// false it must not. When the condition fails nothing is written and the
// call fails with ErrFailedPrecondition.
func Exists(exists bool) WriteOption {
	return preconditionOption{&v1.Precondition{Condition: &v1.Precondition_Exists{Exists: exists}}}
}

// IfVersion makes a write conditional on the document existing at exactly
// this version (from a DocumentSnapshot or WriteResult); otherwise nothing
// is written and the call fails with ErrFailedPrecondition.
func IfVersion(version int64) WriteOption {
	return preconditionOption{&v1.Precondition{Condition: &v1.Precondition_Version{Version: version}}}
}

type maskOption struct{ paths []string }

func (o maskOption) applyWrite(w *writeOptions) { w.mask = &v1.DocumentMask{FieldPaths: o.paths} }

// Mask limits an Update to these field paths (dotted, such as
// "address.city"; a segment that is not an identifier goes between
// backquotes). A masked path absent from the patch is removed from the
// document. Without a mask, Update merges the patch's top-level fields.
// Only Update takes a mask; other writes refuse it with ErrInvalidArgument.
func Mask(fieldPaths ...string) WriteOption { return maskOption{fieldPaths} }

func collectOptions(op string, opts []WriteOption, kind writeKind) (writeOptions, error) {
	var w writeOptions
	for _, o := range opts {
		o.applyWrite(&w)
	}
	if w.err != nil {
		return w, w.err
	}
	if w.mask != nil && kind != opUpdate {
		return w, invalidArgument(op, "Mask applies only to Update")
	}
	if len(w.transforms) > 0 && kind == opDelete {
		return w, invalidArgument(op, "a delete takes no field transforms")
	}
	return w, nil
}

// Get reads the document, or only the named fields of it. ErrNotFound when
// it does not exist. Retried on UNAVAILABLE and RESOURCE_EXHAUSTED.
func (d *DocumentRef) Get(ctx context.Context, fields ...string) (*DocumentSnapshot, error) {
	req := &v1.GetDocumentRequest{Ref: d.proto()}
	if len(fields) > 0 {
		req.Mask = &v1.DocumentMask{FieldPaths: fields}
	}
	res, err := d.client.rpc.getDocument(ctx, req)
	if err != nil {
		return nil, wrapError("Get "+d.Path(), err)
	}
	return d.client.snapshot(res.GetDocument()), nil
}

// Set writes the document whole, creating it when missing, and returns it
// as written. data is a map with string keys or a struct (see the package
// documentation for what values are refused). Options: Exists, IfVersion,
// field transforms (Increment...).
func (d *DocumentRef) Set(ctx context.Context, data any, opts ...WriteOption) (*DocumentSnapshot, error) {
	op := "Set " + d.Path()
	w, err := writeProto(op, d, opSet, data, opts)
	if err != nil {
		return nil, err
	}
	req := &v1.SetDocumentRequest{Ref: w.Ref, Data: w.GetSet(), Fields: w.GetSetFields().GetFields(), Precondition: w.Precondition, Transforms: w.Transforms}
	res, err := d.client.rpc.setDocument(ctx, req)
	if err != nil {
		return nil, wrapError(op, err)
	}
	return d.client.snapshot(res.GetDocument()), nil
}

// Create writes the document only if it does not exist, and returns it;
// ErrAlreadyExists when it does. Options: field transforms (Increment...).
func (d *DocumentRef) Create(ctx context.Context, data any, opts ...WriteOption) (*DocumentSnapshot, error) {
	op := "Create " + d.Path()
	w, err := writeProto(op, d, opCreate, data, opts)
	if err != nil {
		return nil, err
	}
	if w.Precondition != nil {
		return nil, invalidArgument(op, "Create takes no precondition (it is one: the document must not exist)")
	}
	req := &v1.CreateDocumentRequest{Ref: w.Ref, Data: w.GetCreate(), Fields: w.GetCreateFields().GetFields(), Transforms: w.Transforms}
	res, err := d.client.rpc.createDocument(ctx, req)
	if err != nil {
		return nil, wrapError(op, err)
	}
	return d.client.snapshot(res.GetDocument()), nil
}

// Update changes fields of an existing document and returns it after the
// change; ErrNotFound when it does not exist. Options: Mask, Exists,
// IfVersion, field transforms (Increment...).
func (d *DocumentRef) Update(ctx context.Context, patch any, opts ...WriteOption) (*DocumentSnapshot, error) {
	op := "Update " + d.Path()
	w, err := writeProto(op, d, opUpdate, patch, opts)
	if err != nil {
		return nil, err
	}
	req := &v1.UpdateDocumentRequest{Ref: w.Ref, Patch: w.GetUpdate(), Precondition: w.Precondition, Transforms: w.Transforms}
	res, err := d.client.rpc.updateDocument(ctx, req)
	if err != nil {
		return nil, wrapError(op, err)
	}
	return d.client.snapshot(res.GetDocument()), nil
}

// Delete deletes the document and reports whether it existed. Deleting a
// missing document succeeds (false) unless a precondition says otherwise.
// Options: Exists, IfVersion.
func (d *DocumentRef) Delete(ctx context.Context, opts ...WriteOption) (bool, error) {
	op := "Delete " + d.Path()
	w, err := writeProto(op, d, opDelete, nil, opts)
	if err != nil {
		return false, err
	}
	res, err := d.client.rpc.deleteDocument(ctx, &v1.DeleteDocumentRequest{Ref: w.Ref, Precondition: w.Precondition})
	if err != nil {
		return false, wrapError(op, err)
	}
	return res.GetDeleted(), nil
}

type writeKind int

const (
	opSet writeKind = iota
	opCreate
	opUpdate
	opDelete
)

// writeProto checks a write's data and options and builds it as the wire
// carries it, in the JSON form when every value fits it and in the typed
// form otherwise (wireForms); used by single writes, batches and
// transactions alike.
func writeProto(op string, d *DocumentRef, kind writeKind, data any, opts []WriteOption) (*v1.Write, error) {
	w, err := collectOptions(op, opts, kind)
	if err != nil {
		return nil, err
	}
	write := &v1.Write{Ref: d.proto(), Precondition: w.precondition, Transforms: w.transforms}
	if kind == opDelete {
		write.Operation = &v1.Write_Delete{Delete: &emptypb.Empty{}}
		return write, nil
	}
	fields, err := encodeFields(d.Path(), data)
	if err != nil {
		return nil, err
	}
	json, typed := wireForms(fields)
	switch {
	case kind == opSet && typed != nil:
		write.Operation = &v1.Write_SetFields{SetFields: &v1.MapValue{Fields: typed}}
	case kind == opSet:
		write.Operation = &v1.Write_Set{Set: json}
	case kind == opCreate && typed != nil:
		write.Operation = &v1.Write_CreateFields{CreateFields: &v1.MapValue{Fields: typed}}
	case kind == opCreate:
		write.Operation = &v1.Write_Create{Create: json}
	case kind == opUpdate:
		write.Operation = &v1.Write_Update{Update: &v1.DocumentPatch{Data: json, Fields: typed, UpdateMask: w.mask}}
	}
	return write, nil
}
