package e2e

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// TestTransaction runs the seed document's transaction (read a user, write
// an order, delete a cart, all or nothing), then one whose read changes
// before it commits: with one attempt it fails with ErrAborted and applies
// nothing; with retries it runs again and succeeds.
func TestTransaction(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		user := db.Collection(uniqueName(t, transport, "users")).Doc("user123")
		order := db.Collection(uniqueName(t, transport, "orders")).Doc("order456")
		cart := db.Collection(uniqueName(t, transport, "carts")).Doc("cart789")
		for _, doc := range []*impossibledb.DocumentRef{user, cart} {
			if _, err := doc.Set(ctx(t), map[string]any{"owner": "alice"}); err != nil {
				t.Fatalf("Set %s: %v", doc.Path(), err)
			}
		}

		err := db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error {
			docs, err := tx.GetAll(ctx(t), user, order)
			if err != nil {
				return err
			}
			if !docs[0].Exists || docs[0].Data()["owner"] != "alice" || docs[1].Exists {
				t.Errorf("read %v and %v inside the transaction; want the user and no order", docs[0].Data(), docs[1].Exists)
			}
			if err := tx.Set(order, map[string]any{"product": "Widget", "quantity": 5}); err != nil {
				return err
			}
			return tx.Delete(cart)
		})
		if err != nil {
			t.Fatalf("RunTransaction: %v", err)
		}
		stored, err := order.Get(ctx(t))
		if err != nil || stored.Data()["product"] != "Widget" || stored.Data()["quantity"] != int64(5) {
			t.Fatalf("the committed order: %v, %v", stored, err)
		}
		if _, err := cart.Get(ctx(t)); !errors.Is(err, impossibledb.ErrNotFound) {
			t.Fatalf("the deleted cart: %v; want ErrNotFound", err)
		}

		// Someone writes the user between the read and the commit.
		interfere := func(owner string) func(tx *impossibledb.Transaction) error {
			return func(tx *impossibledb.Transaction) error {
				if _, err := tx.Get(ctx(t), user); err != nil {
					return err
				}
				if _, err := user.Set(ctx(t), map[string]any{"owner": owner}); err != nil {
					return err
				}
				return tx.Set(order, map[string]any{"product": "Gadget"})
			}
		}
		err = db.RunTransaction(ctx(t), interfere("bob"), impossibledb.TransactionOptions{AttemptsMax: 1})
		if !errors.Is(err, impossibledb.ErrAborted) {
			t.Fatalf("a transaction whose read changed, with one attempt: %v; want ErrAborted", err)
		}
		if unchanged, err := order.Get(ctx(t)); err != nil || unchanged.Data()["product"] != "Widget" {
			t.Fatalf("the order after an aborted commit: %v, %v; want the Widget kept", unchanged, err)
		}
		runs := 0
		err = db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error {
			runs++
			if runs == 1 {
				return interfere("carol")(tx)
			}
			return tx.Set(order, map[string]any{"product": "Gadget"})
		})
		if err != nil || runs != 2 {
			t.Fatalf("RunTransaction after one conflict: %v after %d runs; want success on the second run", err, runs)
		}
	})
}

// TestTransactionReadTwice reads a document, lets another client change it,
// reads it again and writes: the client sends both versions, so Commit
// aborts instead of applying a write computed from the first read.
func TestTransactionReadTwice(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		account := db.Collection(uniqueName(t, transport, "accounts")).Doc("a")
		if _, err := account.Set(ctx(t), map[string]any{"balance": 100}); err != nil {
			t.Fatal(err)
		}
		var readSet []impossibledb.ReadVersion
		err := db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error {
			first, err := tx.Get(ctx(t), account)
			if err != nil {
				return err
			}
			if _, err := account.Set(ctx(t), map[string]any{"balance": 50}); err != nil {
				return err
			}
			if _, err := tx.Get(ctx(t), account); err != nil {
				return err
			}
			readSet = tx.ReadSet()
			return tx.Set(account, map[string]any{"balance": first.Data()["balance"].(int64) - 10})
		}, impossibledb.TransactionOptions{AttemptsMax: 1})
		if !errors.Is(err, impossibledb.ErrAborted) {
			t.Fatalf("commit after reading two versions: %v; want ErrAborted", err)
		}
		if len(readSet) != 2 || readSet[0].Version == readSet[1].Version {
			t.Fatalf("read set %v; want the account at two versions", readSet)
		}
		if stored, err := account.Get(ctx(t)); err != nil || stored.Data()["balance"] != int64(50) {
			t.Fatalf("the account after the aborted commit: %v, %v; want 50 (no lost update)", stored, err)
		}
	})
}

// TestConcurrentIncrements runs increments of one counter from several
// goroutines at once. Each transaction also records, under its own id, the
// value it read. If no update is lost, the counter ends at the number of
// increments and the recorded values are exactly 0, 1, ..., n−1: each
// increment saw a different predecessor (a serial history).
func TestConcurrentIncrements(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		const workers, perWorker = 4, 5
		counters := db.Collection(uniqueName(t, transport, "counter"))
		history := db.Collection(uniqueName(t, transport, "counter_history"))
		counter := counters.Doc("c")
		if _, err := counter.Set(ctx(t), map[string]any{"n": 0}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var runs atomic.Int64
		errs := make(chan error, workers*perWorker)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					entry := history.Doc(fmt.Sprintf("w%d-%d", w, i))
					errs <- db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error {
						runs.Add(1)
						snap, err := tx.Get(ctx(t), counter)
						if err != nil {
							return err
						}
						n := snap.Data()["n"].(int64)
						if err := tx.Set(counter, map[string]any{"n": n + 1}); err != nil {
							return err
						}
						return tx.Set(entry, map[string]any{"seen": n})
					}, impossibledb.TransactionOptions{AttemptsMax: 40})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("an increment failed: %v", err)
			}
		}
		t.Logf("%d increments took %d runs (the rest aborted and ran again)", workers*perWorker, runs.Load())
		final, err := counter.Get(ctx(t))
		if err != nil || final.Data()["n"] != int64(workers*perWorker) {
			t.Fatalf("counter after %d increments: %v, %v", workers*perWorker, final, err)
		}
		var seen []int
		for doc, err := range history.Documents(ctx(t)) {
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, int(doc.Data()["seen"].(int64)))
		}
		slices.Sort(seen)
		for i, s := range seen {
			if s != i {
				t.Fatalf("the increments saw %v; want each of 0..%d once (a value seen twice is a lost update)", seen, workers*perWorker-1)
			}
		}
		if len(seen) != workers*perWorker {
			t.Fatalf("%d history entries, want %d", len(seen), workers*perWorker)
		}
	})
}

// TestConcurrentTransfers moves money between accounts from several
// goroutines, each transfer a transaction that reads two accounts and
// writes both. The total never changes and each account ends at its
// opening balance plus what the committed transfers say it received, minus
// what it sent. The seed is printed so a failure replays.
func TestConcurrentTransfers(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		const accountCount, workers, perWorker, opening = 4, 4, 4, 100
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		accounts := db.Collection(uniqueName(t, transport, "bank"))
		batch := db.Batch()
		for i := range accountCount {
			batch.Set(accounts.Doc(fmt.Sprintf("acct%d", i)), map[string]any{"balance": opening})
		}
		if _, err := batch.CommitAtomic(ctx(t)); err != nil {
			t.Fatal(err)
		}
		type transfer struct{ from, to, amount int }
		var mu sync.Mutex
		var committed []transfer
		var wg sync.WaitGroup
		var runs atomic.Int64
		for w := range workers {
			random := rand.New(rand.NewPCG(seed, uint64(w)))
			wg.Go(func() {
				for range perWorker {
					from := random.IntN(accountCount)
					to := (from + 1 + random.IntN(accountCount-1)) % accountCount
					amount := 1 + random.IntN(30)
					err := db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error {
						runs.Add(1)
						docs, err := tx.GetAll(ctx(t), accounts.Doc(fmt.Sprintf("acct%d", from)), accounts.Doc(fmt.Sprintf("acct%d", to)))
						if err != nil {
							return err
						}
						a, b := docs[0].Data()["balance"].(int64), docs[1].Data()["balance"].(int64)
						if err := tx.Update(docs[0].Ref, map[string]any{"balance": a - int64(amount)}); err != nil {
							return err
						}
						return tx.Update(docs[1].Ref, map[string]any{"balance": b + int64(amount)})
					}, impossibledb.TransactionOptions{AttemptsMax: 40})
					if err != nil {
						t.Errorf("transfer %d→%d of %d: %v", from, to, amount, err)
						return
					}
					mu.Lock()
					committed = append(committed, transfer{from, to, amount})
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		t.Logf("%d transfers took %d runs", len(committed), runs.Load())
		want := make([]int64, accountCount)
		for i := range want {
			want[i] = opening
		}
		for _, tr := range committed {
			want[tr.from] -= int64(tr.amount)
			want[tr.to] += int64(tr.amount)
		}
		var total int64
		for i := range accountCount {
			doc, err := accounts.Doc(fmt.Sprintf("acct%d", i)).Get(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			balance := doc.Data()["balance"].(int64)
			total += balance
			if balance != want[i] {
				t.Errorf("acct%d holds %v, want %v from the %d committed transfers (seed %d)", i, balance, want[i], len(committed), seed)
			}
		}
		if total != accountCount*opening {
			t.Fatalf("the accounts hold %v in total, want %v (seed %d)", total, accountCount*opening, seed)
		}
	})
}
