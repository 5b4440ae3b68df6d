package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/rightsdesk/rightsdesk/internal/rules"
)

// SeedOptions say how many fictional requests Seed makes, and how.
type SeedOptions struct {
	Requests int           // requests to add, appeals included
	Now      time.Time     // the end of the period they were received in; zero = the core's clock
	Span     time.Duration // how far back they go; 0 = two years
	// RandSeed fixes the spread (statuses, rights, dates, names), so that a
	// benchmark seeds the same database every time; 0 draws one. Tokens
	// and references are random whatever it is.
	RandSeed uint64
	// NoCopy makes PostgreSQL use multi-row INSERTs, as SQLite does,
	// instead of COPY (to compare the two).
	NoCopy bool
	// Progress, when set, is called after each committed batch with the
	// number of requests added so far.
	Progress func(requests int)
}

// SeedResult counts what Seed added.
type SeedResult struct {
	Submissions, Requests, Appeals, Open, Events int
}

// seedStatuses are the statuses Seed gives requests. It makes none paused
// awaiting information, or merged: those carry rows of their own.
var seedStatuses = []string{StatusAwaitingVerification, StatusVerified, StatusInProgress,
	StatusCompleted, StatusDenied, StatusWithdrawn}

// seedBatch is about how many requests one transaction adds.
const seedBatch = 10000

// Seed adds fictional requests for load tests and demos: people with
// example.org-style addresses (and, for some, a phone number), 1 to 3
// requests per submission, received over the span, mostly closed
// (completed, denied or withdrawn), a few percent still open, a few
// denials appealed, most of them assigned to fictional members of staff
// who cannot sign in (seedStaff). Each row is what the app itself would
// have written: a unique reference, a tracking hash and a sealed token
// under this core's keys, deadlines from the rules engine, the name's
// words and the phone's tail that search reads, one "received" event per
// request (assignments are not on the timelines). No mail is queued.
//
// Rows go in by batches of about 10,000 requests, one transaction each,
// with COPY on PostgreSQL and multi-row INSERTs on SQLite. Ids are
// assigned under a lock that holds off other inserts for the batch, so
// seeding a database the app is using is safe, if not polite.
func Seed(ctx context.Context, c *Core, opts SeedOptions) (SeedResult, error) {
	var res SeedResult
	if opts.Requests <= 0 {
		return res, nil
	}
	if opts.Now.IsZero() {
		opts.Now = c.Now()
	}
	if opts.Span <= 0 {
		opts.Span = 2 * 365 * 24 * time.Hour
	}
	seed := opts.RandSeed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return res, err
	}
	g := &seeder{c: c, opts: opts, rng: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		secret: mrand.NewChaCha8(key), refs: map[string]struct{}{}, deadlines: map[deadlineKey]deadlineSet{}}
	var err error
	if g.staff, g.former, err = seedStaff(ctx, c); err != nil {
		return res, err
	}
	var existing int64
	if err := c.db.WithContext(ctx).Model(&Submission{}).Limit(1).Count(&existing).Error; err != nil {
		return res, err
	}
	g.checkRefs = existing > 0

	sqlDB, err := c.db.DB()
	if err != nil {
		return res, err
	}
	postgres := IsPostgres(c.db)

	// One goroutine draws the rows while this one writes the previous batch.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *seedRows, 2)
	genErr := make(chan error, 1)
	go func() {
		defer close(batches)
		left := opts.Requests
		for left > 0 {
			b, err := g.batch(ctx, min(left, seedBatch))
			if err != nil {
				genErr <- err
				return
			}
			left -= len(b.reqs)
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
		genErr <- nil
	}()
	for b := range batches {
		switch {
		case postgres && !opts.NoCopy:
			err = seedCopy(ctx, sqlDB, b)
		default:
			err = seedInsert(ctx, sqlDB, postgres, b)
		}
		if err != nil {
			return res, err
		}
		res.Submissions += len(b.subs)
		res.Requests += len(b.reqs)
		res.Events += len(b.reqs)
		for _, r := range b.reqs {
			if r.appealOf >= 0 {
				res.Appeals++
			}
			if contains(OpenStatuses, r.status) {
				res.Open++
			}
		}
		if opts.Progress != nil {
			opts.Progress(res.Requests)
		}
	}
	if err := <-genErr; err != nil {
		return res, err
	}
	// Fresh statistics: on SQLite as the app refreshes them (Optimize); on
	// PostgreSQL at once rather than when autovacuum comes by.
	if !postgres {
		return res, Optimize(ctx, c.db)
	}
	return res, seedVacuum(ctx, sqlDB)
}

// seedVacuum vacuums, then analyzes, the seeded tables, so that their
// pages are marked all-visible and the tab counts are index-only scans
// from the start. VACUUM cannot mark a page whose rows' commits it cannot
// yet hint, which it cannot while a commit sharing their commit-log LSN
// group (32 transactions) may still be lost: under synchronous_commit=off
// (test clusters), ANALYZE's own commit would hold back the next table's
// VACUUM. So every VACUUM comes first, and the connection commits
// synchronously.
func seedVacuum(ctx context.Context, sqlDB *sql.DB) error {
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tables := []string{"submissions", "submission_names", "requests", "events"}
	stmts := []string{"SET synchronous_commit = on"}
	for _, t := range tables {
		stmts = append(stmts, "VACUUM "+t)
	}
	for _, t := range tables {
		stmts = append(stmts, "ANALYZE "+t)
	}
	stmts = append(stmts, "RESET synchronous_commit")
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("seed: %s: %w", stmt, err)
		}
	}
	return nil
}

// seedRows is one batch. Ids are positions in the batch until the writer
// knows where the table ends.
type seedRows struct {
	subs []seedSub
	reqs []seedReq
}

type seedSub struct {
	reference, trackingHash, trackingSealed                         string
	name, email, phone, country, region, jurisdiction, relationship string
	channel                                                         string
	emailVerifiedAt                                                 *time.Time
	receivedAt                                                      time.Time
}

// seedStaffCount is how many fictional members hold the seeded requests;
// one more, deactivated, holds some of the closed ones.
const seedStaffCount = 12

// seedStaff returns the fictional members the seeded requests are
// assigned to (the active ones, and the former one), adding those not
// there yet: reviewers at example.org whose password hash no password
// matches, so no one can sign in as them.
func seedStaff(ctx context.Context, c *Core) (active []int64, former int64, err error) {
	db := c.db.WithContext(ctx)
	now := c.Now()
	for i := range seedStaffCount + 1 {
		email := fmt.Sprintf("seed-staff-%02d@example.org", i+1)
		var st Staff
		err := db.Where("email = ?", email).Limit(1).Find(&st).Error
		if err != nil {
			return nil, 0, err
		}
		if st.ID == 0 {
			st = Staff{Email: email, Name: fmt.Sprintf("Seeded member %02d", i+1), Role: RoleReviewer, PasswordHash: "!seeded",
				CreatedAt: now, UpdatedAt: now}
			if i == seedStaffCount {
				st.DisabledAt = &now
			}
			if err := db.Create(&st).Error; err != nil {
				return nil, 0, err
			}
		}
		if i == seedStaffCount {
			former = st.ID
		} else {
			active = append(active, st.ID)
		}
	}
	return active, former, nil
}

type seedReq struct {
	sub, appealOf                               int // positions in the batch; appealOf -1 for none
	kind, right, jurisdiction, status           string
	receivedAt, dueAt, originalDueAt            time.Time
	ackDueAt, acknowledgedAt, extendedAt        *time.Time
	verifiedAt, closedAt                        *time.Time
	extensionReason, denialReason, denialDetail string
	updatedAt                                   time.Time
	assignee                                    int64 // 0 = nobody
}

type seeder struct {
	c         *Core
	opts      SeedOptions
	rng       *mrand.Rand    // the spread
	secret    *mrand.ChaCha8 // tokens and references (a CSPRNG seeded from crypto/rand)
	refs      map[string]struct{}
	checkRefs bool // the table had rows before: check each batch's references against it
	deadlines map[deadlineKey]deadlineSet
	people    int
	done      int     // requests drawn so far
	staff     []int64 // the active members requests are assigned to
	former    int64   // a deactivated member who held some closed ones
}

// A deadline depends on the jurisdiction, the right and the local date of
// receipt only (see internal/rules), so the engine is asked once per day.
type deadlineKey struct {
	j    rules.Jurisdiction
	r    rules.Right
	date int
}

type deadlineSet struct {
	due      time.Time
	ack      *time.Time
	extended *time.Time // nil when the law allows no extension
}

func (g *seeder) deadlinesOf(j rules.Jurisdiction, r rules.Right, received time.Time) (deadlineSet, error) {
	y, m, d := received.In(g.c.Rules.Location()).Date()
	k := deadlineKey{j, r, y*10000 + int(m)*100 + d}
	if s, ok := g.deadlines[k]; ok {
		return s, nil
	}
	var s deadlineSet
	if r == rules.RightAppeal {
		due, err := g.c.Rules.AppealDeadline(j, received)
		if err != nil {
			return s, err
		}
		s.due = due.UTC()
	} else {
		dl, err := g.c.Rules.Deadlines(j, r, received)
		if err != nil {
			return s, err
		}
		s.due = dl.Due.UTC()
		if dl.AckDue != nil {
			a := dl.AckDue.UTC()
			s.ack = &a
		}
		if ext, err := g.c.Rules.Extend(j, r, received, s.due, false, received); err == nil {
			e := ext.UTC()
			s.extended = &e
		}
	}
	g.deadlines[k] = s
	return s, nil
}

// Where seeded people live, by weight: (country, region).
var seedPlaces = []struct {
	country, region string
	weight          int
}{
	{"US", "CA", 30}, {"US", "VA", 4}, {"US", "CO", 4}, {"US", "CT", 3}, {"US", "TX", 6}, {"US", "OR", 3},
	{"US", "NY", 4}, {"US", "FL", 3}, {"US", "WA", 2}, {"US", "IL", 1},
	{"GB", "", 8},
	{"DE", "", 4}, {"FR", "", 4}, {"IT", "", 2}, {"ES", "", 2}, {"NL", "", 1}, {"IE", "", 1}, {"SE", "", 1},
	{"CA", "QC", 3}, {"CA", "ON", 3}, {"CA", "BC", 1}, {"CA", "AB", 1},
	{"AU", "", 3}, {"IN", "", 2}, {"BR", "", 2}, {"JP", "", 1}, {"MX", "", 1}, {"CH", "", 1},
}

// How often each right is asked for, where the law offers it.
var seedRightWeights = map[rules.Right]int{
	rules.RightAccess: 35, rules.RightDelete: 30, rules.RightOptOutSale: 15, rules.RightUnsubscribe: 8,
	rules.RightCorrect: 5, rules.RightPortability: 3, rules.RightLimitSensitive: 2, rules.RightCessation: 2,
	rules.RightRestrict: 1, rules.RightObject: 1, rules.RightShineTheLight: 1,
}

// seedCommonLast is the share of people with a common surname; seedPhones
// the share who give a phone number.
const (
	seedCommonLast = 0.3
	seedPhones     = 0.3
)

var (
	seedFirst = []string{"Ava", "Liam", "Noah", "Emma", "Olivia", "Lucas", "Mia", "Ethan", "Sofia", "James", "Chloe",
		"Aria", "Mateo", "Zoe", "Hugo", "Lena", "Omar", "Priya", "Kenji", "Ines", "Tomas", "Freya", "Rafael", "Nora"}
	// Common surnames, drawn for seedCommonLast of the people; the others
	// get one of 500 rarer ones made of two parts, so that a search by a
	// surname finds as many people as it would in a real organization
	// (the commonest surnames are one or two percent of people).
	seedLast = []string{"Martinez", "Chen", "Dubois", "Schmidt", "Brown", "Walker", "Johnson", "Roy", "Rossi", "Miller",
		"Taylor", "Patel", "Novak", "Silva", "Kowalski", "Nakamura", "Okafor", "Larsen", "Haddad", "Moreau"}
	seedLastStart = []string{"Al", "Bar", "Cor", "Dal", "Es", "Fen", "Gar", "Hol", "Is", "Jan", "Kel", "Lor", "Mar", "Nor", "Ost",
		"Pel", "Quin", "Ros", "Sal", "Tor", "Ul", "Van", "Wes", "Yor", "Zel"}
	seedLastEnd = []string{"berg", "by", "dahl", "ez", "field", "gaard", "hart", "ini", "ko", "lund", "man", "ner", "ov", "quist",
		"ridge", "son", "ton", "vik", "wood", "zak"}
	// Reserved for examples (RFC 2606): nobody receives mail there.
	seedDomains       = []string{"example.org", "example.com", "example.net"}
	seedRelationships = []string{"customer", "customer", "customer", "customer", "employee", "applicant", "visitor", "other"}
)

func (g *seeder) weighted(n int, weight func(i int) int) int {
	total := 0
	for i := range n {
		total += weight(i)
	}
	x := g.rng.IntN(total)
	for i := range n {
		if x -= weight(i); x < 0 {
			return i
		}
	}
	return n - 1
}

func (g *seeder) chance(p float64) bool { return g.rng.Float64() < p }

func (g *seeder) days(lo, hi float64) time.Duration {
	return time.Duration((lo + g.rng.Float64()*(hi-lo)) * float64(24*time.Hour))
}

// token returns a tracking token shaped as newToken makes them.
func (g *seeder) token() string {
	var b [32]byte
	g.secret.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// reference returns a reference unused in this run, shaped as
// newReference makes them.
func (g *seeder) reference() string {
	for {
		out := []byte("RD-XXXX-XXXX")
		for i := range out {
			if out[i] == 'X' {
				out[i] = referenceAlphabet[g.secret.Uint64()%uint64(len(referenceAlphabet))]
			}
		}
		ref := string(out)
		if _, dup := g.refs[ref]; !dup {
			g.refs[ref] = struct{}{}
			return ref
		}
	}
}

// batch draws n requests, whole submissions only (the last one is cut to
// fit).
func (g *seeder) batch(ctx context.Context, n int) (*seedRows, error) {
	b := &seedRows{}
	for len(b.reqs) < n {
		if err := g.submission(b, n-len(b.reqs)); err != nil {
			return nil, err
		}
	}
	if g.checkRefs {
		if err := g.freshReferences(ctx, b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// freshReferences draws again the references of b that the table already
// holds (from before this run), until none does.
func (g *seeder) freshReferences(ctx context.Context, b *seedRows) error {
	at := make(map[string]int, len(b.subs))
	for i, s := range b.subs {
		at[s.reference] = i
	}
	refs := make([]string, 0, len(b.subs))
	for _, s := range b.subs {
		refs = append(refs, s.reference)
	}
	for len(refs) > 0 {
		var taken []string
		for chunk := range slices.Chunk(refs, 5000) {
			var t []string
			if err := g.c.db.WithContext(ctx).Model(&Submission{}).Where("reference IN ?", chunk).
				Pluck("reference", &t).Error; err != nil {
				return err
			}
			taken = append(taken, t...)
		}
		refs = refs[:0]
		for _, old := range taken {
			i := at[old]
			b.subs[i].reference = g.reference()
			at[b.subs[i].reference] = i
			refs = append(refs, b.subs[i].reference)
		}
	}
	return nil
}

// submission draws one person's submission and its requests (at most
// room), each request's life so far, and now and then an appeal of a
// denial.
func (g *seeder) submission(b *seedRows, room int) error {
	o := g.opts
	place := seedPlaces[g.weighted(len(seedPlaces), func(i int) int { return seedPlaces[i].weight })]
	j := rules.Resolve(place.country, place.region)
	offered := g.c.Rules.Rights(j)
	n := 1
	switch x := g.rng.IntN(100); {
	case x >= 90:
		n = 3
	case x >= 65:
		n = 2
	}
	n = min(n, room, len(offered))
	var rights []rules.Right
	for len(rights) < n {
		r := offered[g.weighted(len(offered), func(i int) int { return max(seedRightWeights[offered[i]], 1) })]
		if !contains(rights, r) {
			rights = append(rights, r)
		}
	}
	// Submissions arrive in order over the span, as they would have: ids
	// grow with the date received, and every index takes its rows near
	// its right edge.
	at := (float64(g.done) + g.rng.Float64()*float64(n)) / float64(o.Requests)
	received := o.Now.Add(-o.Span + time.Duration(at*float64(o.Span))).Truncate(time.Microsecond)
	g.people++
	first, last := seedFirst[g.rng.IntN(len(seedFirst))], seedLast[g.rng.IntN(len(seedLast))]
	if !g.chance(seedCommonLast) {
		last = seedLastStart[g.rng.IntN(len(seedLastStart))] + seedLastEnd[g.rng.IntN(len(seedLastEnd))]
	}
	token := g.token()
	sub := seedSub{reference: g.reference(), trackingHash: g.c.hash("track", token), trackingSealed: g.c.sealToken(token),
		name: first + " " + last, email: fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(first), strings.ToLower(last), g.people,
			seedDomains[g.rng.IntN(len(seedDomains))]),
		country: place.country, region: place.region, jurisdiction: string(j),
		relationship: seedRelationships[g.rng.IntN(len(seedRelationships))], channel: "web", receivedAt: received}
	switch x := g.rng.IntN(100); {
	case x < 4:
		sub.channel = "email"
	case x < 7:
		sub.channel, sub.phone = "phone", g.phone()
	case x < 8:
		sub.channel = "mail"
	}
	if sub.phone == "" && g.chance(seedPhones) {
		sub.phone = g.phone()
	}
	si, drawn := len(b.subs), len(b.reqs)
	// Most people confirm their email within a day or two; some never do.
	var emailVerified *time.Time
	if g.chance(0.9) {
		t := received.Add(g.days(0, 2)).Truncate(time.Microsecond)
		if t.Before(o.Now) {
			emailVerified = &t
		}
	}
	for _, r := range rights {
		req, err := g.request(si, j, r, received, emailVerified)
		if err != nil {
			return err
		}
		g.assign(&req)
		b.reqs = append(b.reqs, req)
		if len(b.reqs)-drawn < room && req.status == StatusDenied && g.chance(0.25) {
			if a, ok, err := g.appeal(si, len(b.reqs)-1, j, req); err != nil {
				return err
			} else if ok {
				g.assign(&a)
				b.reqs = append(b.reqs, a)
			}
		}
	}
	sub.emailVerifiedAt = emailVerified
	b.subs = append(b.subs, sub)
	g.done += len(b.reqs) - drawn
	return nil
}

// phone draws a number in the style of the North American plan's
// fictional exchange 555, in one of many area codes.
func (g *seeder) phone() string {
	return fmt.Sprintf("+1 %03d 555 %04d", 201+g.rng.IntN(780), g.rng.IntN(10000))
}

// assign draws who holds a request: most open ones, and almost every
// closed one, some of those by a member who has left since. Some members
// hold more than others.
func (g *seeder) assign(r *seedReq) {
	switch {
	case r.status == StatusAwaitingVerification && g.chance(0.5), contains(OpenStatuses, r.status) && g.chance(0.1),
		!contains(OpenStatuses, r.status) && g.chance(0.05):
		return
	case !contains(OpenStatuses, r.status) && g.chance(0.1):
		r.assignee = g.former
		return
	}
	r.assignee = g.staff[g.weighted(len(g.staff), func(i int) int { return len(g.staff) + 2*i })]
}

// request draws one request's life so far: how long it takes (fast rights
// days, others weeks, a few past their deadline, a very few forgotten),
// and so where it stands now.
func (g *seeder) request(si int, j rules.Jurisdiction, r rules.Right, received time.Time, emailVerified *time.Time) (seedReq, error) {
	o := g.opts
	dl, err := g.deadlinesOf(j, r, received)
	if err != nil {
		return seedReq{}, err
	}
	req := seedReq{sub: si, appealOf: -1, kind: KindRequest, right: string(r), jurisdiction: string(j),
		status: StatusAwaitingVerification, receivedAt: received, dueAt: dl.due, originalDueAt: dl.due, ackDueAt: dl.ack}
	if dl.ack != nil {
		req.acknowledgedAt = &received // acknowledged at once, as Submit does
	}
	noVerification := g.c.Rules.VerificationTier(j, r) == rules.TierNone
	verified := emailVerified
	if noVerification {
		verified = &received
	}
	took := g.days(1, 35)
	if noVerification {
		took = g.days(0, 10)
	}
	switch {
	case g.chance(0.02):
		took = dl.due.Sub(received) + g.days(1, 20) // late
	case g.chance(0.001):
		took = 10 * 365 * 24 * time.Hour // forgotten: still open, long overdue
	}
	age := o.Now.Sub(received)
	if dl.extended != nil && took > dl.due.Sub(received)-3*24*time.Hour && g.chance(0.7) {
		// Extended a few days before the original deadline, with notice.
		at := dl.due.Add(-g.days(2, 5)).Truncate(time.Microsecond)
		if at.After(received) && at.Before(o.Now) {
			req.extendedAt, req.dueAt = &at, *dl.extended
			req.extensionReason = "Seeded: the records span several systems."
		}
	}
	req.updatedAt = received
	if took < age {
		closed := received.Add(took).Truncate(time.Microsecond)
		req.closedAt, req.updatedAt = &closed, closed
		if verified != nil && verified.After(closed) {
			verified = nil // closed before the person confirmed
		}
		switch x := g.rng.IntN(100); {
		case x < 80 && verified != nil:
			req.status = StatusCompleted
		case x < 92:
			req.status = StatusDenied
			reasons := g.c.Rules.DenialReasons(j, r)
			req.denialReason = reasons[0]
			if verified == nil && contains(reasons, "cannot_verify") {
				req.denialReason = "cannot_verify"
			} else if reasons[0] != "fraud" {
				req.denialReason = reasons[g.rng.IntN(len(reasons)-1)] // any but "other"
			}
			if req.denialReason == "fraud" {
				req.denialDetail = "Seeded: the request came from an address known for fraudulent requests."
			}
		default:
			req.status = StatusWithdrawn
		}
		req.verifiedAt = verified
		return req, nil
	}
	// Still open.
	if verified != nil {
		req.status, req.verifiedAt, req.updatedAt = StatusVerified, verified, *verified
		if started := verified.Add(g.days(0, 5)).Truncate(time.Microsecond); started.Before(o.Now) {
			req.status, req.updatedAt = StatusInProgress, started
		}
	}
	if req.extendedAt != nil && req.extendedAt.After(req.updatedAt) {
		req.updatedAt = *req.extendedAt
	}
	return req, nil
}

// appeal draws an appeal of a denied request, where the law gives one.
func (g *seeder) appeal(si, orig int, j rules.Jurisdiction, denied seedReq) (seedReq, bool, error) {
	if _, ok := g.c.Rules.Appeal(j); !ok {
		return seedReq{}, false, nil
	}
	received := denied.closedAt.Add(g.days(1, 30)).Truncate(time.Microsecond)
	if !received.Before(g.opts.Now) {
		return seedReq{}, false, nil
	}
	dl, err := g.deadlinesOf(j, rules.RightAppeal, received)
	if err != nil {
		return seedReq{}, false, err
	}
	a := seedReq{sub: si, appealOf: orig, kind: KindAppeal, right: denied.right, jurisdiction: string(j),
		status: StatusVerified, receivedAt: received, dueAt: dl.due, originalDueAt: dl.due, verifiedAt: &received,
		updatedAt: received}
	if took := g.days(3, 40); received.Add(took).Before(g.opts.Now) {
		closed := received.Add(took).Truncate(time.Microsecond)
		a.closedAt, a.updatedAt = &closed, closed
		a.status = StatusCompleted // the denial reversed
		if g.chance(0.6) {
			a.status, a.denialReason, a.denialDetail = StatusDenied, denied.denialReason, denied.denialDetail // upheld
		}
	} else if g.chance(0.5) {
		started := received.Add(g.days(0, 3)).Truncate(time.Microsecond)
		if started.Before(g.opts.Now) {
			a.status, a.updatedAt = StatusInProgress, started
		}
	}
	return a, true, nil
}

var (
	seedSubCols = []string{"id", "reference", "tracking_hash", "tracking_sealed", "on_behalf", "name", "email", "phone",
		"phone_tail", "country", "region", "jurisdiction", "relationship", "details", "lang", "channel",
		"email_verified_at", "received_at", "created_at", "updated_at"}
	seedNameCols = []string{"token", "submission_id"}
	seedReqCols  = []string{"id", "submission_id", "kind", "appeal_of_id", "right_code", "jurisdiction", "status",
		"received_at", "due_at", "original_due_at", "ack_due_at", "acknowledged_at", "extended_at", "extension_reason",
		"verified_at", "closed_at", "denial_reason", "denial_detail", "assignee_id", "created_at", "updated_at"}
	seedEventCols = []string{"request_id", "kind", "actor_kind", "status_from", "status_to", "body", "internal", "created_at"}
)

// tp turns a nullable time into a driver value.
func tp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// seedTable is one table's rows of a batch.
type seedTable struct {
	name string
	cols []string
	rows [][]any
}

// tables lays the batch out as column values, submissions' ids from
// subBase and requests' from reqBase on, in the order they are written.
func (b *seedRows) tables(subBase, reqBase int64) []seedTable {
	subs, names, reqs, events := b.rows(subBase, reqBase)
	return []seedTable{{"submissions", seedSubCols, subs}, {"submission_names", seedNameCols, names},
		{"requests", seedReqCols, reqs}, {"events", seedEventCols, events}}
}

// rows lays the batch out as column values, submissions' ids from subBase
// and requests' from reqBase on.
func (b *seedRows) rows(subBase, reqBase int64) (subs, names, reqs, events [][]any) {
	subs = make([][]any, len(b.subs))
	for i, s := range b.subs {
		id := subBase + int64(i)
		subs[i] = []any{id, s.reference, s.trackingHash, s.trackingSealed, "self", s.name, s.email, s.phone, phoneTail(s.phone),
			s.country, s.region, s.jurisdiction, s.relationship, "", "en", s.channel, tp(s.emailVerifiedAt),
			s.receivedAt, s.receivedAt, s.receivedAt}
		for _, w := range nameTokens(s.name) {
			names = append(names, []any{w, id})
		}
	}
	reqs = make([][]any, len(b.reqs))
	events = make([][]any, len(b.reqs))
	for i, r := range b.reqs {
		id := reqBase + int64(i)
		var appealOf any
		if r.appealOf >= 0 {
			appealOf = reqBase + int64(r.appealOf)
		}
		first := StatusAwaitingVerification
		if r.verifiedAt != nil && r.verifiedAt.Equal(r.receivedAt) {
			first = StatusVerified
		}
		body := b.subs[r.sub].channel
		if r.kind == KindAppeal {
			body = ""
		}
		var assignee any
		if r.assignee != 0 {
			assignee = r.assignee
		}
		reqs[i] = []any{id, subBase + int64(r.sub), r.kind, appealOf, r.right, r.jurisdiction, r.status,
			r.receivedAt, r.dueAt, r.originalDueAt, tp(r.ackDueAt), tp(r.acknowledgedAt), tp(r.extendedAt), r.extensionReason,
			tp(r.verifiedAt), tp(r.closedAt), r.denialReason, r.denialDetail, assignee, r.receivedAt, r.updatedAt}
		events[i] = []any{id, EventReceived, "requester", "", first, body, false, r.receivedAt}
	}
	return subs, names, reqs, events
}

// seedLockSQL starts a batch's transaction on PostgreSQL: other inserts
// wait while the batch takes its ids from the sequences. Its commit is
// flushed even where synchronous_commit is off (see seedVacuum).
const seedLockSQL = "SET LOCAL synchronous_commit = on; LOCK TABLE submissions, requests IN SHARE ROW EXCLUSIVE MODE"

// seedCopy writes a batch on PostgreSQL with COPY, in one transaction
// that holds off other inserts while it takes ids from the sequences.
func seedCopy(ctx context.Context, sqlDB *sql.DB, b *seedRows) error {
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("seed: COPY needs the pgx driver, not %T", dc)
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		q := func(sql string, args ...any) (int64, error) {
			var v int64
			err := tx.QueryRow(ctx, sql, args...).Scan(&v)
			return v, err
		}
		if _, err := tx.Exec(ctx, seedLockSQL); err != nil {
			return err
		}
		subBase, err := q("SELECT nextval(pg_get_serial_sequence('submissions', 'id'))")
		if err != nil {
			return err
		}
		reqBase, err := q("SELECT nextval(pg_get_serial_sequence('requests', 'id'))")
		if err != nil {
			return err
		}
		if len(b.subs) > 0 {
			if _, err := q("SELECT setval(pg_get_serial_sequence('submissions', 'id'), $1)", subBase+int64(len(b.subs))-1); err != nil {
				return err
			}
		}
		if _, err := q("SELECT setval(pg_get_serial_sequence('requests', 'id'), $1)", reqBase+int64(len(b.reqs))-1); err != nil {
			return err
		}
		for _, t := range b.tables(subBase, reqBase) {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
				return fmt.Errorf("seed: copy %s: %w", t.name, err)
			}
		}
		return tx.Commit(ctx)
	})
}

// seedInsert writes a batch with multi-row INSERTs in one transaction. On
// SQLite the transaction holds the write lock from BEGIN (_txlock=immediate);
// on PostgreSQL the tables are locked as for COPY.
func seedInsert(ctx context.Context, sqlDB *sql.DB, postgres bool, b *seedRows) error {
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var subBase, reqBase int64
	if postgres {
		if _, err := tx.ExecContext(ctx, seedLockSQL); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT nextval(pg_get_serial_sequence('submissions', 'id'))").Scan(&subBase); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT nextval(pg_get_serial_sequence('requests', 'id'))").Scan(&reqBase); err != nil {
			return err
		}
		for _, s := range []struct {
			table string
			last  int64
		}{{"submissions", subBase + int64(len(b.subs)) - 1}, {"requests", reqBase + int64(len(b.reqs)) - 1}} {
			if _, err := tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('"+s.table+"', 'id'), $1)", max(s.last, 1)); err != nil {
				return err
			}
		}
	} else {
		// AUTOINCREMENT never reuses an id: start past the highest ever given.
		next := func(table string) (int64, error) {
			var v int64
			err := tx.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT MAX(id) FROM `+table+`), 0),
				COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '`+table+`'), 0)) + 1`).Scan(&v)
			return v, err
		}
		if subBase, err = next("submissions"); err != nil {
			return err
		}
		if reqBase, err = next("requests"); err != nil {
			return err
		}
	}
	for _, t := range b.tables(subBase, reqBase) {
		if err := insertRows(ctx, tx, postgres, t.name, t.cols, t.rows); err != nil {
			return fmt.Errorf("seed: insert %s: %w", t.name, err)
		}
	}
	return tx.Commit()
}

// insertRows inserts rows with as few multi-row INSERTs as the drivers'
// parameter limits allow.
func insertRows(ctx context.Context, tx *sql.Tx, postgres bool, table string, cols []string, rows [][]any) error {
	// SQLite takes up to 32766 parameters a statement, PostgreSQL 65535.
	per := 30000 / len(cols)
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, per*len(cols))
	for len(rows) > 0 {
		chunk := rows[:min(per, len(rows))]
		rows = rows[len(chunk):]
		st := stmts[len(chunk)]
		if st == nil {
			var sb strings.Builder
			sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
			for i := range chunk {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteByte('(')
				for k := range cols {
					if k > 0 {
						sb.WriteString(", ")
					}
					if postgres {
						fmt.Fprintf(&sb, "$%d", i*len(cols)+k+1)
					} else {
						sb.WriteByte('?')
					}
				}
				sb.WriteByte(')')
			}
			var err error
			if st, err = tx.PrepareContext(ctx, sb.String()); err != nil {
				return err
			}
			stmts[len(chunk)] = st
		}
		args = args[:0]
		for _, row := range chunk {
			args = append(args, row...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
