package impossibledb

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A timeout no run could commit within is refused once, before any call,
// naming the option and its bounds; it is not run AttemptsMax times.
func TestRunTransactionRefusesATimeoutNoRunCouldCommitIn(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		for _, timeout := range []time.Duration{time.Nanosecond, TransactionTimeoutMin - 1, -time.Second, TransactionTimeoutMax + time.Millisecond} {
			runs := 0
			err := db.RunTransaction(t.Context(), func(tx *Transaction) error { runs++; return nil }, TransactionOptions{Timeout: timeout})
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "TransactionOptions.Timeout") || !strings.Contains(err.Error(), TransactionTimeoutMin.String()) || runs != 0 {
				t.Errorf("Timeout %v: %v after %d runs; want ErrInvalidArgument naming TransactionOptions.Timeout and %v, no run", timeout, err, runs, TransactionTimeoutMin)
			}
		}
		if n := f.callsOf("Commit") + f.callsOf("GetDocuments"); n != 0 {
			t.Fatalf("%d calls sent for refused options; want none", n)
		}
		for _, timeout := range []time.Duration{0, TransactionTimeoutMin, TransactionTimeoutMax} {
			if err := db.RunTransaction(t.Context(), func(tx *Transaction) error { return nil }, TransactionOptions{Timeout: timeout}); err != nil {
				t.Errorf("Timeout %v: %v; want it run", timeout, err)
			}
		}
	})
}

// A read that would take the read set past TransactionReadsMax is refused
// when it is made, before anything is read, naming the limit and the
// count, and fails the transaction: its Commit would be refused anyway.
func TestTransactionRefusesReadsPastTheLimitBeforeReading(t *testing.T) {
	forEachTransport(t, func(t *testing.T, f *fakeDB, db *Client) {
		refs := func(from, to int) []*DocumentRef {
			var out []*DocumentRef
			for i := from; i < to; i++ {
				out = append(out, db.Collection("c").Doc(fmt.Sprintf("d%d", i)))
			}
			return out
		}
		var readErr error
		err := db.RunTransaction(t.Context(), func(tx *Transaction) error {
			_, readErr = tx.GetAll(t.Context(), refs(0, 600)...)
			return nil // the error ignored: the transaction fails all the same
		})
		want := fmt.Sprintf("TransactionReadsMax (%d) documents", TransactionReadsMax)
		if !errors.Is(readErr, ErrInvalidArgument) || !strings.Contains(readErr.Error(), want) || !strings.Contains(readErr.Error(), "makes 600") {
			t.Fatalf("GetAll of 600 refs: %v; want ErrInvalidArgument naming %q and 600", readErr, want)
		}
		if !errors.Is(err, ErrInvalidArgument) || f.callsOf("GetDocuments") != 0 || f.callsOf("Commit") != 0 {
			t.Fatalf("RunTransaction: %v after %d reads and %d commits; want the refusal, nothing sent", err, f.callsOf("GetDocuments"), f.callsOf("Commit"))
		}

		// Reads add up, and a document read again is not counted twice.
		err = db.RunTransaction(t.Context(), func(tx *Transaction) error {
			if _, err := tx.GetAll(t.Context(), refs(0, 400)...); err != nil {
				return err
			}
			if _, err := tx.GetAll(t.Context(), refs(300, 500)...); err != nil {
				return err
			}
			_, err := tx.Get(t.Context(), db.Collection("c").Doc("one-more"))
			return err
		})
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "makes 501") {
			t.Fatalf("reads of 400, 200 (100 again) and 1 more: %v; want the 501st refused", err)
		}
	})
}
