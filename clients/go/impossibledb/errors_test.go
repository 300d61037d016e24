package impossibledb

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func connectCode(n int) connect.Code { return connect.Code(n) }

func TestGRPCStatusesMapToTheSameSentinels(t *testing.T) {
	cases := map[codes.Code]error{
		codes.NotFound:           ErrNotFound,
		codes.AlreadyExists:      ErrAlreadyExists,
		codes.FailedPrecondition: ErrFailedPrecondition,
		codes.Aborted:            ErrAborted,
		codes.InvalidArgument:    ErrInvalidArgument,
		codes.Unavailable:        ErrUnavailable,
		codes.ResourceExhausted:  ErrResourceExhausted,
		codes.DeadlineExceeded:   ErrDeadlineExceeded,
		codes.OutOfRange:         ErrOutOfRange,
	}
	for grpcCode, sentinel := range cases {
		err := wrapError("Get users/a", status.Error(grpcCode, "from the front door"))
		var ce *connect.Error
		if !errors.Is(err, sentinel) || !errors.As(err, &ce) || uint32(ce.Code()) != uint32(grpcCode) {
			t.Fatalf("gRPC %v: %v; want errors.Is %v and a *connect.Error with the same code", grpcCode, err, sentinel)
		}
		for other, otherSentinel := range cases {
			if other != grpcCode && errors.Is(err, otherSentinel) {
				t.Fatalf("gRPC %v also matches %v", grpcCode, otherSentinel)
			}
		}
	}
}

func TestContextErrorsMapToTheirCodes(t *testing.T) {
	if err := wrapError("op", fmt.Errorf("dial: %w", context.DeadlineExceeded)); !errors.Is(err, ErrDeadlineExceeded) {
		t.Fatalf("a deadline: %v; want ErrDeadlineExceeded", err)
	}
	if Code(wrapError("op", context.Canceled)) != connect.CodeCanceled {
		t.Fatal("a cancelled context does not map to CANCELED")
	}
	if Code(nil) != 0 || Code(errors.New("plain")) != connect.CodeUnknown {
		t.Fatal("Code of nil or of a plain error is wrong")
	}
}

func TestWrapErrorKeepsTheFirstOperation(t *testing.T) {
	inner := wrapError("Commit", connect.NewError(connect.CodeAborted, errors.New("conflict")))
	outer := wrapError("RunTransaction", fmt.Errorf("attempt 3: %w", inner))
	if outer.Error() != "attempt 3: Commit: aborted: conflict" || !errors.Is(outer, ErrAborted) {
		t.Fatalf("wrapped twice: %q", outer)
	}
}
