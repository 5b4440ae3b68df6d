package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
)

// benchClients is how many staff members read the queue at once.
const benchClients = 4

// BenchmarkQueueAtScale measures every view of the staff queue on a
// database seeded with 10,000 requests and on one seeded with N
// (RIGHTSDESK_BENCH_REQUESTS, default 100,000), on PostgreSQL and on
// SQLite, with benchClients goroutines reading at once. Each view is
// measured on the two databases back to back (view/10k, then view/N), so
// that both see the same load from whatever else runs on the machine, and
// reports its latency percentiles (p50-ms, p99-ms) and, at N, the ratio
// cost(N)/cost(10k) (p50-ratio, p99-ratio). The seeding times are logged.
// See BENCHMARKS.md for the figures at a million.
//
//	RIGHTSDESK_BENCH_REQUESTS=1000000 go test -run XXX -bench 'QueueAtScale/postgres' -benchtime 5000x -timeout 1h -v ./models/
func BenchmarkQueueAtScale(b *testing.B) {
	n := 100_000
	if s := os.Getenv("RIGHTSDESK_BENCH_REQUESTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("RIGHTSDESK_BENCH_REQUESTS=%q: want a positive number", s)
		}
		n = v
	}
	for _, dialect := range []string{"postgres", "sqlite"} {
		b.Run(dialect, func(b *testing.B) {
			small := seededViews(b, dialect, 10_000)
			large := seededViews(b, dialect, n)
			for i, v := range small {
				var base latency
				b.Run(v.name+"/10k", func(b *testing.B) {
					base = measure(b, v.run)
					base.report(b)
				})
				b.Run(v.name+"/"+sizeName(n), func(b *testing.B) {
					l := measure(b, large[i].run)
					l.report(b)
					if base.p50 > 0 {
						b.ReportMetric(l.p50/base.p50, "p50-ratio")
						b.ReportMetric(l.p99/base.p99, "p99-ratio")
					}
				})
			}
		})
	}
}

// latency is one view's percentiles, in milliseconds.
type latency struct{ p50, p99 float64 }

func (l latency) report(b *testing.B) {
	b.ReportMetric(l.p50, "p50-ms")
	b.ReportMetric(l.p99, "p99-ms")
}

func sizeName(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

// benchView is one view of the queue, as one call; i varies the call
// (the reference searched for).
type benchView struct {
	name string
	run  func(i int) error
}

// seededViews seeds a fresh database with size requests and returns the
// views to measure on it.
func seededViews(b *testing.B, dialect string, size int) []benchView {
	ctx := context.Background()
	db := openTestDB(b, dialect)
	c := testCore(b, db)
	start := time.Now()
	res, err := Seed(ctx, c, SeedOptions{Requests: size, RandSeed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d requests (%d submissions, %d open, %d appeals) in %v",
		dialect, res.Requests, res.Submissions, res.Open, res.Appeals, time.Since(start).Round(time.Millisecond))
	rs := NewRequests(c)

	// The deep page: page 199 of "all", the last full one at 10,000
	// requests, reached by following the cursor as a person paging would.
	deep := ""
	for range 198 {
		page, err := rs.Queue(ctx, QueueFilter{Status: FilterAll, After: deep})
		if err != nil {
			b.Fatal(err)
		}
		if page.Next == "" {
			break
		}
		deep = page.Next
	}
	// References to search for, spread over the table.
	var refs []string
	if err := db.Raw("SELECT reference FROM submissions ORDER BY tracking_hash LIMIT 1000").Scan(&refs).Error; err != nil {
		b.Fatal(err)
	}

	queue := func(f QueueFilter) func(int) error {
		return func(int) error {
			page, err := rs.Queue(ctx, f)
			if err == nil && len(page.Items) == 0 {
				err = fmt.Errorf("no rows for %+v", f)
			}
			return err
		}
	}
	views := []benchView{
		{"first", queue(QueueFilter{})},
		{"deep", queue(QueueFilter{Status: FilterAll, After: deep})},
	}
	for _, st := range seedStatuses {
		views = append(views, benchView{"status=" + st, queue(QueueFilter{Status: st})})
	}
	views = append(views,
		benchView{"all", queue(QueueFilter{Status: FilterAll})},
		benchView{"right", queue(QueueFilter{Right: string(rules.RightAccess)})},
		benchView{"newest", queue(QueueFilter{Sort: SortNewest})},
		benchView{"oldest", queue(QueueFilter{Sort: SortOldest})},
		benchView{"appeals", queue(QueueFilter{Kind: KindAppeal})},
		benchView{"reference", func(i int) error {
			page, err := rs.Queue(ctx, QueueFilter{Reference: refs[i%len(refs)]})
			if err == nil && len(page.Items) == 0 {
				err = fmt.Errorf("reference %s not found", refs[i%len(refs)])
			}
			return err
		}},
		benchView{"counts", func(int) error {
			_, err := rs.Counts(ctx, KindRequest)
			return err
		}},
	)

	// The filters of 00013: the first page of a seeded member's requests
	// (the one who holds the fewest), of the unassigned, of one law, of
	// each due window, and a member's overdue ones.
	var me int64
	if err := db.Raw("SELECT id FROM staff WHERE disabled_at IS NULL ORDER BY id LIMIT 1").Scan(&me).Error; err != nil {
		b.Fatal(err)
	}
	views = append(views,
		benchView{"mine", queue(QueueFilter{Assignee: AssigneeMe, Me: me})},
		benchView{"mine, all", queue(QueueFilter{Assignee: AssigneeMe, Me: me, Status: FilterAll})},
		benchView{"unassigned", queue(QueueFilter{Assignee: AssigneeNone})},
		benchView{"law", queue(QueueFilter{Jurisdiction: string(rules.UK)})},
		benchView{"overdue", queue(QueueFilter{Due: DueOverdue})},
		benchView{"due 7 days", queue(QueueFilter{Due: DueWeek})},
		benchView{"due 30 days", queue(QueueFilter{Due: DueMonth})},
		benchView{"mine, 30 days", queue(QueueFilter{Assignee: AssigneeMe, Me: me, Due: DueMonth})},
	)
	// Searches for people spread over the table, as staff type them: an
	// address, a whole name, a surname alone (most one person in 700, a
	// few more than MaxSearchPeople at a million), a phone number; and the
	// commonest: Chen, one person in 67, alone (more than MaxSearchPeople
	// from 100,000 requests on: the cost of saying so) and with the
	// commonest first name (Ava, one in 24).
	var people []Submission
	if err := db.Where("phone <> ''").Order("tracking_hash").Limit(1000).Find(&people).Error; err != nil {
		b.Fatal(err)
	}
	search := func(typed func(p *Submission) string) func(int) error {
		return func(i int) error {
			p := &people[i%len(people)]
			s, err := ParseSearch(typed(p))
			if err != nil {
				return err
			}
			page, err := rs.Queue(ctx, QueueFilter{Search: s})
			// A word alone may be a common surname: "type more of the
			// name" is its answer.
			if errors.Is(err, ErrSearchTooBroad) && len(searchTerms(s.Value)) == 1 {
				return nil
			}
			if err == nil && len(page.Items) == 0 {
				err = fmt.Errorf("%s search for submission %d found nothing", s.Kind, p.ID)
			}
			return err
		}
	}
	surname := func(p *Submission) string { return p.Name[strings.LastIndexByte(p.Name, ' ')+1:] }
	views = append(views,
		benchView{"search e-mail", search(func(p *Submission) string { return p.Email })},
		benchView{"search name", search(func(p *Submission) string { return p.Name })},
		benchView{"search surname", search(surname)},
		benchView{"search Chen", search(func(*Submission) string { return "Chen" })},
		benchView{"search Ava Chen", search(func(*Submission) string { return "Ava Chen" })},
		benchView{"search phone", search(func(p *Submission) string { return p.Phone })},
	)
	return views
}

// measure runs op from benchClients goroutines at once and returns the
// latency percentiles of the calls.
func measure(b *testing.B, op func(i int) error) latency {
	b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
	var (
		mu    sync.Mutex
		all   []time.Duration
		calls int
	)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		calls++
		seed := calls * 7919
		mu.Unlock()
		var mine []time.Duration
		for i := seed; pb.Next(); i++ {
			t := time.Now()
			if err := op(i); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(all) == 0 {
		return latency{}
	}
	slices.Sort(all)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(all)))) - 1
		return float64(all[max(i, 0)]) / float64(time.Millisecond)
	}
	return latency{p50: at(0.50), p99: at(0.99)}
}
