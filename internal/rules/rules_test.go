package rules

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var la = mustLoc("America/Los_Angeles")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func engine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// at is a local time in Los Angeles.
func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, la) }

// endOf is the end of a local date in Los Angeles, in UTC.
func endOf(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 23, 59, 59, 0, la).UTC() }

func TestDeadlines(t *testing.T) {
	cases := []struct {
		name     string
		calendar string
		j        Jurisdiction
		r        Right
		received time.Time
		due      time.Time
		ack      *time.Time
	}{
		{"California know: 45 calendar days, ack in 10 business days", "", California, RightAccess,
			at(2026, 3, 2, 10, 0), endOf(2026, 4, 16), ptrTime(endOf(2026, 3, 16))},
		{"received at 23:59 local counts from that local day", "", California, RightDelete,
			at(2026, 1, 15, 23, 59), endOf(2026, 3, 1), ptrTime(endOf(2026, 1, 30))}, // MLK Day skipped
		{"received just before spring-forward", "", California, RightCorrect,
			at(2026, 3, 7, 23, 30), endOf(2026, 4, 21), ptrTime(endOf(2026, 3, 20))},
		{"received just before fall-back", "", Virginia, RightAccess,
			at(2026, 10, 31, 23, 30), endOf(2026, 12, 15), nil},
		{"California opt-out: 15 business days, observed July 4th skipped", "", California, RightOptOutSale,
			at(2026, 7, 2, 9, 0), endOf(2026, 7, 24), nil},
		{"the same with no holiday calendar", "none", California, RightOptOutSale,
			at(2026, 7, 2, 9, 0), endOf(2026, 7, 23), nil},
		{"Thanksgiving and the day after (a California holiday) skipped", "", California, RightAccess,
			at(2026, 11, 23, 9, 0), endOf(2027, 1, 7), ptrTime(endOf(2026, 12, 9))},
		{"federal calendar only: the day after Thanksgiving is a business day", "us", California, RightAccess,
			at(2026, 11, 23, 9, 0), endOf(2027, 1, 7), ptrTime(endOf(2026, 12, 8))},
		{"Cesar Chavez Day skipped", "", California, RightLimitSensitive,
			at(2026, 3, 27, 9, 0), endOf(2026, 4, 20), nil},
		{"GDPR: one calendar month", "", EU, RightAccess, at(2026, 3, 15, 9, 0), endOf(2026, 4, 15), nil},
		{"GDPR: 31 January ends on 28 February", "", EU, RightAccess, at(2026, 1, 31, 9, 0), endOf(2026, 2, 28), nil},
		{"GDPR: 31 January ends on 29 February in a leap year", "", EU, RightDelete, at(2028, 1, 31, 9, 0), endOf(2028, 2, 29), nil},
		{"GDPR: 31 March ends on 30 April", "", EU, RightCorrect, at(2026, 3, 31, 9, 0), endOf(2026, 4, 30), nil},
		{"UK: 31 December ends on 31 January", "", UK, RightPortability, at(2026, 12, 31, 9, 0), endOf(2027, 1, 31), nil},
		{"Quebec: 30 days", "", Quebec, RightCessation, at(2026, 2, 10, 9, 0), endOf(2026, 3, 12), nil},
		{"PIPEDA: 30 days", "", Canada, RightAccess, at(2026, 2, 10, 9, 0), endOf(2026, 3, 12), nil},
		{"Colorado: 45 days", "", Colorado, RightDelete, at(2026, 5, 1, 9, 0), endOf(2026, 6, 15), nil},
		{"Texas opt-out: 15 business days over Memorial Day", "", Texas, RightOptOutSale,
			at(2026, 5, 20, 9, 0), endOf(2026, 6, 11), nil},
		{"US unsubscribe: 10 business days (CAN-SPAM)", "", Oregon, RightUnsubscribe, at(2026, 6, 1, 9, 0), endOf(2026, 6, 15), nil},
		{"elsewhere: the organization's 45 days", "", Other, RightAccess, at(2026, 6, 1, 9, 0), endOf(2026, 7, 16), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := engine(t, Options{Calendar: c.calendar})
			d, err := e.Deadlines(c.j, c.r, c.received)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Due.Equal(c.due) {
				t.Errorf("due %s, want %s", d.Due.In(la), c.due.In(la))
			}
			switch {
			case c.ack == nil && d.AckDue != nil:
				t.Errorf("unexpected acknowledgement deadline %s", d.AckDue.In(la))
			case c.ack != nil && (d.AckDue == nil || !d.AckDue.Equal(*c.ack)):
				t.Errorf("ack %v, want %s", d.AckDue, c.ack.In(la))
			}
			if d.Due.Location() != time.UTC {
				t.Error("deadlines are returned in UTC")
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestTimeZoneIsConfigurable(t *testing.T) {
	paris := mustLoc("Europe/Paris")
	e := engine(t, Options{Location: paris})
	// 23:30 in Paris on 31 January is still 31 January there.
	d, err := e.Deadlines(EU, RightAccess, time.Date(2026, 1, 31, 23, 30, 0, 0, paris))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 2, 28, 23, 59, 59, 0, paris); !d.Due.Equal(want) {
		t.Fatalf("due %s, want %s", d.Due.In(paris), want)
	}
}

func TestExtend(t *testing.T) {
	e := engine(t, Options{})
	cases := []struct {
		name     string
		j        Jurisdiction
		r        Right
		received time.Time
		now      time.Time
		already  bool
		want     time.Time
		err      error
	}{
		{"California: 90 days in all", California, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 4, 1, 9, 0), false, endOf(2026, 5, 31), nil},
		{"GDPR: two further months, the earlier reading at a month end", EU, RightAccess, at(2026, 1, 31, 9, 0), at(2026, 2, 2, 9, 0), false, endOf(2026, 4, 28), nil},
		{"GDPR: two further months", EU, RightAccess, at(2026, 3, 15, 9, 0), at(2026, 3, 20, 9, 0), false, endOf(2026, 6, 15), nil},
		{"PIPEDA: 30 more days", Canada, RightAccess, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, endOf(2026, 4, 11), nil},
		{"refused in Quebec", Quebec, RightAccess, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"refused for an opt-out", California, RightOptOutSale, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"refused after the deadline", California, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 4, 17, 0, 0), false, time.Time{}, ErrExtensionTooLate},
		{"refused a second time", Virginia, RightDelete, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), true, time.Time{}, ErrAlreadyExtended},
		{"allowed on the last day", California, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 4, 16, 23, 0), false, endOf(2026, 5, 31), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := e.Deadlines(c.j, c.r, c.received)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Extend(c.j, c.r, c.received, d.Due, c.already, c.now)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if err == nil && !got.Equal(c.want) {
				t.Fatalf("new due %s, want %s", got.In(la), c.want.In(la))
			}
		})
	}
}

func TestRightsByJurisdiction(t *testing.T) {
	e := engine(t, Options{})
	cases := []struct {
		j      Jurisdiction
		r      Right
		offers bool
	}{
		{Quebec, RightCessation, true},
		{California, RightCessation, false},
		{EU, RightCessation, false},
		{California, RightLimitSensitive, true},
		{EU, RightLimitSensitive, false},
		{Virginia, RightLimitSensitive, false},
		{California, RightShineTheLight, true},
		{Oregon, RightShineTheLight, false},
		{EU, RightRestrict, true},
		{UK, RightObject, true},
		{California, RightRestrict, false},
		{Virginia, RightAppeal, true},
		{Colorado, RightAppeal, true},
		{Connecticut, RightAppeal, true},
		{Texas, RightAppeal, true},
		{Oregon, RightAppeal, true},
		{California, RightAppeal, false},
		{EU, RightAppeal, false},
		{Other, RightUnsubscribe, true},
	}
	for _, c := range cases {
		if got := e.Offers(c.j, c.r); got != c.offers {
			t.Errorf("Offers(%s, %s) = %v", c.j, c.r, got)
		}
		if !c.offers && c.r != RightAppeal {
			if _, err := e.Deadlines(c.j, c.r, time.Now()); !errors.Is(err, ErrRightNotAvailable) {
				t.Errorf("Deadlines(%s, %s) = %v, want ErrRightNotAvailable", c.j, c.r, err)
			}
		}
	}
}

func TestResolve(t *testing.T) {
	cases := map[[2]string]Jurisdiction{
		{"US", "CA"}: California, {"US", "VA"}: Virginia, {"US", "CO"}: Colorado, {"US", "CT"}: Connecticut,
		{"US", "TX"}: Texas, {"US", "OR"}: Oregon, {"US", "NY"}: Other, {"CA", "QC"}: Quebec, {"CA", "ON"}: Canada,
		{"CA", "BC"}: Canada, {"CA", ""}: Other, {"GB", ""}: UK, {"DE", ""}: EU, {"NO", ""}: EU, {"IS", ""}: EU,
		{"CH", ""}: Other, {"OTHER", ""}: Other,
	}
	for in, want := range cases {
		if got := Resolve(in[0], in[1]); got != want {
			t.Errorf("Resolve(%q, %q) = %s, want %s", in[0], in[1], got, want)
		}
	}
}

func TestVerificationAgentsAppealsRecourse(t *testing.T) {
	e := engine(t, Options{})
	for _, j := range Jurisdictions() {
		for _, r := range []Right{RightOptOutSale, RightLimitSensitive, RightUnsubscribe} {
			if e.Offers(j, r) && e.VerificationTier(j, r) != TierNone {
				t.Errorf("%s %s needs verification; opt-outs never do", j, r)
			}
		}
		if key, _ := e.Recourse(j).Message(false); key == "" {
			t.Errorf("%s has no recourse", j)
		}
		if len(e.DenialReasons(j, RightAccess)) < 2 {
			t.Errorf("%s has too few denial reasons", j)
		}
	}
	if e.VerificationTier(California, RightAccess) != TierThreePoints || e.VerificationTier(EU, RightAccess) != TierEmail {
		t.Error("verification tiers")
	}
	if !e.AgentAllowed(California, RightDelete) || e.AgentAllowed(Virginia, RightDelete) ||
		e.AgentAllowed(Colorado, RightDelete) || !e.AgentAllowed(Colorado, RightOptOutSale) {
		t.Error("agent rights")
	}
	if got := e.DenialReasons(California, RightOptOutSale); strings.Join(got, ",") != "fraud,other" {
		t.Errorf("opt-outs may be denied only for fraud: %v", got)
	}
	due, err := e.AppealDeadline(Virginia, at(2026, 5, 1, 9, 0))
	if err != nil || !due.Equal(endOf(2026, 6, 30)) {
		t.Errorf("Virginia appeal due %s %v", due.In(la), err)
	}
	if due, _ := e.AppealDeadline(Colorado, at(2026, 5, 1, 9, 0)); !due.Equal(endOf(2026, 6, 15)) {
		t.Errorf("Colorado appeal due %s", due.In(la))
	}
	if _, err := e.AppealDeadline(California, time.Now()); err == nil {
		t.Error("California has no statutory appeal")
	}
	key, args := e.Recourse(Virginia).Message(true)
	if key != "recourse.attorney_general" || len(args) != 1 {
		t.Errorf("upheld appeal names the Attorney General: %s %v", key, args)
	}
	if !e.DeemedRefusal(Quebec) || !e.DeemedRefusal(Canada) || e.DeemedRefusal(California) {
		t.Error("deemed refusal")
	}
	if f, ok := e.Frequency(California, RightAccess); !ok || f.Max != 2 || f.Months != 12 {
		t.Errorf("California know frequency %v", f)
	}
	if _, ok := e.Frequency(EU, RightAccess); ok {
		t.Error("GDPR sets no free-request count")
	}
}

func TestPolicyClocksAreConfigurable(t *testing.T) {
	e := engine(t, Options{Policy: &Period{N: 30, Kind: CalendarDays}, PolicyExtension: &Period{}})
	d, _ := e.Deadlines(Other, RightAccess, at(2026, 6, 1, 9, 0))
	if !d.Due.Equal(endOf(2026, 7, 1)) {
		t.Fatalf("due %s", d.Due.In(la))
	}
	if _, err := e.Extend(Other, RightAccess, at(2026, 6, 1, 9, 0), d.Due, false, at(2026, 6, 2, 9, 0)); !errors.Is(err, ErrExtensionNotAllowed) {
		t.Fatalf("policy without extension: %v", err)
	}
	if _, err := New(Options{Calendar: "mars"}); err == nil {
		t.Fatal("unknown calendar accepted")
	}
}

// legalMax is the latest a period may end after receipt: the count itself,
// plus the end of the local day and time-zone offsets, plus, for business
// days, every weekend and holiday they can span.
func legalMax(p Period) time.Duration {
	day := 24 * time.Hour
	switch p.Kind {
	case CalendarMonths:
		return time.Duration(31*p.N+2) * day
	case BusinessDays:
		return time.Duration(p.N*7/5+p.N/3+6) * day
	}
	return time.Duration(p.N+2) * day
}

// No computed deadline is ever earlier than receipt or later than the law
// allows, before or after an extension.
func TestDeadlinesProperty(t *testing.T) {
	e := engine(t, Options{})
	js := Jurisdictions()
	rapid.Check(t, func(t *rapid.T) {
		j := rapid.SampledFrom(js).Draw(t, "jurisdiction")
		r := rapid.SampledFrom(e.Rights(j)).Draw(t, "right")
		received := time.Unix(rapid.Int64Range(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix(),
			time.Date(2032, 12, 31, 0, 0, 0, 0, time.UTC).Unix()).Draw(t, "received"), 0)
		d, err := e.Deadlines(j, r, received)
		if err != nil {
			t.Fatal(err)
		}
		p := e.Period(j, r)
		if !d.Due.After(received) || d.Due.Sub(received) > legalMax(p) {
			t.Fatalf("%s %s received %s: due %s outside (receipt, receipt+%s]", j, r, received, d.Due, legalMax(p))
		}
		if d.AckDue != nil && (d.AckDue.Before(received) || d.AckDue.After(d.Due)) {
			t.Fatalf("ack %s outside receipt..due", d.AckDue)
		}
		ext, err := e.Extend(j, r, received, d.Due, false, received)
		if err != nil {
			if e.CanExtend(j, r) {
				t.Fatalf("extension refused: %v", err)
			}
			return
		}
		total := p
		total.N += e.Law(j).Extension.N
		if !ext.After(d.Due) || ext.Sub(received) > legalMax(total) {
			t.Fatalf("%s %s: extended due %s outside (due, receipt+%s]", j, r, ext, legalMax(total))
		}
	})
}

// The README's clock table is generated from this table.
func TestReadmeClockTable(t *testing.T) {
	const start, end = "<!-- clocks:start -->\n", "<!-- clocks:end -->"
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, k := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || k < i {
		t.Fatal("README.md lacks the clocks markers")
	}
	want := engine(t, Options{}).MarkdownTable()
	if got := readme[i+len(start) : k]; got != want {
		if os.Getenv("RIGHTSDESK_UPDATE_README") == "1" {
			if err := os.WriteFile("../../README.md", []byte(readme[:i+len(start)]+want+readme[k:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("README clock table is out of date; run RIGHTSDESK_UPDATE_README=1 go test ./internal/rules\ngot:\n%s\nwant:\n%s", got, want)
	}
}
