package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
)

var oneClickKey = []byte("one-click-key-one-click-key-one-click-key")

func (d *domain) choices() *models.Choices {
	return models.NewChoices(d.core, [][]byte{oneClickKey})
}

func optOut(s models.Subject, r rules.Right, source string) models.ChoiceInput {
	return models.ChoiceInput{Subject: s, Changes: []models.Change{{Choice: r, OptOut: true, Source: source}}}
}

func email(addr string) models.Subject { return models.Subject{Kind: models.IDEmail, Value: addr} }

// rows counts the rows of table matching where.
func (d *domain) rows(t *testing.T, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := d.db.Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// The same opt-out, made many times at once, is one preference, one
// change and one request: the unique index and the row lock decide.
func TestSameOptOutTwiceIsOnePreference(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		cs := s.choices()
		changed := make([]int, racers)
		errs := race(racers, func(i int) error {
			res, err := cs.Set(ctx, optOut(email("same@example.org"), rules.RightOptOutSale, models.SourcePage), models.RequesterActor("ip"))
			if err == nil {
				changed[i] = len(res.Changed)
			}
			return err
		})
		if wins := tally(t, errs); wins != racers {
			t.Fatalf("%d of %d succeeded: an opt-out already made is no error", wins, racers)
		}
		total := 0
		for _, n := range changed {
			total += n
		}
		if total != 1 {
			t.Fatalf("%d changes reported, want 1", total)
		}
		for table, want := range map[string]int64{"preferences": 1, "preference_changes": 1, "requests": 1, "submissions": 1} {
			if n := s.rows(t, table, ""); n != want {
				t.Errorf("%d %s, want %d", n, table, want)
			}
		}
		st, err := cs.State(ctx, email("same@example.org"))
		if err != nil || !st[0].OptedOut || st[0].Request == nil || st[0].Request.Status != models.StatusVerified ||
			st[0].Request.Jurisdiction != string(rules.Unstated) {
			t.Fatalf("state %+v %v", st, err)
		}
		// The request runs on the strictest opt-out clock: 15 business days,
		// never later than California's.
		want, _ := s.core.Rules.Deadlines(rules.Unstated, rules.RightOptOutSale, st[0].Request.ReceivedAt)
		california, _ := s.core.Rules.Deadlines(rules.California, rules.RightOptOutSale, st[0].Request.ReceivedAt)
		if !st[0].Request.DueAt.Equal(want.Due) || st[0].Request.DueAt.After(california.Due) {
			t.Errorf("due %s, want %s (California: %s)", st[0].Request.DueAt, want.Due, california.Due)
		}
	})
}

// A one-click unsubscribe posted many times at once (mail clients retry),
// and again later, records one unsubscribe: a replay records nothing new.
func TestOneClickReplayRecordsNothingNew(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		cs := s.choices()
		token := models.OneClickToken(oneClickKey, models.Subject{Kind: models.IDCustomer, Value: "cust-42"})
		errs := race(racers, func(int) error {
			_, err := cs.OneClick(ctx, token, models.RequesterActor("ip"))
			return err
		})
		if wins := tally(t, errs); wins != racers {
			t.Fatalf("%d of %d one-click posts answered", wins, racers)
		}
		before := s.rows(t, "preference_changes", "")
		res, err := cs.OneClick(ctx, token, models.RequesterActor("ip"))
		if err != nil || len(res.Changed) != 0 || len(res.Requests) != 0 {
			t.Fatalf("replay: %+v %v", res, err)
		}
		if n := s.rows(t, "preference_changes", ""); n != 1 || before != 1 {
			t.Fatalf("%d then %d changes, want 1", before, n)
		}
		if n := s.rows(t, "requests", "right_code = ?", "unsubscribe"); n != 1 {
			t.Fatalf("%d requests", n)
		}
		var p models.Preference
		s.db.Where("id_kind = ? AND identifier = ?", models.IDCustomer, "cust-42").Take(&p)
		if !p.OptedOut || p.Choice != "unsubscribe" || p.Source != models.SourceOneClick {
			t.Fatalf("preference %+v", p)
		}
		// Unsubscribing by mail sends no mail.
		if n := s.rows(t, "outbox", ""); n != 0 {
			t.Fatalf("%d mails after a one-click unsubscribe", n)
		}
	})
}

// Only a token signed with a configured key unsubscribes anyone; a key
// being rotated out still verifies mail already sent.
func TestOneClickTokens(t *testing.T) {
	d := newDomain(t, nil)
	old := []byte("the-key-being-rotated-out-the-key-being-rotated-out")
	cs := models.NewChoices(d.core, [][]byte{oneClickKey, old})
	who := models.Subject{Kind: models.IDEmail, Value: "jane@example.org"}
	good := models.OneClickToken(oneClickKey, who)
	payload, sig, _ := strings.Cut(good, ".")
	other := models.OneClickToken(oneClickKey, models.Subject{Kind: models.IDEmail, Value: "mallory@example.org"})
	otherPayload, _, _ := strings.Cut(other, ".")
	for name, tok := range map[string]string{
		"another key":          models.OneClickToken([]byte("not-the-key-not-the-key-not-the-key"), who),
		"signature of another": otherPayload + "." + sig,
		"payload swapped":      payload + "." + strings.Split(other, ".")[1],
		"truncated signature":  payload + "." + sig[:20],
		"no signature":         payload,
		"empty":                "",
		"garbage":              "!!!.???",
		"visitor kind":         models.OneClickToken(oneClickKey, models.Subject{Kind: models.IDVisitor, Value: "v1"}),
		"bad address":          models.OneClickToken(oneClickKey, models.Subject{Kind: models.IDEmail, Value: "not an address"}),
		"unknown kind":         models.OneClickToken(oneClickKey, models.Subject{Kind: "account", Value: "1"}),
	} {
		if _, err := cs.OneClickSubject(tok); !errors.Is(err, models.ErrOneClickInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, key := range [][]byte{oneClickKey, old} {
		got, err := cs.OneClickSubject(models.OneClickToken(key, who))
		if err != nil || got != who {
			t.Errorf("valid token: %+v %v", got, err)
		}
	}
	if got, err := cs.OneClickSubject(models.OneClickToken(oneClickKey, models.Subject{Kind: models.IDEmail, Value: "Jane@Example.ORG"})); err != nil || got != who {
		t.Errorf("an address in capitals is the same recipient: %+v %v", got, err)
	}
	off := models.NewChoices(d.core, nil)
	if off.OneClickEnabled() {
		t.Error("no key, yet one-click is on")
	}
	if _, err := off.OneClickSubject(good); !errors.Is(err, models.ErrOneClickInvalid) {
		t.Errorf("without a key: %v", err)
	}
}

// Identifiers are cleaned so that one person is one identifier.
func TestParseSubject(t *testing.T) {
	for _, c := range []struct {
		kind, in, want string
		ok             bool
	}{
		{models.IDEmail, " Jane@Example.org ", "jane@example.org", true},
		{models.IDEmail, "jane", "", false},
		{models.IDEmail, "", "", false},
		{models.IDPhone, "+1 (415) 555-0100", "+14155550100", true},
		{models.IDPhone, "415.555.0100", "4155550100", true},
		{models.IDPhone, "call me", "", false},
		{models.IDCustomer, "CUST-0042", "CUST-0042", true},
		{models.IDCustomer, "two words", "", false},
		{models.IDCustomer, strings.Repeat("x", models.MaxIdentifier+1), "", false},
		{models.IDVisitor, "v:9f8e7d", "v:9f8e7d", true},
		{models.IDVisitor, "é", "", false},
		{"account", "1", "", false},
	} {
		s, err := models.ParseSubject(c.kind, c.in)
		if (err == nil) != c.ok || c.ok && s.Value != c.want {
			t.Errorf("ParseSubject(%s, %q) = %q, %v", c.kind, c.in, s.Value, err)
		}
	}
}

// Opting back in is recorded the same way, withdraws the opt-out's open
// request, and keeps the whole history; opting in when never opted out
// changes nothing.
func TestOptBackIn(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		cs := s.choices()
		who := email("back@example.org")
		res, err := cs.Set(ctx, optOut(who, rules.RightLimitSensitive, models.SourcePage), models.RequesterActor("ip"))
		if err != nil || len(res.Requests) != 1 {
			t.Fatalf("opt out: %+v %v", res, err)
		}
		reqID := res.Requests[0].ID
		in := models.ChoiceInput{Subject: who, Changes: []models.Change{{Choice: rules.RightLimitSensitive, Source: models.SourceCentre}}}
		if res, err := cs.Set(ctx, in, models.RequesterActor("ip")); err != nil || len(res.Changed) != 1 || len(res.Requests) != 0 {
			t.Fatalf("opt back in: %+v %v", res, err)
		}
		var req models.Request
		s.db.Where("id = ?", reqID).Take(&req)
		if req.Status != models.StatusWithdrawn {
			t.Fatalf("the opt-out's request is %s", req.Status)
		}
		if res, err := cs.Set(ctx, in, models.RequesterActor("ip")); err != nil || len(res.Changed) != 0 {
			t.Fatalf("opting back in twice: %+v %v", res, err)
		}
		hist, err := cs.History(ctx, who)
		if err != nil || len(hist) != 2 || hist[0].OptedOut || !hist[1].OptedOut || hist[0].Source != models.SourceCentre {
			t.Fatalf("history %+v %v", hist, err)
		}
		never := models.ChoiceInput{Subject: email("never@example.org"), Changes: []models.Change{{Choice: rules.RightUnsubscribe, Source: models.SourceCentre}}}
		if res, err := cs.Set(ctx, never, models.RequesterActor("ip")); err != nil || len(res.Changed) != 0 {
			t.Fatalf("opting in without an opt-out: %+v %v", res, err)
		}
		if n := s.rows(t, "preferences", "identifier = ?", "never@example.org"); n != 0 {
			t.Fatalf("%d preferences for an address that never chose", n)
		}
	})
}

// An opt-out may be denied only for fraud, with a written reason sent to
// the person; the denied opt-out is no longer in force. An opt-out asked
// for on the request form is in the opt-out list too.
func TestChoiceDenialAndForm(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		cs := s.choices()
		staff := s.officer(t)
		who := email("fraud@example.org")
		res, err := cs.Set(ctx, optOut(who, rules.RightOptOutSale, models.SourcePage), models.RequesterActor("ip"))
		if err != nil {
			t.Fatal(err)
		}
		id := res.Requests[0].ID
		if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusDenied, DenialReason: "exemption"}, staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("an opt-out denied for another reason than fraud: %v", err)
		}
		if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusDenied, DenialReason: "fraud", Detail: "Scripted opt-outs from one address."}, staff); err != nil {
			t.Fatal(err)
		}
		st, _ := cs.State(ctx, who)
		if st[0].OptedOut || st[0].Source != models.SourceDenied {
			t.Fatalf("after the denial: %+v", st[0])
		}
		var m models.OutboxMessage
		if err := s.db.Where("to_addr = ? AND template = ?", "fraud@example.org", models.MailStatusChanged).Take(&m).Error; err != nil ||
			!strings.Contains(m.Data, "Scripted opt-outs") || !strings.Contains(m.Data, `"jurisdiction":"UNSTATED"`) {
			t.Fatalf("denial mail: %+v %v", m, err)
		}

		// The request form's opt-outs: a preference of the form's address.
		sub := s.submitIn(t, "US", "CA", "form@example.org", "access", "opt_out_sale")
		st, _ = cs.State(ctx, email("form@example.org"))
		if !st[0].OptedOut || st[0].Source != models.SourceRequestForm || st[0].Request == nil || st[0].Request.SubmissionID != sub.Submission.ID {
			t.Fatalf("form opt-out: %+v", st[0])
		}
		// Withdrawing it on the tracking page opts the person back in.
		if err := s.subs.Withdraw(ctx, sub.TrackingToken, st[0].Request.ID, models.RequesterActor("ip")); err != nil {
			t.Fatal(err)
		}
		if st, _ = cs.State(ctx, email("form@example.org")); st[0].OptedOut || st[0].Source != models.SourceWithdrawn {
			t.Fatalf("after withdrawing: %+v", st[0])
		}
	})
}

// A staff decision on an opt-out's request and the person opting back in
// at the same moment lock the request before the preference, both of
// them: neither waits for the other in a circle (a deadlock on
// PostgreSQL), and the preference ends opted in either way.
func TestDenialRacingOptIn(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		cs := s.choices()
		staff := s.officer(t)
		for round := range 8 {
			who := email(fmt.Sprintf("race%d@example.org", round))
			res, err := cs.Set(ctx, optOut(who, rules.RightOptOutSale, models.SourcePage), models.RequesterActor("ip"))
			if err != nil {
				t.Fatal(err)
			}
			id := res.Requests[0].ID
			errs := race(2, func(i int) error {
				if i == 0 {
					return s.reqs.Move(ctx, id, models.Transition{To: models.StatusDenied, DenialReason: "fraud", Detail: "Scripted."}, staff)
				}
				_, err := cs.Set(ctx, models.ChoiceInput{Subject: who, Changes: []models.Change{{Choice: rules.RightOptOutSale, Source: models.SourceCentre}}},
					models.RequesterActor("ip"))
				return err
			})
			tally(t, errs, models.ErrInvalidState)
			st, _ := cs.State(ctx, who)
			if st[0].OptedOut {
				t.Fatalf("round %d: still opted out after a denial and an opt-in: %+v", round, st[0])
			}
		}
	})
}

// A reader that polls the opt-out list with its cursor while people opt
// out at the same moment sees every opt-out: numbers are taken under one
// lock held to commit, so none commits behind the cursor.
func TestOptOutCursorMissesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		cs := s.choices()
		const writers, each = 8, 6
		seen := map[string]bool{}
		var since int64
		poll := func() {
			for {
				page, err := cs.OptOuts(ctx, models.OptOutFilter{Since: since, Limit: 7})
				if err != nil {
					t.Error(err)
					return
				}
				for _, p := range page.Items {
					seen[p.Identifier+" "+p.Choice] = true
				}
				since = page.Next
				if !page.More {
					return
				}
			}
		}
		stop, readerDone := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(readerDone)
			for {
				select {
				case <-stop:
					return
				default:
					poll()
				}
			}
		}()
		errs := race(writers, func(i int) error {
			for k := range each {
				r := models.ChoiceRights[k%len(models.ChoiceRights)]
				if _, err := cs.Set(ctx, optOut(email(fmt.Sprintf("w%d-%d@example.org", i, k)), r, models.SourcePage), models.RequesterActor("ip")); err != nil {
					return err
				}
			}
			return nil
		})
		close(stop)
		<-readerDone
		poll()
		if wins := tally(t, errs); wins != writers {
			t.Fatalf("%d writers finished", wins)
		}
		if len(seen) != writers*each {
			t.Fatalf("the reader saw %d opt-outs of %d", len(seen), writers*each)
		}
		last, err := cs.LastChange(ctx)
		if err != nil || last != since {
			t.Fatalf("last change %d, cursor %d (%v)", last, since, err)
		}
	})
}

// Opting back in before a system was told of the opt-out's task tells it
// nothing of that task: the task's call not yet sent is superseded with
// the task, so that "opt this person out" never reaches a system after the
// change that undid it. The change itself is still sent.
func TestOptBackInSupersedesTheTaskCall(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		f := newFulfil(t, s)
		f.system(t, "Ad platform", "https://ads.example.com/hook", "opt_out_sale")
		cs := s.choices()
		who := email("undo@example.org")
		res, err := cs.Set(ctx, optOut(who, rules.RightOptOutSale, models.SourcePage), models.RequesterActor("ip"))
		if err != nil || len(res.Requests) != 1 {
			t.Fatalf("opt out: %+v %v", res, err)
		}
		if n := s.rows(t, "http_jobs", "kind = ? AND status = ?", models.JobTaskWebhook, "pending"); n != 1 {
			t.Fatalf("%d task calls pending after the opt-out, want 1", n)
		}
		in := models.ChoiceInput{Subject: who, Changes: []models.Change{{Choice: rules.RightOptOutSale, Source: models.SourceCentre}}}
		if _, err := cs.Set(ctx, in, models.RequesterActor("ip")); err != nil {
			t.Fatal(err)
		}
		if n := s.rows(t, "http_jobs", "kind = ? AND status = ?", models.JobTaskWebhook, "pending"); n != 0 {
			t.Fatalf("%d task calls still pending after opting back in", n)
		}
		if n := s.rows(t, "http_jobs", "kind = ? AND status = ?", models.JobTaskWebhook, "superseded"); n != 1 {
			t.Fatalf("%d task calls superseded, want 1", n)
		}
		if n := s.rows(t, "http_jobs", "kind = ? AND status = ?", models.JobChoiceWebhook, "pending"); n != 1 {
			t.Fatalf("%d change calls pending, want the opt-back-in's", n)
		}
	})
}
