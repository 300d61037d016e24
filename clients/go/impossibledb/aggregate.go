package impossibledb

import (
	"context"
	"fmt"

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

// Sum adds the field's numeric values (exact until rounded once at the
// end); 0 when there are none. ErrOutOfRange beyond the range of doubles.
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

// AggregationGroup is the aggregates of one group.
type AggregationGroup struct {
	// Key holds the group-by fields' values, in GroupBy's order; empty
	// without GroupBy. Numbers are float64.
	Key []any
	// Results maps each alias to its value: float64 for counts, sums and
	// averages, the field's own kind for Min and Max, nil when undefined.
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
		group := AggregationGroup{Key: (&structpb.ListValue{Values: g.GetKey()}).AsSlice(), Results: map[string]any{}}
		for alias, v := range g.GetResults() {
			group.Results[alias] = v.AsInterface()
		}
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
	n, ok := groups[0].Results["count"].(float64)
	if !ok {
		return 0, fmt.Errorf("Count %s: the server answered %v, want a number", q.collection, groups[0].Results["count"])
	}
	return int64(n), nil
}
