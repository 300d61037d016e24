package impossibledb

import (
	"context"
	"fmt"
	"math"

	"google.golang.org/protobuf/types/known/structpb"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
)

// Aggregation is one aggregate to compute, named by its alias (letters,
// digits and '_', unique within the call). Make one with Count, CountField,
// Sum, Avg, Min or Max.
type Aggregation struct {
	alias    string
	function v1.Aggregation_Function
	field    string
}

// Count counts the matching documents.
func Count(alias string) Aggregation {
	return Aggregation{alias: alias, function: v1.Aggregation_FUNCTION_COUNT}
}

// CountField counts the matching documents where field is present.
func CountField(alias, field string) Aggregation {
	return Aggregation{alias: alias, function: v1.Aggregation_FUNCTION_COUNT, field: field}
}

// Sum adds the field's numeric values; 0 when there are none. A sum of
// integers only is an exact int64 while the total fits int64, else
// a float64 (exact until rounded once at the end). ErrOutOfRange beyond
// the range of doubles.
func Sum(alias, field string) Aggregation {
	return Aggregation{alias: alias, function: v1.Aggregation_FUNCTION_SUM, field: field}
}

// Avg is the mean of the field's numeric values; nil when there are none.
func Avg(alias, field string) Aggregation {
	return Aggregation{alias: alias, function: v1.Aggregation_FUNCTION_AVG, field: field}
}

// Min is the field's least value.
func Min(alias, field string) Aggregation {
	return Aggregation{alias: alias, function: v1.Aggregation_FUNCTION_MIN, field: field}
}

// Max is the field's greatest value.
func Max(alias, field string) Aggregation {
	return Aggregation{alias: alias, function: v1.Aggregation_FUNCTION_MAX, field: field}
}

// AggregationGroup is the aggregates of one group, in the natural Go types
// of DocumentSnapshot.Data.
type AggregationGroup struct {
	// Key holds the group-by fields' values, in GroupBy's order; empty
	// without GroupBy.
	Key []any
	// Results maps each alias to its value: int64 for counts and for sums
	// of integers, float64 for averages and other sums, the field's own
	// type for Min and Max (a time.Time, a string...), nil when undefined.
	// A server that does not send the typed results answers every number
	// but counts as a float64.
	Results map[string]any
}

// Aggregate computes the aggregates over the query's matching documents,
// grouped by GroupBy's fields: one group per distinct key, ordered by key,
// or exactly one group without GroupBy. The query's OrderBy, Limit, Offset
// and Select must be unset (the server refuses them). ErrResourceExhausted
// when the groups would exceed 3 MiB. Retried on UNAVAILABLE and
// RESOURCE_EXHAUSTED.
func (q *Query) Aggregate(ctx context.Context, aggregations ...Aggregation) ([]AggregationGroup, error) {
	if q.err != nil {
		return nil, q.err
	}
	req := &v1.RunAggregationQueryRequest{Query: q.proto(), GroupBy: q.groupBy}
	for _, a := range aggregations {
		req.Aggregations = append(req.Aggregations, &v1.Aggregation{Alias: a.alias, Function: a.function, Field: a.field})
	}
	res, err := q.client.rpc.runAggregationQuery(ctx, req)
	if err != nil {
		return nil, wrapError("Aggregate "+q.collection, err)
	}
	groups := make([]AggregationGroup, 0, len(res.GetGroups()))
	for _, g := range res.GetGroups() {
		group := q.client.aggregationGroup(g)
		countsAsIntegers(group, aggregations)
		groups = append(groups, group)
	}
	return groups, nil
}

// Count returns the number of matching documents (one RunAggregationQuery).
func (q *Query) Count(ctx context.Context) (int64, error) {
	groups, err := q.GroupBy().Aggregate(ctx, Count("count"))
	if err != nil {
		return 0, err
	}
	if len(groups) != 1 {
		return 0, fmt.Errorf("Count %s: the server answered %d groups, want 1", q.collection, len(groups))
	}
	if n, ok := groups[0].Results["count"].(int64); ok {
		return n, nil
	}
	return 0, fmt.Errorf("Count %s: the server answered %v, want a number", q.collection, groups[0].Results["count"])
}

// countsAsIntegers makes every COUNT an int64: a count is a whole number,
// and the server answers it as a double in both forms (a JSON number, and
// a typed double), where a client of natural types wants an integer.
func countsAsIntegers(group AggregationGroup, aggregations []Aggregation) {
	for _, a := range aggregations {
		if n, ok := group.Results[a.alias].(float64); ok && a.function == v1.Aggregation_FUNCTION_COUNT && n == math.Trunc(n) && math.Abs(n) < 1<<63 {
			group.Results[a.alias] = int64(n)
		}
	}
}

// aggregationGroup reads the typed key and results when the server sent
// them (the contract says it always does once typed values are served),
// else the JSON ones.
func (c *Client) aggregationGroup(g *v1.AggregationGroup) AggregationGroup {
	group := AggregationGroup{Results: map[string]any{}}
	if len(g.GetTypedResults()) > 0 || len(g.GetTypedKey()) > 0 {
		for _, v := range g.GetTypedKey() {
			group.Key = append(group.Key, decodeValue(c, v))
		}
		for alias, v := range g.GetTypedResults() {
			group.Results[alias] = decodeValue(c, v)
		}
		return group
	}
	group.Key = (&structpb.ListValue{Values: g.GetKey()}).AsSlice()
	for alias, v := range g.GetResults() {
		group.Results[alias] = v.AsInterface()
	}
	return group
}
