package impossibledb

import (
	"context"
	"errors"
	"io"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"

	v1 "github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1"
	"github.com/impossibledb/impossibledb/clients/go/gen/impossibledb/v1/impossibledbv1connect"
)

// unary is one RPC as a plain function, so the client is written once over
// both transports.
type unary[Req, Res any] func(context.Context, *Req) (*Res, error)

// rpcs are the calls the client makes: the generated connect-go or grpc-go
// stubs adapted to unary, then wrapped with deadlines and retries.
type rpcs struct {
	getDocument         unary[v1.GetDocumentRequest, v1.GetDocumentResponse]
	batchGetDocuments   unary[v1.BatchGetDocumentsRequest, v1.BatchGetDocumentsResponse]
	listDocuments       unary[v1.ListDocumentsRequest, v1.ListDocumentsResponse]
	createDocument      unary[v1.CreateDocumentRequest, v1.CreateDocumentResponse]
	setDocument         unary[v1.SetDocumentRequest, v1.SetDocumentResponse]
	updateDocument      unary[v1.UpdateDocumentRequest, v1.UpdateDocumentResponse]
	deleteDocument      unary[v1.DeleteDocumentRequest, v1.DeleteDocumentResponse]
	batchWriteDocuments unary[v1.BatchWriteDocumentsRequest, v1.BatchWriteDocumentsResponse]
	runQuery            unary[v1.RunQueryRequest, v1.RunQueryResponse]
	runAggregationQuery unary[v1.RunAggregationQueryRequest, v1.RunAggregationQueryResponse]
	beginTransaction    unary[v1.BeginTransactionRequest, v1.BeginTransactionResponse]
	getDocuments        unary[v1.GetDocumentsRequest, v1.GetDocumentsResponse]
	commit              unary[v1.CommitRequest, v1.CommitResponse]
	rollback            unary[v1.RollbackRequest, v1.RollbackResponse]
	commitBatch         unary[v1.CommitBatchRequest, v1.CommitBatchResponse]
	// listen is never wrapped with a deadline or retries: a listener runs
	// until its context ends and reconnects by itself (listen.go).
	listen serverStream[v1.ListenRequest, v1.ListenResponse]
}

// serverStream opens one server-streaming RPC. The returned receive
// function answers the next message, io.EOF when the server ended the
// stream cleanly, or the error that ended it. Cancelling ctx closes it.
type serverStream[Req, Res any] func(ctx context.Context, req *Req) (receive func() (*Res, error), err error)

func streamFromConnect[Req, Res any](call func(context.Context, *connect.Request[Req]) (*connect.ServerStreamForClient[Res], error)) serverStream[Req, Res] {
	return func(ctx context.Context, req *Req) (func() (*Res, error), error) {
		stream, err := call(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		return func() (*Res, error) {
			if stream.Receive() {
				return stream.Msg(), nil
			}
			err := stream.Err()
			// Close releases the HTTP response; the stream has ended either way.
			closeErr := stream.Close()
			if err == nil {
				err = closeErr
			}
			if err == nil {
				return nil, io.EOF
			}
			return nil, err
		}, nil
	}
}

func streamFromGRPC[Req, Res any](call func(context.Context, *Req, ...grpc.CallOption) (grpc.ServerStreamingClient[Res], error)) serverStream[Req, Res] {
	return func(ctx context.Context, req *Req) (func() (*Res, error), error) {
		stream, err := call(ctx, req)
		if err != nil {
			return nil, err
		}
		return func() (*Res, error) {
			msg, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return msg, err
		}, nil
	}
}

func fromConnect[Req, Res any](call func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) unary[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) {
		res, err := call(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		return res.Msg, nil
	}
}

func fromGRPC[Req, Res any](call func(context.Context, *Req, ...grpc.CallOption) (*Res, error)) unary[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) { return call(ctx, req) }
}

// connectRPCs speaks the Connect protocol (binary Protobuf) to the Worker.
func connectRPCs(httpClient connect.HTTPClient, baseURL string, opts ...connect.ClientOption) rpcs {
	collections := impossibledbv1connect.NewCollectionServiceClient(httpClient, baseURL, opts...)
	queries := impossibledbv1connect.NewQueryServiceClient(httpClient, baseURL, opts...)
	transactions := impossibledbv1connect.NewTransactionServiceClient(httpClient, baseURL, opts...)
	return rpcs{
		getDocument:         fromConnect(collections.GetDocument),
		batchGetDocuments:   fromConnect(collections.BatchGetDocuments),
		listDocuments:       fromConnect(collections.ListDocuments),
		createDocument:      fromConnect(collections.CreateDocument),
		setDocument:         fromConnect(collections.SetDocument),
		updateDocument:      fromConnect(collections.UpdateDocument),
		deleteDocument:      fromConnect(collections.DeleteDocument),
		batchWriteDocuments: fromConnect(collections.BatchWriteDocuments),
		runQuery:            fromConnect(queries.RunQuery),
		runAggregationQuery: fromConnect(queries.RunAggregationQuery),
		beginTransaction:    fromConnect(transactions.BeginTransaction),
		getDocuments:        fromConnect(transactions.GetDocuments),
		commit:              fromConnect(transactions.Commit),
		rollback:            fromConnect(transactions.Rollback),
		commitBatch:         fromConnect(transactions.CommitBatch),
		listen:              streamFromConnect(queries.Listen),
	}
}

// grpcRPCs speaks gRPC over a connection (the front door, or any
// grpc.ClientConnInterface).
func grpcRPCs(conn grpc.ClientConnInterface) rpcs {
	collections := v1.NewCollectionServiceClient(conn)
	queries := v1.NewQueryServiceClient(conn)
	transactions := v1.NewTransactionServiceClient(conn)
	return rpcs{
		getDocument:         fromGRPC(collections.GetDocument),
		batchGetDocuments:   fromGRPC(collections.BatchGetDocuments),
		listDocuments:       fromGRPC(collections.ListDocuments),
		createDocument:      fromGRPC(collections.CreateDocument),
		setDocument:         fromGRPC(collections.SetDocument),
		updateDocument:      fromGRPC(collections.UpdateDocument),
		deleteDocument:      fromGRPC(collections.DeleteDocument),
		batchWriteDocuments: fromGRPC(collections.BatchWriteDocuments),
		runQuery:            fromGRPC(queries.RunQuery),
		runAggregationQuery: fromGRPC(queries.RunAggregationQuery),
		beginTransaction:    fromGRPC(transactions.BeginTransaction),
		getDocuments:        fromGRPC(transactions.GetDocuments),
		commit:              fromGRPC(transactions.Commit),
		rollback:            fromGRPC(transactions.Rollback),
		commitBatch:         fromGRPC(transactions.CommitBatch),
		listen:              streamFromGRPC(queries.Listen),
	}
}

// withDeadline gives a call timeout as its deadline when ctx has none.
func withDeadline[Req, Res any](timeout time.Duration, call unary[Req, Res]) unary[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) {
		if _, ok := ctx.Deadline(); !ok && timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return call(ctx, req)
	}
}

// wrap adds deadlines to every call, retries of transient failures to the
// calls the contract marks NO_SIDE_EFFECTS (reads and queries), and to the
// others retries of a refusal at the door only (a rate limit's, which
// applied nothing; retryingRefusedAtDoor). The deadline covers all the
// attempts of a call.
func (r rpcs) wrap(timeout time.Duration, p RetryPolicy) rpcs {
	return rpcs{
		getDocument:         withDeadline(timeout, retrying(p, r.getDocument)),
		batchGetDocuments:   withDeadline(timeout, retrying(p, r.batchGetDocuments)),
		listDocuments:       withDeadline(timeout, retrying(p, r.listDocuments)),
		createDocument:      withDeadline(timeout, retryingRefusedAtDoor(p, r.createDocument)),
		setDocument:         withDeadline(timeout, retryingRefusedAtDoor(p, r.setDocument)),
		updateDocument:      withDeadline(timeout, retryingRefusedAtDoor(p, r.updateDocument)),
		deleteDocument:      withDeadline(timeout, retryingRefusedAtDoor(p, r.deleteDocument)),
		batchWriteDocuments: withDeadline(timeout, retryingRefusedAtDoor(p, r.batchWriteDocuments)),
		runQuery:            withDeadline(timeout, retrying(p, r.runQuery)),
		runAggregationQuery: withDeadline(timeout, retrying(p, r.runAggregationQuery)),
		beginTransaction:    withDeadline(timeout, retryingRefusedAtDoor(p, r.beginTransaction)),
		getDocuments:        withDeadline(timeout, retryingRefusedAtDoor(p, r.getDocuments)),
		commit:              withDeadline(timeout, retryingRefusedAtDoor(p, r.commit)),
		rollback:            withDeadline(timeout, retryingRefusedAtDoor(p, r.rollback)),
		commitBatch:         withDeadline(timeout, retryingRefusedAtDoor(p, r.commitBatch)),
		listen:              r.listen,
	}
}
