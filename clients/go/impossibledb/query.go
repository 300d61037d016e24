package impossibledb

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// Direction is a sort direction for OrderBy.
type Direction int

const (
	// Asc sorts ascending.
	Asc Direction = iota
	// Desc sorts descending.
	Desc
)

// operators maps Where's operator spellings to the wire's.
var operators = map[string]v1.FieldFilter_Operator{
	"==":                 v1.FieldFilter_OPERATOR_EQUAL,
	"!=":                 v1.FieldFilter_OPERATOR_NOT_EQUAL,
	"<":                  v1.FieldFilter_OPERATOR_LESS_THAN,
	"<=":                 v1.FieldFilter_OPERATOR_LESS_THAN_OR_EQUAL,
	">":                  v1.FieldFilter_OPERATOR_GREATER_THAN,
	">=":                 v1.FieldFilter_OPERATOR_GREATER_THAN_OR_EQUAL,
	"in":                 v1.FieldFilter_OPERATOR_IN,
	"not-in":             v1.FieldFilter_OPERATOR_NOT_IN,
	"array-contains":     v1.FieldFilter_OPERATOR_ARRAY_CONTAINS,
	"array-contains-any": v1.FieldFilter_OPERATOR_ARRAY_CONTAINS_ANY,
	"exists":             v1.FieldFilter_OPERATOR_EXISTS,
}

// Query is a query over one collection. It is immutable: every method
// returns a new Query, so a base query can be shared and refined. Nothing is
// sent until Documents, Pages, GetAll, Aggregate or Count runs it. A mistake
// in building it (an unknown operator, a value that cannot be stored) is
// returned by the call that runs it.
type Query struct {
	client     *Client
	collection string
	filters    []*v1.Filter
	orderBy    []*v1.Order
	limit      int32
	offset     int32
	selectOf   []string
	pageSize   int32
	pageToken  string
	groupBy    []string
	err        error
}

// Query starts a query over the collection: every document, in id order.
func (c *CollectionRef) Query() *Query {
	return &Query{client: c.client, collection: c.name}
}

func (q *Query) clone() *Query {
	c := *q
	c.filters = slices.Clip(q.filters)
	c.orderBy = slices.Clip(q.orderBy)
	c.groupBy = slices.Clip(q.groupBy)
	return &c
}

func (q *Query) where() string { return "query on " + q.collection }

// Where adds a condition; all conditions must hold. op is one of == != < <=
// > >= in not-in array-contains array-contains-any exists. value is a Go
// value as in documents (an int64, a time.Time, a []byte, a GeoPoint, a
// *DocumentRef... travel typed, so they compare exactly): a slice for in,
// not-in and array-contains-any; a bool or nil for exists. A range
// operator matches values of the operand's type only (integers and
// doubles are one type: numbers). field is a dotted path such as
// "address.city".
func (q *Query) Where(field, op string, value any) *Query {
	c := q.clone()
	if c.err != nil {
		return c
	}
	wireOp, ok := operators[op]
	if !ok {
		c.err = invalidArgument(c.where(), "Where(%q, %q, ...): unknown operator; use one of == != < <= > >= in not-in array-contains array-contains-any exists", field, op)
		return c
	}
	var operand *structpb.Value
	var typed *v1.Value
	if !(wireOp == v1.FieldFilter_OPERATOR_EXISTS && value == nil) {
		v, err := encodeOperand(fmt.Sprintf("%s: Where(%q, %q, value)", c.where(), field, op), value)
		if err != nil {
			c.err = err
			return c
		}
		operand, typed = operandForms(v)
	}
	filter := &v1.FieldFilter{Field: field, Op: wireOp, Value: operand, TypedValue: typed}
	c.filters = append(c.filters, &v1.Filter{FilterType: &v1.Filter_FieldFilter{FieldFilter: filter}})
	return c
}

// OrderBy adds a sort key after the ones already given, Asc or Desc. The
// document id is always the last tie-breaker, so the order is total. Any
// other Direction (a converted int) fails the query with
// ErrInvalidArgument, rather than sort ascending without a word.
func (q *Query) OrderBy(field string, dir Direction) *Query {
	c := q.clone()
	if c.err != nil {
		return c
	}
	var wire v1.Order_Direction
	switch dir {
	case Asc:
		wire = v1.Order_DIRECTION_ASCENDING
	case Desc:
		wire = v1.Order_DIRECTION_DESCENDING
	default:
		c.err = invalidArgument(c.where(), "OrderBy(%q, Direction(%d)): unknown direction; use Asc or Desc", field, int(dir))
		return c
	}
	c.orderBy = append(c.orderBy, &v1.Order{Field: field, Direction: wire})
	return c
}

// Limit returns at most n documents over all pages; 0 means no limit.
func (q *Query) Limit(n int) *Query { c := q.clone(); c.limit = c.setInt32("Limit", n); return c }

// Offset skips the first n matching documents.
func (q *Query) Offset(n int) *Query { c := q.clone(); c.offset = c.setInt32("Offset", n); return c }

// PageSize sets how many documents each call asks for, 1 to PageSizeMax;
// PageSizeMax when unset. A page also ends early at the server's 3 MiB
// answer limit.
func (q *Query) PageSize(n int) *Query {
	c := q.clone()
	c.pageSize = c.setInt32("PageSize", n)
	if c.err == nil && (n < 1 || n > PageSizeMax) {
		c.err = invalidArgument(c.where(), "PageSize(%d): want 1 to PageSizeMax (%d)", n, PageSizeMax)
	}
	return c
}

// StartAfter continues the query after the page that returned pageToken (a
// QueryPage.NextPageToken of the same query). The server pages by token
// only: it has no cursor made from a document's values.
func (q *Query) StartAfter(pageToken string) *Query {
	c := q.clone()
	c.pageToken = pageToken
	return c
}

// Select returns only these fields of each document.
func (q *Query) Select(fieldPaths ...string) *Query {
	c := q.clone()
	c.selectOf = slices.Clone(fieldPaths)
	return c
}

// GroupBy groups Aggregate's results by these fields (at most 8).
func (q *Query) GroupBy(fieldPaths ...string) *Query {
	c := q.clone()
	c.groupBy = slices.Clone(fieldPaths)
	return c
}

func (q *Query) setInt32(what string, n int) int32 {
	if q.err == nil && (n < 0 || n > 1<<31-1) {
		q.err = invalidArgument(q.where(), "%s(%d): want 0 to 2^31 − 1", what, n)
		return 0
	}
	return int32(n)
}

func (q *Query) proto() *v1.Query {
	p := &v1.Query{Collection: q.collection, OrderBy: q.orderBy, Limit: q.limit, Offset: q.offset}
	switch len(q.filters) {
	case 0:
	case 1:
		p.Where = q.filters[0]
	default:
		p.Where = &v1.Filter{FilterType: &v1.Filter_CompositeFilter{CompositeFilter: &v1.CompositeFilter{Op: v1.CompositeFilter_OPERATOR_AND, Filters: q.filters}}}
	}
	if q.selectOf != nil {
		p.Select = &v1.DocumentMask{FieldPaths: q.selectOf}
	}
	return p
}

// QueryPage is one answer of the server: documents in query order and the
// token that continues after them.
type QueryPage struct {
	// Documents are this page's documents.
	Documents []*DocumentSnapshot
	// NextPageToken continues the query (StartAfter); empty on the last page.
	NextPageToken string
}

// Pages runs the query a page at a time, for range loops:
//
//	for page, err := range q.Pages(ctx) { ... }
//
// It stops after the last page, at the first error (yielded once), or after
// PagesPerIterationMax pages (with an error). Each page is one RunQuery call,
// retried on UNAVAILABLE and RESOURCE_EXHAUSTED.
func (q *Query) Pages(ctx context.Context) iter.Seq2[*QueryPage, error] {
	return func(yield func(*QueryPage, error) bool) {
		if q.err != nil {
			yield(nil, q.err)
			return
		}
		pageSize := q.pageSize
		if pageSize == 0 {
			pageSize = PageSizeMax
		}
		query, token := q.proto(), q.pageToken
		for pages := 0; ; pages++ {
			if pages >= PagesPerIterationMax {
				yield(nil, invalidArgument(q.where(), "stopped after PagesPerIterationMax (%d) pages", PagesPerIterationMax))
				return
			}
			res, err := q.client.rpc.runQuery(ctx, &v1.RunQueryRequest{Query: query, PageSize: pageSize, PageToken: token})
			if err != nil {
				yield(nil, wrapError("RunQuery "+q.collection, err))
				return
			}
			page := &QueryPage{NextPageToken: res.GetNextPageToken()}
			for _, doc := range res.GetDocuments() {
				page.Documents = append(page.Documents, q.client.snapshot(doc))
			}
			if !yield(page, nil) || page.NextPageToken == "" {
				return
			}
			token = page.NextPageToken
		}
	}
}

// Documents runs the query and yields its documents in query order, over as
// many pages as it takes:
//
//	for doc, err := range q.Documents(ctx) { if err != nil { ... }; ... }
//
// After an error nothing more is yielded.
func (q *Query) Documents(ctx context.Context) iter.Seq2[*DocumentSnapshot, error] {
	return func(yield func(*DocumentSnapshot, error) bool) {
		for page, err := range q.Pages(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, doc := range page.Documents {
				if !yield(doc, nil) {
					return
				}
			}
		}
	}
}

// GetAll runs the query and returns all its documents. Set a Limit: they
// are all held in memory.
func (q *Query) GetAll(ctx context.Context) ([]*DocumentSnapshot, error) {
	var out []*DocumentSnapshot
	for doc, err := range q.Documents(ctx) {
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
	return out, nil
}

// Documents lists the collection's documents in id order, a page of
// PageSizeMax at a time (ListDocuments); see Query.Documents for how the
// iteration ends.
func (c *CollectionRef) Documents(ctx context.Context) iter.Seq2[*DocumentSnapshot, error] {
	return func(yield func(*DocumentSnapshot, error) bool) {
		token := ""
		for pages := 0; pages < PagesPerIterationMax; pages++ {
			res, err := c.client.rpc.listDocuments(ctx, &v1.ListDocumentsRequest{Collection: c.name, PageSize: PageSizeMax, PageToken: token})
			if err != nil {
				yield(nil, wrapError("ListDocuments "+c.name, err))
				return
			}
			for _, doc := range res.GetDocuments() {
				if !yield(c.client.snapshot(doc), nil) {
					return
				}
			}
			if token = res.GetNextPageToken(); token == "" {
				return
			}
		}
		yield(nil, invalidArgument("ListDocuments "+c.name, "stopped after PagesPerIterationMax (%d) pages", PagesPerIterationMax))
	}
}
