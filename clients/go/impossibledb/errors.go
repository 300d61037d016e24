package impossibledb

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/grpc/status"
)

// Errors returned by the client wrap a *connect.Error carrying the status
// code, over both transports: gRPC statuses are turned into Connect errors
// with the same code (the two protocols number their codes alike). So both
// of these work on any error the client returns:
//
//	errors.Is(err, impossibledb.ErrNotFound)
//	var ce *connect.Error; errors.As(err, &ce) // ce.Code() == connect.CodeNotFound
//
// The sentinels below match by code only. Values the client refuses before
// sending (see ValueError) match ErrInvalidArgument.
var (
	// ErrNotFound: the document does not exist (Get, Update).
	ErrNotFound error = codeSentinel(connect.CodeNotFound)
	// ErrAlreadyExists: Create of a document that exists.
	ErrAlreadyExists error = codeSentinel(connect.CodeAlreadyExists)
	// ErrFailedPrecondition: a precondition (version, exists) did not hold.
	ErrFailedPrecondition error = codeSentinel(connect.CodeFailedPrecondition)
	// ErrAborted: a transaction or atomic batch conflicted and applied
	// nothing; running it again may succeed (RunTransaction does so).
	ErrAborted error = codeSentinel(connect.CodeAborted)
	// ErrInvalidArgument: the request was malformed or a value cannot be
	// stored; nothing was applied.
	ErrInvalidArgument error = codeSentinel(connect.CodeInvalidArgument)
	// ErrUnavailable: the server could not be reached or was restarting.
	ErrUnavailable error = codeSentinel(connect.CodeUnavailable)
	// ErrResourceExhausted: the server was overloaded or an answer would be
	// too large.
	ErrResourceExhausted error = codeSentinel(connect.CodeResourceExhausted)
	// ErrDeadlineExceeded: the call's deadline passed.
	ErrDeadlineExceeded error = codeSentinel(connect.CodeDeadlineExceeded)
	// ErrOutOfRange: an aggregate left the range of doubles, an integer
	// transform (Increment) left the range of int64, or a listener's place
	// is gone (its resume token is older than the server keeps changes,
	// or the database was resharded): Listen itself starts over then,
	// flagging the snapshot Reset, and OnReconnect sees this error.
	ErrOutOfRange error = codeSentinel(connect.CodeOutOfRange)
)

// codeSentinel is an error that stands for one status code, for errors.Is.
type codeSentinel connect.Code

// Error returns "impossibledb: " and the code's name, such as not_found.
func (c codeSentinel) Error() string { return "impossibledb: " + connect.Code(c).String() }

// Error is a failed call: which operation failed and the *connect.Error the
// transport answered (or that the client made for a gRPC status or a
// refused value). errors.Is matches it against the Err* sentinels by code;
// errors.As reaches the *connect.Error through Unwrap.
type Error struct {
	// Op names the call and its subject, such as "Get users/alice".
	Op string
	// Cause is the status, never nil.
	Cause *connect.Error
}

// Error returns "Op: cause".
func (e *Error) Error() string { return e.Op + ": " + e.Cause.Error() }

// Unwrap returns the *connect.Error, for errors.As.
func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is the sentinel of this error's code.
func (e *Error) Is(target error) bool {
	s, ok := target.(codeSentinel)
	return ok && connect.Code(s) == e.Cause.Code()
}

// Code returns the status code of any error the client returned:
// connect.CodeUnknown for errors that carry none, and 0 for nil.
func Code(err error) connect.Code {
	if err == nil {
		return 0
	}
	var s codeSentinel
	if errors.As(err, &s) {
		return connect.Code(s)
	}
	return connect.CodeOf(err)
}

// wrapError names the operation on a transport error. Any error is turned
// into a *connect.Error first: gRPC statuses by their code, context errors
// as CANCELED or DEADLINE_EXCEEDED.
func wrapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var existing *Error
	if errors.As(err, &existing) {
		return err
	}
	return &Error{Op: op, Cause: asConnectError(err)}
}

// asConnectError maps any transport error onto a *connect.Error.
func asConnectError(err error) *connect.Error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	if st, ok := status.FromError(err); ok {
		ce := connect.NewError(connect.Code(st.Code()), errors.New(st.Message()))
		// The details (google.rpc.Status.details, such as a rate limit's
		// RetryInfo) come along, so RetryDelay reads both transports alike.
		for _, detail := range st.Proto().GetDetails() {
			if d, err := connect.NewErrorDetail(detail); err == nil {
				ce.AddDetail(d)
			}
		}
		return ce
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, err)
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, err)
	}
	return connect.NewError(connect.CodeUnknown, err)
}

// ValueError is a value the client refuses to send because the database
// would change it silently (NaN, a uint64 beyond 2^63 − 1, a time.Time
// finer than a microsecond...) or cannot store it at all (a channel, a map
// with int keys...). Nothing was sent.
// It matches ErrInvalidArgument, and errors.As reaches a *connect.Error
// with connect.CodeInvalidArgument through Unwrap.
type ValueError struct {
	// Where names the call's subject, such as "users/alice" or "query on users".
	Where string
	// Path is the field path, such as `profile.born` or `tags[2]`; empty for
	// the value as a whole.
	Path string
	// Problem says what is wrong and what to store instead.
	Problem string
}

// Error returns `where: field "path" problem`.
func (e *ValueError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: the value %s", e.Where, e.Problem)
	}
	return fmt.Sprintf("%s: field %q %s", e.Where, e.Path, e.Problem)
}

// Is matches ErrInvalidArgument.
func (e *ValueError) Is(target error) bool { return target == ErrInvalidArgument }

// Unwrap returns a *connect.Error with code INVALID_ARGUMENT.
func (e *ValueError) Unwrap() error {
	return connect.NewError(connect.CodeInvalidArgument, errors.New(e.Problem))
}

// invalidArgument is a request the client refuses before sending it (not a
// value problem): too many writes, an unknown operator.
func invalidArgument(op, format string, args ...any) error {
	return &Error{Op: op, Cause: connect.NewError(connect.CodeInvalidArgument, fmt.Errorf(format, args...))}
}

func notFoundCause() *connect.Error {
	return connect.NewError(connect.CodeNotFound, errors.New("the document does not exist"))
}
