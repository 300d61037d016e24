package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

// snapshotWait bounds the wait for one expected snapshot. A change reaches
// a listener at once; the bound is for a slow machine.
const snapshotWait = 30 * time.Second

// listener runs a Listen iteration on its own goroutine and hands its
// snapshots to the test; cancelling its context (at cleanup) ends it.
type listener struct {
	snapshots chan *impossibledb.ListenSnapshot
	errs      chan error
	// seen counts each document version yielded, "id@version type".
	seen map[string]int
}

func listen(t *testing.T, seq func(ctx context.Context) func(func(*impossibledb.ListenSnapshot, error) bool)) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{snapshots: make(chan *impossibledb.ListenSnapshot, 1000), errs: make(chan error, 1), seen: map[string]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for snap, err := range seq(ctx) {
			if err != nil {
				l.errs <- err
				return
			}
			l.snapshots <- snap
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(snapshotWait):
			t.Errorf("the listener did not stop within %v of its context's end", snapshotWait)
		}
	})
	return l
}

// next returns the next snapshot, failing the test on an error or timeout.
func (l *listener) next(t *testing.T) *impossibledb.ListenSnapshot {
	t.Helper()
	select {
	case snap := <-l.snapshots:
		for _, c := range snap.Changes {
			l.seen[fmt.Sprintf("%s@%d %s", c.Doc.Ref.ID, c.Doc.Version, c.Type)]++
		}
		return snap
	case err := <-l.errs:
		t.Fatalf("Listen: %v", err)
	case <-time.After(snapshotWait):
		t.Fatalf("no snapshot within %v", snapshotWait)
	}
	return nil
}

// until reads snapshots until the result has exactly these ids, and
// returns the changes read on the way.
func (l *listener) until(t *testing.T, ids ...string) []impossibledb.DocumentChange {
	t.Helper()
	var changes []impossibledb.DocumentChange
	for {
		snap := l.next(t)
		changes = append(changes, snap.Changes...)
		if slices.Equal(idsOf(snap.Documents), ids) {
			return changes
		}
	}
}

func idsOf(docs []*impossibledb.DocumentSnapshot) []string {
	ids := []string{}
	for _, d := range docs {
		ids = append(ids, d.Ref.ID)
	}
	return ids
}

func describeChanges(changes []impossibledb.DocumentChange) string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Type.String()+" "+c.Doc.Ref.ID)
	}
	return strings.Join(out, ", ")
}

// describeSorted is describeChanges in id order: the order of one commit's
// changes to different documents is not defined (only each document's own
// changes are in commit order).
func describeSorted(changes []impossibledb.DocumentChange) string {
	sorted := slices.Clone(changes)
	slices.SortStableFunc(sorted, func(a, b impossibledb.DocumentChange) int { return strings.Compare(a.Doc.Ref.ID, b.Doc.Ref.ID) })
	return describeChanges(sorted)
}

// TestListen: a listener on a collection sees its documents, then a set,
// an update and a delete, then an atomic batch over several shards and a
// transaction each as one snapshot; a listener on one document and one on
// a query see only theirs.
func TestListen(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		items := db.Collection(uniqueName(t, transport, "listen"))
		if _, err := items.Doc("a").Set(ctx(t), map[string]any{"n": 1}); err != nil {
			t.Fatal(err)
		}
		all := listen(t, func(c context.Context) func(func(*impossibledb.ListenSnapshot, error) bool) { return items.Listen(c) })
		one := listen(t, func(c context.Context) func(func(*impossibledb.ListenSnapshot, error) bool) {
			return items.Doc("a").Listen(c)
		})
		big := listen(t, func(c context.Context) func(func(*impossibledb.ListenSnapshot, error) bool) {
			return items.Query().Where("n", ">=", 10).Listen(c)
		})
		first := all.next(t)
		if describeChanges(first.Changes) != "added a" || first.ResumeToken == "" || first.Reset {
			t.Fatalf("first snapshot: %s (token %q, reset %v); want added a with a token", describeChanges(first.Changes), first.ResumeToken, first.Reset)
		}
		if snap := big.next(t); len(snap.Documents) != 0 {
			t.Fatalf("the query's first snapshot holds %v; want none", idsOf(snap.Documents))
		}
		if snap := one.next(t); !slices.Equal(idsOf(snap.Documents), []string{"a"}) {
			t.Fatalf("the document's first snapshot holds %v; want a", idsOf(snap.Documents))
		}

		if _, err := items.Doc("b").Set(ctx(t), map[string]any{"n": 2}); err != nil {
			t.Fatal(err)
		}
		if got := describeChanges(all.until(t, "a", "b")); got != "added b" {
			t.Fatalf("after a set: %s; want added b", got)
		}
		if _, err := items.Doc("a").Update(ctx(t), map[string]any{"n": 11}); err != nil {
			t.Fatal(err)
		}
		if _, err := items.Doc("b").Delete(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if got := describeSorted(all.until(t, "a")); got != "modified a, removed b" {
			t.Fatalf("after an update and a delete: %s; want modified a, removed b", got)
		}
		if got := describeChanges(big.until(t, "a")); got != "added a" {
			t.Fatalf("the query n >= 10 after a's update: %s; want added a (it entered the result)", got)
		}
		if snap := one.next(t); describeChanges(snap.Changes) != "modified a" || snap.Documents[0].Data()["n"] != int64(11) {
			t.Fatalf("the document's listener: %s %v; want modified a with n 11", describeChanges(snap.Changes), snap.Documents[0].Data())
		}

		// An atomic batch of 16 documents: with 8 shards they land on
		// several, and the listener still sees them as one snapshot.
		batch := db.Batch()
		var want []string
		for i := range 16 {
			id := fmt.Sprintf("batch%02d", i)
			batch = batch.Set(items.Doc(id), map[string]any{"n": i})
			want = append(want, id)
		}
		if _, err := batch.CommitAtomic(ctx(t)); err != nil {
			t.Fatalf("CommitAtomic: %v", err)
		}
		snap := all.next(t)
		if got := idsOf(snap.Documents); !slices.Equal(got, append([]string{"a"}, want...)) {
			t.Fatalf("the snapshot after an atomic batch holds %v; want a and all 16 (one snapshot for one batch)", got)
		}
		if len(snap.Changes) != 16 {
			t.Fatalf("the batch's snapshot has %d changes (%s); want its 16 writes", len(snap.Changes), describeChanges(snap.Changes))
		}

		err := db.RunTransaction(ctx(t), func(tx *impossibledb.Transaction) error {
			if err := tx.Set(items.Doc("batch00"), map[string]any{"n": 100}); err != nil {
				return err
			}
			return tx.Delete(items.Doc("batch15"))
		})
		if err != nil {
			t.Fatalf("RunTransaction: %v", err)
		}
		snap = all.next(t)
		if got := describeSorted(snap.Changes); got != "modified batch00, removed batch15" {
			t.Fatalf("the transaction's snapshot: %s; want modified batch00, removed batch15 together", got)
		}
		if snap.Changes[0].TransactionID == "" || snap.Changes[0].TransactionID != snap.Changes[1].TransactionID {
			t.Fatalf("the transaction's changes name transactions %q and %q; want the same one", snap.Changes[0].TransactionID, snap.Changes[1].TransactionID)
		}
	})
}

// connKiller hands out connections and closes them all on demand, so a test
// can break a listener's stream under the client.
type connKiller struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (k *connKiller) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		k.mu.Lock()
		k.conns = append(k.conns, conn)
		k.mu.Unlock()
	}
	return conn, err
}

// killAll closes every connection dialled so far and returns how many.
func (k *connKiller) killAll() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, conn := range k.conns {
		_ = conn.Close()
	}
	n := len(k.conns)
	k.conns = nil
	return n
}

// TestListenReconnectsWithoutLossOrDuplicates breaks the listener's
// connection twice, each time before a round of writes: every change is
// yielded exactly once, and the listener says it reconnected.
func TestListenReconnectsWithoutLossOrDuplicates(t *testing.T) {
	baseURL, grpcTarget := endpoints(t)
	for _, transport := range []string{"connect-go", "grpc-go"} {
		t.Run(transport, func(t *testing.T) {
			killer := &connKiller{}
			var db *impossibledb.Client
			var err error
			if transport == "connect-go" {
				db, err = impossibledb.NewClient(baseURL, impossibledb.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: killer.dial}}), withKey())
			} else {
				dialer := func(ctx context.Context, addr string) (net.Conn, error) { return killer.dial(ctx, "tcp", addr) }
				db, err = impossibledb.NewClient("", impossibledb.WithGRPC(grpcTarget, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(dialer)), withKey())
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			// Writes go through a client of their own, whose connections
			// are not broken.
			writer, err := impossibledb.NewClient(baseURL, withKey())
			if err != nil {
				t.Fatal(err)
			}
			items := writer.Collection(uniqueName(t, transport, "reconnect"))
			var mu sync.Mutex
			reconnects := 0
			onReconnect := func(err error, wait time.Duration) {
				mu.Lock()
				reconnects++
				mu.Unlock()
				t.Logf("reconnecting in %v after: %v", wait, err)
			}
			l := listen(t, func(c context.Context) func(func(*impossibledb.ListenSnapshot, error) bool) {
				return db.Collection(items.Name()).Listen(c, impossibledb.ListenOptions{OnReconnect: onReconnect})
			})
			l.next(t)
			var ids []string
			for round := range 3 {
				// The listener's stream is open (it has read everything so
				// far): break it (twice), then write, so the writes reach
				// it only through a new stream that resumes from its token.
				if round < 2 {
					if n := killer.killAll(); n == 0 {
						t.Fatalf("round %d: no connection to break", round)
					}
				}
				for i := range 3 {
					id := fmt.Sprintf("r%d_%d", round, i)
					if _, err := items.Doc(id).Set(ctx(t), map[string]any{"round": round}); err != nil {
						t.Fatal(err)
					}
					ids = append(ids, id)
				}
				l.until(t, ids...)
			}
			for _, id := range ids {
				if n := l.seen[id+"@"+fmt.Sprint(versionOf(t, items.Doc(id)))+" added"]; n != 1 {
					t.Errorf("%s was added %d times; want exactly once (seen: %v)", id, n, l.seen)
				}
			}
			if len(l.seen) != len(ids) {
				t.Errorf("the listener yielded %v; want only the %d adds", l.seen, len(ids))
			}
			mu.Lock()
			defer mu.Unlock()
			if reconnects < 2 {
				t.Errorf("the listener reconnected %d times; want at least 2 (one per break)", reconnects)
			}
		})
	}
}

func versionOf(t *testing.T, doc *impossibledb.DocumentRef) int64 {
	t.Helper()
	snap, err := doc.Get(ctx(t))
	if err != nil {
		t.Fatalf("Get %s: %v", doc.Path(), err)
	}
	return snap.Version
}

// TestListenResumesFromAToken: a new listener given an earlier snapshot's
// ResumeToken starts with exactly the changes made since, not the whole
// result again.
func TestListenResumesFromAToken(t *testing.T) {
	forEachClient(t, func(t *testing.T, db *impossibledb.Client, transport string) {
		items := db.Collection(uniqueName(t, transport, "resume"))
		if _, err := items.Doc("a").Set(ctx(t), map[string]any{"n": 1}); err != nil {
			t.Fatal(err)
		}
		var token string
		for snap, err := range items.Listen(ctx(t)) {
			if err != nil {
				t.Fatalf("Listen: %v", err)
			}
			token = snap.ResumeToken
			break // stops the first listener
		}
		if _, err := items.Doc("b").Set(ctx(t), map[string]any{"n": 2}); err != nil {
			t.Fatal(err)
		}
		resumed := listen(t, func(c context.Context) func(func(*impossibledb.ListenSnapshot, error) bool) {
			return items.Listen(c, impossibledb.ListenOptions{ResumeToken: token})
		})
		snap := resumed.next(t)
		if got := describeChanges(snap.Changes); got != "added b" || snap.Reset {
			t.Fatalf("the first snapshot after resuming: %s (reset %v); want only added b", got, snap.Reset)
		}
		// The listener never had the result as of the token: its Documents
		// are b alone (a is not known to it), and it says so.
		if len(snap.Documents) != 1 || snap.Documents[0].Ref.ID != "b" || !snap.Partial {
			t.Fatalf("the first snapshot after resuming: %d documents, partial %v; want b alone, flagged Partial", len(snap.Documents), snap.Partial)
		}
	})
}
