package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// queueViews lists every view of the queue: each kind, tab, right filter
// and sort, first page and next page.
func queueViews() []QueueFilter {
	cursor := encodeCursor(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), 12345)
	var out []QueueFilter
	for _, kind := range []string{KindRequest, KindAppeal} {
		for _, status := range append([]string{FilterOpen, FilterAll}, Statuses...) {
			for _, right := range []string{"", string(rules.RightAccess), string(rules.RightCessation)} {
				for _, sort := range Sorts {
					for _, after := range []string{"", cursor} {
						f := QueueFilter{Kind: kind, Status: status, Right: right, Sort: sort, After: after}
						f.Normalize()
						out = append(out, f)
					}
				}
			}
		}
	}
	return out
}

// filterViews lists the views of the filters of 00013: each of the
// assignee (a member, "me", nobody), the law and the due windows on each
// tab kind (open, all, a status of many and of fewer rows), and the
// assignee and the law with a due window; first page and next page,
// sorted by deadline, and the first page sorted by date received.
func filterViews(me int64, now time.Time) []QueueFilter {
	cursor := encodeCursor(now.AddDate(0, 0, -3), 12345)
	filters := []QueueFilter{
		{Assignee: itoa(me)}, {Assignee: AssigneeMe}, {Assignee: AssigneeNone},
		{Jurisdiction: string(rules.California)}, {Jurisdiction: string(rules.Quebec)},
		{Due: DueOverdue}, {Due: DueWeek}, {Due: DueMonth},
		{Assignee: AssigneeMe, Due: DueWeek}, {Assignee: AssigneeNone, Due: DueOverdue}, {Jurisdiction: string(rules.California), Due: DueMonth},
	}
	var out []QueueFilter
	seen := map[string]bool{}
	for _, base := range filters {
		for _, status := range []string{FilterOpen, FilterAll, StatusInProgress, StatusCompleted, StatusDenied} {
			for _, sort := range []string{SortUrgent, SortNewest} {
				for _, after := range []string{"", cursor} {
					if sort != SortUrgent && after != "" {
						continue
					}
					f := base
					f.Status, f.Sort, f.After, f.Me = status, sort, after, me
					f.Normalize()
					f.now = now
					if key := fmt.Sprintf("%+v", f); !seen[key] {
						seen[key] = true
						out = append(out, f)
					}
				}
			}
		}
	}
	return out
}

// explain returns the plan of q as text: EXPLAIN QUERY PLAN on SQLite;
// on PostgreSQL the plan for these values, run (EXPLAIN (ANALYZE, FORMAT
// JSON)), and, when
// generic, the plan a cached prepared statement may switch to, whatever
// the values (PREPARE, then EXPLAIN EXECUTE under force_generic_plan).
func explain(t *testing.T, db *gorm.DB, q *gorm.DB, generic bool) string {
	t.Helper()
	stmt := q.Session(&gorm.Session{DryRun: true}).Find(&[]QueueItem{}).Statement
	sql := stmt.SQL.String()
	if IsPostgres(db) {
		var plan string
		if !generic {
			if err := db.Raw("EXPLAIN (ANALYZE, FORMAT JSON) "+sql, stmt.Vars...).Row().Scan(&plan); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
			return plan
		}
		var args []string
		for _, v := range stmt.Vars {
			switch v := v.(type) {
			case string:
				args = append(args, "'"+strings.ReplaceAll(v, "'", "''")+"'")
			case time.Time:
				args = append(args, "'"+v.Format(time.RFC3339Nano)+"'::timestamptz")
			default:
				args = append(args, fmt.Sprint(v))
			}
		}
		// One connection for the three statements.
		err := db.Connection(func(conn *gorm.DB) error {
			if err := conn.Exec("SET plan_cache_mode = force_generic_plan").Error; err != nil {
				return err
			}
			defer conn.Exec("DEALLOCATE plan_test; RESET plan_cache_mode")
			if err := conn.Exec("PREPARE plan_test AS " + sql).Error; err != nil {
				return err
			}
			q := "EXPLAIN (FORMAT JSON) EXECUTE plan_test"
			if len(args) > 0 {
				q += "(" + strings.Join(args, ", ") + ")"
			}
			return conn.Raw(q).Row().Scan(&plan)
		})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return plan
	}
	rows, err := db.Raw("EXPLAIN QUERY PLAN "+sql, stmt.Vars...).Rows()
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

// countOf counts the requests that match where.
func countOf(t *testing.T, db *gorm.DB, where string, args ...any) int {
	t.Helper()
	var n int64
	if err := db.Table("requests").Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// filteredOut reads back the rows a node of pgNodes filtered out.
func filteredOut(node string) int {
	var n int
	if i := strings.Index(node, " ("); i >= 0 {
		fmt.Sscanf(node[i:], " (%d rows filtered out)", &n)
	}
	return n
}

// pgNodes flattens a JSON plan into "Node Type [Index Name] [(N rows
// filtered out)]" lines.
func pgNodes(t *testing.T, plan string) []string {
	var doc []struct{ Plan map[string]any }
	if err := json.Unmarshal([]byte(plan), &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		s := fmt.Sprint(n["Node Type"])
		if ix, ok := n["Index Name"]; ok {
			s += " " + fmt.Sprint(ix)
		}
		if removed, ok := n["Rows Removed by Filter"].(float64); ok && removed > 0 {
			s += fmt.Sprintf(" (%d rows filtered out)", int(removed))
		}
		out = append(out, s)
		if kids, ok := n["Plans"].([]any); ok {
			for _, k := range kids {
				walk(k.(map[string]any))
			}
		}
	}
	walk(doc[0].Plan)
	return out
}

// Every view of the queue reads an index in the page's order and stops
// after a page: no sort of the matching rows, whatever their number. The
// plans are the planners' own choice on a seeded database with fresh
// statistics (as Optimize keeps them on SQLite and autovacuum on
// PostgreSQL); on PostgreSQL both the plan for the cursor's values and
// the generic plan a cached statement may switch to are checked (the
// filters are written into the statement, so they are the same plan
// without a cursor). BENCHMARKS.md has the plans measured at a million
// requests.
func TestQueuePlans(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openTestDB(t, dialect)
			ctx := context.Background()
			c := testCore(t, db)
			if _, err := Seed(ctx, c, SeedOptions{Requests: 20000, RandSeed: 7}); err != nil {
				t.Fatal(err)
			}
			var ref string
			if err := db.Raw("SELECT reference FROM submissions ORDER BY id LIMIT 1 OFFSET 1000").Scan(&ref).Error; err != nil {
				t.Fatal(err)
			}
			check := func(name string, q *gorm.DB, ok func(plan string, generic bool) bool) {
				t.Helper()
				for _, generic := range []bool{false, true} {
					if generic && dialect == "sqlite" {
						continue
					}
					plan := explain(t, db, q, generic)
					if dialect == "postgres" {
						plan = strings.Join(pgNodes(t, plan), "\n")
					}
					if !ok(plan, generic) {
						t.Errorf("%s (generic plan: %v): got\n%s", name, generic, plan)
					}
				}
			}
			// inOrder checks that a view reads an index in the page's order
			// and stops after a page; few says the view has less than a
			// page of rows, which SQLite may sort.
			inOrder := func(f QueueFilter, few bool) func(plan string, generic bool) bool {
				// With two filters (a due window on a law or an assignee, in
				// one status), PostgreSQL may read the status's own index and
				// filter out the other law's rows: a few hundred at most.
				keep := 2 * f.Limit
				if f.Due != "" && (f.Jurisdiction != "" || f.Assignee != "") {
					keep = 4 * f.Limit
				}
				return func(plan string, generic bool) bool {
					if dialect == "postgres" {
						// A Limit over an index scan (forward, backward or
						// index-only) that returns the rows in order: the
						// view's own index, or, where most rows pass the
						// filter (the completed tab), a wider one, but never
						// one that reads many rows to keep a few (a missing
						// index). Appeals are few: the planner may read the
						// few of one status and sort them.
						lines := strings.Split(plan, "\n")
						if f.Kind == KindAppeal {
							return lines[0] == "Limit" && !strings.Contains(plan, "Seq Scan")
						}
						return len(lines) >= 2 && lines[0] == "Limit" && strings.HasPrefix(lines[1], "Index") &&
							strings.Contains(lines[1], " requests_") && !strings.Contains(plan, "Sort") &&
							filteredOut(lines[1]) <= keep
					}
					// SQLite weighs the values too (its statistics hold
					// samples), and may sort the few rows of an appeals tab
					// or of a status the seed leaves empty. The others are
					// read in order.
					return !strings.Contains(plan, "SCAN requests") && (few ||
						!strings.Contains(plan, "TEMP B-TREE") && strings.Contains(plan, "SEARCH requests USING ") &&
							strings.Contains(plan, "INDEX requests_"))
				}
			}
			for _, f := range queueViews() {
				q, _, err := c.queueQuery(db.WithContext(ctx), f)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s/%s/right=%q/%s/after=%v", f.Kind, f.Status, f.Right, f.Sort, f.After != "")
				few := f.Kind == KindAppeal || f.Status != FilterOpen && f.Status != FilterAll &&
					countOf(t, db, "kind = ? AND status = ?", f.Kind, f.Status) < 2*f.Limit
				check(name, q, inOrder(f, few))
			}
			// The filters of 00013 (assignee, law, due window), alone and
			// with a due window, sorted by deadline: each reads its own
			// index in order. Sorted by date received, a view reads one of
			// the indexes and may sort what it keeps, never the table.
			var members []int64
			if err := db.Raw("SELECT id FROM staff WHERE disabled_at IS NULL ORDER BY id").Scan(&members).Error; err != nil {
				t.Fatal(err)
			}
			for _, f := range filterViews(members[0], c.Now()) {
				q, _, err := c.queueQuery(db.WithContext(ctx), f)
				if err != nil {
					t.Fatal(err)
				}
				if q == nil {
					continue // a closed tab has nothing due
				}
				name := fmt.Sprintf("%s/%s/law=%q/assignee=%q/due=%q/%s/after=%v", f.Kind, f.Status, f.Jurisdiction, f.Assignee, f.Due, f.Sort, f.After != "")
				if f.Sort != SortUrgent {
					check(name, q, func(plan string, _ bool) bool {
						return !strings.Contains(plan, "Seq Scan") && !strings.Contains(plan, "SCAN requests")
					})
					continue
				}
				var rows []QueueItem
				if err := q.Scan(&rows).Error; err != nil { // (which uses q up)
					t.Fatal(err)
				}
				q, _, _ = c.queueQuery(db.WithContext(ctx), f)
				check(name, q, inOrder(f, len(rows) <= f.Limit))
			}
			// A name search that would find more than MaxSearchPeople people
			// asks for more of the name; the rarer word of two is read first.
			rs := NewRequests(c)
			if _, err := rs.Queue(ctx, QueueFilter{Search: Search{SearchName, "a"}}); !errors.Is(err, ErrSearchTooBroad) {
				t.Errorf("a search for every name starting with a: %v", err)
			}
			if terms, err := c.nameTerms(ctx, "Ava Kelquist"); err != nil || !slices.Equal(terms, []string{"kelquist", "ava"}) {
				t.Errorf("terms read in the order %v (%v)", terms, err)
			}
			// A search for a person reads one index for the few people it
			// finds (by e-mail, the tail of a phone number, the rarest word
			// of a name, each person then checked for the others), then
			// their requests by submission, and sorts those.
			var person Submission
			if err := db.Where("phone <> ''").Order("id").Offset(500).Take(&person).Error; err != nil {
				t.Fatal(err)
			}
			words := strings.Fields(person.Name)
			for _, typed := range []string{person.Email, person.Name, words[len(words)-1], words[0][:3] + " " + words[len(words)-1][:3],
				person.Phone, person.PhoneTail} {
				sch, err := ParseSearch(typed)
				if err != nil || sch.Kind == SearchReference {
					t.Fatalf("%q: %+v %v", typed, sch, err)
				}
				if page, err := rs.Queue(ctx, QueueFilter{Search: sch}); err != nil || len(page.Items) == 0 {
					t.Fatalf("search %q found nothing: %v", typed, err)
				}
				terms, err := c.nameTerms(ctx, sch.Value)
				if err != nil {
					t.Fatal(err)
				}
				sql, args := peopleSQL(sch, terms, dialect == "postgres")
				index := map[string]string{SearchEmail: "submissions_email_idx", SearchPhone: "submissions_phone_tail_idx",
					SearchName: "submission_names_pkey"}[sch.Kind]
				if dialect == "sqlite" && sch.Kind == SearchName {
					index = "SEARCH found USING PRIMARY KEY (token>? AND token<?)"
				}
				// A name's other words are checked person by person.
				probe := sch.Kind != SearchName || len(terms) == 1
				check(fmt.Sprintf("people found by %s %q: want %s", sch.Kind, typed, index), db.Raw(sql, args...), func(plan string, _ bool) bool {
					return strings.Contains(plan, index) && (probe || strings.Contains(plan, "submission_names_submission_idx")) &&
						!strings.Contains(plan, "Seq Scan") && !strings.Contains(plan, "SCAN ") && !strings.Contains(plan, "Hash")
				})
				f := QueueFilter{Search: sch}
				f.Normalize()
				if f.people, err = c.searchPeople(ctx, sch); err != nil {
					t.Fatal(err)
				}
				q, _, err := c.queueQuery(db.WithContext(ctx), f)
				if err != nil {
					t.Fatal(err)
				}
				check(fmt.Sprintf("their requests (%s %q): want requests_submission_idx", sch.Kind, typed), q, func(plan string, _ bool) bool {
					return strings.Contains(plan, "requests_submission_idx") && !strings.Contains(plan, "Seq Scan") && !strings.Contains(plan, "SCAN requests")
				})
			}
			// The tab counts read the open requests' index entries and at
			// most CountCap+1 entries of each closed status: never a
			// sequential scan, never more of a closed status.
			for _, kind := range []string{KindRequest, KindAppeal} {
				check("counts of "+kind+"s: want index scans only", db.Raw(countsQuery(kind)), func(plan string, _ bool) bool {
					if dialect == "postgres" {
						closed := len(Statuses) - len(OpenStatuses)
						return !strings.Contains(plan, "Seq Scan") && strings.Count(plan, "Limit") == closed &&
							strings.Count(plan, "Index Only Scan requests_urgent_idx") == closed &&
							strings.Count(plan, "requests_open_status_idx") == len(OpenStatuses)
					}
					// (SQLite does not see that status = 'verified' implies the
					// partial index's IN list; a full index covers it as well.
					// For the few appeals of a status it may sort them.)
					if kind == KindAppeal {
						return !strings.Contains(plan, "SCAN requests")
					}
					return !strings.Contains(plan, "SCAN requests") && !strings.Contains(plan, "TEMP B-TREE") &&
						strings.Count(plan, "SEARCH requests USING COVERING INDEX requests_urgent_idx") == len(Statuses)-len(OpenStatuses) &&
						strings.Count(plan, "SEARCH requests USING COVERING INDEX") == len(Statuses)
				})
			}
			// A reference search reads one submission, then its requests.
			for _, right := range []string{"", "access"} {
				f := QueueFilter{Reference: ref, Right: right}
				f.Normalize()
				q, _, err := c.queueQuery(db.WithContext(ctx), f)
				if err != nil {
					t.Fatal(err)
				}
				check("reference search, right "+right+": want the reference index, then requests_submission_idx", q,
					func(plan string, _ bool) bool {
						refIndex := "submissions_reference_key"
						if dialect == "sqlite" {
							refIndex = "sqlite_autoindex_submissions_1"
						}
						return strings.Contains(plan, refIndex) && strings.Contains(plan, "requests_submission_idx")
					})
			}
		})
	}
}
