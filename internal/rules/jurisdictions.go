package rules

import (
	"slices"
	"time"
)

// Law is everything the portal needs to know about one jurisdiction. Read
// it through Engine.Law; the engine's methods answer the common questions.
type Law struct {
	Jurisdiction Jurisdiction
	Name         string // English, for generated documentation; the UI uses the catalog
	Statute      string
	Rights       []Right // rights a person may ask for here (appeals and complaints: see Appeal, Complaints)

	// Acknowledge is the deadline to confirm receipt, for AckRights; nil = none required.
	Acknowledge *Period
	AckRights   []Right
	// Respond is the deadline to answer, counted from receipt.
	Respond Period
	// Fast overrides Respond for some rights (opt-outs, unsubscribes), which
	// also cannot be extended.
	Fast map[Right]Period
	// Extension is the one further period the law allows; nil = none.
	Extension *Period
	// ExtensionNotice: the person must be told of an extension, with the
	// reason and the new date, before the original deadline.
	ExtensionNotice bool
	// Refusals are the reasons to deny a request this law adds to those
	// every law allows (cannot verify, exemption, no personal data, fraud,
	// other), in display order.
	Refusals []Refusal

	Tiers       map[Right]TierRule // default TierEmail (Engine.Verification)
	Verify      VerifyRule
	AgentRights []Right     // rights an authorized agent may exercise
	Appeal      *AppealRule // nil = no statutory appeal
	// Pause says when the clock may stop while the organization waits for
	// information from the person; nil = never.
	Pause *PauseRule
	// Complaints is the complaint a person may make to the organization
	// itself, with its own clock; nil = none.
	Complaints    *ComplaintRule
	DeemedRefusal bool // silence past the deadline counts as a refusal
	Recourse      Recourse
	Frequency     map[Right]FrequencyLimit
}

// Refusal is a reason to deny a request, as a catalog code ("denial.<code>"),
// with the provision that allows it.
type Refusal struct {
	Code   string
	Source string
}

// AppealRule is a state's appeal process.
type AppealRule struct {
	Decide Period // deadline to decide, from receipt of the appeal
	// Extension is the one further period to decide the law allows; nil = none.
	Extension *Period
	// ExtensionNotice: the person is told of it, with reasons, before the deadline.
	ExtensionNotice bool
	// Upheld is the provision that makes a decision upholding the denial
	// give written reasons.
	Upheld string
}

// Pause reasons: why the organization waits for the person.
const (
	PauseIdentity = "identity" // information needed to identify the person
	PauseClarify  = "clarify"  // which information or processing the request is about
)

// PauseRule is when a clock may stop ("stop the clock"). While it stands,
// the deadline does not run; when the information arrives it restarts, and
// the deadline moves by the days it stood (Engine.PauseDays).
type PauseRule struct {
	// Identity is the provision for waiting on information needed to
	// identify the person; every right but the Fast ones may wait on it.
	Identity string
	// Clarify is the provision for waiting on the person to say what the
	// request is about, for ClarifyRights only.
	Clarify       string
	ClarifyRights []Right
}

// ComplaintRule is a complaint a person may make to the organization about
// how it handled their personal data.
type ComplaintRule struct {
	// From is the first (local) day complaints may be made.
	From time.Time
	// Acknowledge is the deadline to acknowledge receipt; the portal
	// acknowledges at once (RULES.md rule 4).
	Acknowledge Period
	// Respond is when the outcome is due.
	Respond Period
	Source  string
	// Recourse is what the person may do once told the outcome, as a
	// catalog key taking URL.
	RecourseKey, RecourseURL string
}

// Recourse is what a refusal must tell the person, as catalog keys (the
// message takes the URL as its argument) and the authority's name (English,
// for staff and generated documentation).
type Recourse struct {
	Key                  string // after a denial
	URL                  string
	Authority            string // "" where the first recourse is the organization's own appeal
	AfterAppealKey       string // after an appeal upheld the denial
	AfterAppealURL       string
	AfterAppealAuthority string
	// Window is how long the person has to use the recourse, where the law
	// says; nil = no limit stated.
	Window *Period
}

// Message is the catalog key and arguments of the recourse sentence, after
// a denial or after an appeal upheld it: the URL (where there is one), then
// the Window (where there is one) as a Period for the caller to put in words.
func (rc Recourse) Message(afterAppeal bool) (string, []any) {
	key, url := rc.Key, rc.URL
	if afterAppeal {
		key, url = rc.AfterAppealKey, rc.AfterAppealURL
	}
	var args []any
	if url != "" {
		args = append(args, url)
	}
	if rc.Window != nil {
		args = append(args, *rc.Window)
	}
	return key, args
}

// FrequencyLimit is how many free requests of one kind the law obliges
// the organization to answer in a period. Shown to staff, never enforced.
type FrequencyLimit struct {
	Max    int
	Months int
	Source string
}

func days(n int, src string) Period   { return Period{N: n, Kind: CalendarDays, Source: src} }
func months(n int, src string) Period { return Period{N: n, Kind: CalendarMonths, Source: src} }
func ptr(p Period) *Period            { return &p }

// bizDays counts business days under holiday law h.
func bizDays(n int, h HolidayLaw, src string) Period {
	return Period{N: n, Kind: BusinessDays, Holidays: h, Source: src}
}
func allOf(rs ...Right) []Right { return rs }
func freq(max int, src string) FrequencyLimit {
	return FrequencyLimit{Max: max, Months: 12, Source: src}
}

// canSpam: unsubscribes from marketing mail are honoured within 10
// business days (15 U.S.C. §7704(a)(4)). A federal statute counts federal
// business days, whatever the organization's or the person's state.
var canSpam = bizDays(10, HolidaysFederal, "CAN-SPAM, 15 U.S.C. §7704(a)(4): 10 business days, federal holidays")

// usFast: opt-outs are acted on within 15 business days, with no extension
// and no verification. Outside California no statute sets the count (RULES.md
// rule 9 applies the CCPA's 15 business days in every US state), so the
// organization's own calendar counts them. Unsubscribes follow CAN-SPAM.
func usFast() map[Right]Period {
	return map[Right]Period{
		RightOptOutSale:  bizDays(15, HolidaysOrganization, "RULES.md rule 9 (the CCPA's 15 business days, 11 CCR §7026(f)); the organization's calendar"),
		RightUnsubscribe: canSpam,
	}
}

// tiers sets the verification of each right, with its source; opt-outs
// never need any (RULES.md rule 5), and anything not listed needs control
// of the e-mail.
func tiers(base map[Right]TierRule) map[Right]TierRule {
	out := map[Right]TierRule{
		RightOptOutSale:     {Tier: TierNone, Source: "11 CCR §7026(d): an opt-out needs no verification (RULES.md rule 5)"},
		RightLimitSensitive: {Tier: TierNone, Source: "11 CCR §7027: a request to limit needs no verification (RULES.md rule 5)"},
		RightUnsubscribe:    {Tier: TierNone, Source: "CAN-SPAM (16 C.F.R. §316.5): nothing beyond the address and the choice"},
	}
	for r, t := range base {
		out[r] = t
	}
	return out
}

// points asks tier t, under source src, for each of rights.
func points(t Tier, src string, rights ...Right) map[Right]TierRule {
	out := map[Right]TierRule{}
	for _, r := range rights {
		out[r] = TierRule{Tier: t, Source: src}
	}
	return out
}

// twoPoints asks two matching data points for the rights that disclose,
// change or erase data, where the law names no method.
func twoPoints(src string) map[Right]TierRule {
	return points(TierTwoPoints, src, RightAccess, RightPortability, RightDelete, RightCorrect, RightCessation)
}

// Declarations, by catalog key: California's under penalty of perjury of
// its law (11 CCR §7062(c)); elsewhere a declaration that the information
// is true, for tiers the organization raised.
const (
	declarationCalifornia = "declaration.california"
	declarationGeneral    = "declaration.general"
)

// accountUS: where no law names a method, signing in to one's account
// with the organization counts as it does under the CCPA.
const accountUS = "no statute names the method: signing in counts as under 11 CCR §7061 (re-authentication for a reasonably high degree)"

// usState is the shape every state privacy act with an appeal shares:
// 45 days, one 45-day extension with notice and reason inside the first
// 45 days, an appeal, and a denial that names the Attorney General once an
// appeal upheld it. Agents may only opt out (Virginia: not at all).
func usState(j Jurisdiction, name, statute string, appeal AppealRule, agents []Right, ag, agURL string, f *FrequencyLimit, unfounded string) Law {
	l := Law{
		Jurisdiction: j, Name: name, Statute: statute,
		Rights:          allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightUnsubscribe),
		Respond:         days(45, statute+": respond within 45 days"),
		Fast:            usFast(),
		Extension:       ptr(days(45, statute+": one 45-day extension with notice")),
		ExtensionNotice: true,
		Refusals: []Refusal{
			{"not_resident", statute + ": the act protects residents of the state"},
			{"manifestly_unfounded", unfounded},
		},
		// No statute fixes the method: two data points, as for a CCPA categories request.
		Tiers:       tiers(twoPoints(statute + ": no method named; two data points as for a CCPA categories request (11 CCR §7062(b))")),
		Verify:      VerifyRule{Declaration: declarationGeneral, Account: accountUS},
		AgentRights: agents,
		Appeal:      &appeal,
		Recourse: Recourse{Key: "recourse.appeal",
			AfterAppealKey: "recourse.attorney_general", AfterAppealURL: agURL, AfterAppealAuthority: ag},
	}
	if f != nil {
		l.Frequency = map[Right]FrequencyLimit{RightAccess: *f, RightPortability: *f, RightDelete: *f, RightCorrect: *f}
	}
	return l
}

// laws is the table: one entry per jurisdiction, every number with its
// source. Where RULES.md says "check", the earlier (stricter) reading is
// taken and the comment says so.
func laws(policy Period, policyExt *Period) map[Jurisdiction]Law {
	caFreq := freq(2, "Civ. Code §1798.130(b): need not answer know requests more than twice in 12 months")
	const cppa = "https://cppa.ca.gov/webapplications/complaint"
	const edpb = "https://edpb.europa.eu/about-edpb/about-edpb/members_en"
	const ico = "https://ico.org.uk/make-a-complaint/"
	const cai = "https://www.cai.gouv.qc.ca/"
	const opc = "https://www.priv.gc.ca/en/report-a-concern/"
	gdprRights := allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightRestrict, RightObject, RightUnsubscribe)
	caRights := allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightLimitSensitive,
		RightUnsubscribe, RightShineTheLight)
	qcRights := allOf(RightAccess, RightCorrect, RightDelete, RightPortability, RightCessation, RightUnsubscribe)
	pipedaRights := allOf(RightAccess, RightCorrect, RightUnsubscribe)
	otherRights := allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightUnsubscribe)
	// CASL s.11(3) gives 10 business days to unsubscribe; counted as calendar days (the earlier reading).
	casl := map[Right]Period{RightUnsubscribe: days(10, "CASL s.11(3): 10 business days, counted as calendar days (stricter)")}

	return map[Jurisdiction]Law{
		California: {
			Jurisdiction: California, Name: "California", Statute: "CCPA/CPRA (Civ. Code §1798.100 ff.; 11 CCR §§7000–7102)",
			Rights: caRights,
			// The CCPA's business days are California's (Civ. Code §§7, 9, 10; Gov. Code §§6700, 6701).
			Acknowledge: ptr(bizDays(10, HolidaysCalifornia, "11 CCR §7021(a); California holidays (Gov. Code §§6700, 6701)")),
			AckRights:   allOf(RightAccess, RightDelete, RightCorrect, RightPortability),
			Respond:     days(45, "11 CCR §7021(b)"),
			Fast: map[Right]Period{
				RightOptOutSale:     bizDays(15, HolidaysCalifornia, "11 CCR §7026(f); California holidays"),
				RightLimitSensitive: bizDays(15, HolidaysCalifornia, "11 CCR §7027(g); California holidays"),
				RightUnsubscribe:    canSpam,
				RightShineTheLight:  days(30, "Civ. Code §1798.83(b)(1)(C)"),
			},
			Extension:       ptr(days(45, "11 CCR §7021(b); Civ. Code §1798.130(a)(2): once, 90 days in all")),
			ExtensionNotice: true, // §1798.130(a)(2): notice and reason within the first 45 days
			Refusals: []Refusal{
				{"not_resident", "Civ. Code §1798.140(i): a \"consumer\" is a California resident"},
				{"manifestly_unfounded", "Civ. Code §1798.145(h)(3): manifestly unfounded or excessive; the business bears the burden of showing it"},
			},
			Tiers: tiers(map[Right]TierRule{
				// A request to know asks for the specific pieces (the form does not split
				// categories from pieces): a reasonably high degree, three points and a
				// declaration (§7062(c)). Where that fails, it is answered as a request
				// for the categories, at a reasonable degree (§7024, §7062(b)), and denied
				// as unverifiable only if even that fails. Disclosing needs a fresh
				// sign-in (§7061(b)).
				RightAccess: {Tier: TierThreePoints, Reauth: true,
					Source:   "11 CCR §7062(c): specific pieces, a reasonably high degree of certainty",
					Narrowed: &Narrowing{Scope: ScopeCategories, Tier: TierTwoPoints, Source: "11 CCR §7024: unverified for specific pieces, answered as a request for categories (§7062(b))"}},
				// A copy in a portable format is the specific pieces (Civ. Code §1798.130(a)(2)(B)).
				RightPortability: {Tier: TierThreePoints, Reauth: true,
					Source:   "11 CCR §7062(c); Civ. Code §1798.130(a)(2)(B): the specific pieces, in a portable format",
					Narrowed: &Narrowing{Scope: ScopeCategories, Tier: TierTwoPoints, Source: "11 CCR §7024: unverified for specific pieces, answered as a request for categories (§7062(b))"}},
				// Deletion: a reasonable or reasonably high degree by the data's sensitivity
				// (§7062(d), check); two points by default, staff raise one request's tier for
				// sensitive data. Deleting needs a fresh sign-in (§7061(b)).
				RightDelete: {Tier: TierTwoPoints, Reauth: true,
					Source: "11 CCR §7062(d): a reasonable degree by default; staff raise it for sensitive data (check)"},
				RightCorrect:       {Tier: TierTwoPoints, Source: "11 CCR §7062: a reasonable degree, as for deletion (check)"},
				RightShineTheLight: {Tier: TierEmail, Source: "Civ. Code §1798.83 sets no verification standard"},
			}),
			Verify: VerifyRule{Declaration: declarationCalifornia,
				Account: "11 CCR §7061: the account's own sign-in; re-authentication before disclosing or deleting"},
			AgentRights: caRights, // §7063: any request, with signed permission (or a power of attorney)
			Recourse: Recourse{Key: "recourse.california", URL: cppa, Authority: "California Privacy Protection Agency",
				AfterAppealKey: "recourse.california", AfterAppealURL: cppa, AfterAppealAuthority: "California Privacy Protection Agency"},
			Frequency: map[Right]FrequencyLimit{RightAccess: caFreq, RightPortability: caFreq},
		},
		EU: {
			Jurisdiction: EU, Name: "EU/EEA", Statute: "GDPR (Regulation (EU) 2016/679)",
			Rights: gdprRights,
			// One month from receipt, by calendar (Art. 12(3); Reg. 1182/71 Art. 3(2)(c), check: the
			// same date next month, or the month's last day where there is none — the earlier reading).
			Respond:         months(1, "GDPR Art. 12(3)"),
			Fast:            map[Right]Period{RightUnsubscribe: months(1, "GDPR Art. 21(3), 12(3)")},
			Extension:       ptr(months(2, "GDPR Art. 12(3)")),
			ExtensionNotice: true, // Art. 12(3): with reasons, within the first month
			Refusals:        []Refusal{{"manifestly_unfounded", "GDPR Art. 12(5): manifestly unfounded or excessive; the controller bears the burden"}},
			Tiers:           tiers(nil), // Art. 12(6): more than the email only on reasonable doubt
			Verify: VerifyRule{OnDoubt: "GDPR Art. 12(6): more than the e-mail only where there is reasonable doubt, for one request",
				Declaration: declarationGeneral, Account: "GDPR Recital 64: reasonable measures, in particular for online services"},
			AgentRights: gdprRights, // representation is a matter of national law (check): allowed, with proof
			Recourse: Recourse{Key: "recourse.gdpr", URL: edpb, Authority: "a data protection supervisory authority (Art. 77) or a court (Art. 79)",
				AfterAppealKey: "recourse.gdpr", AfterAppealURL: edpb, AfterAppealAuthority: "a data protection supervisory authority (Art. 77) or a court (Art. 79)"},
		},
		UK: {
			Jurisdiction: UK, Name: "United Kingdom", Statute: "UK GDPR; Data Protection Act 2018",
			Rights: gdprRights,
			// "One month beginning with" receipt (Art. 12A, inserted by the Data (Use and Access)
			// Act 2025): to the same date next month, as the ICO counts it (RULES.md).
			Respond:         months(1, "UK GDPR Arts. 12(3), 12A: one month beginning with receipt (the ICO's count)"),
			Fast:            map[Right]Period{RightUnsubscribe: months(1, "UK GDPR Art. 21(3), 12(3)")},
			Extension:       ptr(months(2, "UK GDPR Art. 12A: two further months, with reasons, within the first month")),
			ExtensionNotice: true,
			Refusals:        []Refusal{{"manifestly_unfounded", "UK GDPR Art. 12(5): manifestly unfounded or excessive; the controller bears the burden"}},
			Tiers:           tiers(nil), // Art. 12(6)
			Verify: VerifyRule{OnDoubt: "UK GDPR Art. 12(6): more than the e-mail only where there is reasonable doubt, for one request",
				Declaration: declarationGeneral, Account: "UK GDPR Recital 64: reasonable measures, in particular for online services"},
			AgentRights: gdprRights, // a person may act through another (ICO guidance), with proof
			// Stop the clock (Data (Use and Access) Act 2025, in force February 2026).
			Pause: &PauseRule{
				// Art. 12A makes the month run from when identifying information
				// arrives, a fresh month; counted as a pause instead, the earlier reading.
				Identity: "UK GDPR Arts. 12(6), 12A: waiting for information needed to identify the person (counted as a pause: the earlier reading)",
				Clarify:  "UK GDPR Art. 12A (the words of DPA 2018 s.54(3C)): the days from asking to receiving the information do not count",
				// Clarification is for subject access (Art. 15) only.
				ClarifyRights: allOf(RightAccess),
			},
			Complaints: &ComplaintRule{
				From: time.Date(2026, time.June, 19, 0, 0, 0, 0, time.UTC),
				Acknowledge: Period{N: 30, Kind: CalendarDays, Inclusive: true,
					Source: "DPA 2018 s.164A(3) (Data (Use and Access) Act 2025 s.103): within 30 days beginning when the complaint is received"},
				// s.164A(4): respond and tell the outcome "without undue delay"; no number.
				Respond:     days(30, "DPA 2018 s.164A(4): without undue delay; the Act sets no period, the portal aims at 30 days (check)"),
				Source:      "DPA 2018 s.164A, in force 19 June 2026",
				RecourseKey: "recourse.uk_complaint", RecourseURL: ico,
			},
			Recourse: Recourse{Key: "recourse.uk", URL: ico, Authority: "Information Commissioner's Office",
				AfterAppealKey: "recourse.uk", AfterAppealURL: ico, AfterAppealAuthority: "Information Commissioner's Office"},
		},
		Quebec: {
			Jurisdiction: Quebec, Name: "Quebec", Statute: "Act respecting the protection of personal information in the private sector (Law 25)",
			Rights:  qcRights,
			Respond: days(30, "s.32"),
			// No extension found in the Act (check): none is offered, and staff are alerted early.
			Fast:          casl,
			Tiers:         tiers(twoPoints("Law 25 s.30: a person who proves identity; two data points (check)")),
			Verify:        VerifyRule{Declaration: declarationGeneral, Account: "s.30: proof of identity; the account's sign-in counts (check)"},
			AgentRights:   qcRights, // s.30: the person concerned, their representative or heir
			DeemedRefusal: true,     // s.32: no answer within 30 days is a refusal
			Recourse: Recourse{Key: "recourse.quebec", URL: cai, Authority: "Commission d'accès à l'information du Québec",
				AfterAppealKey: "recourse.quebec", AfterAppealURL: cai, AfterAppealAuthority: "Commission d'accès à l'information du Québec",
				Window: ptr(days(30, "s.43: within 30 days of the refusal (check: the only reading found)"))},
		},
		Canada: {
			Jurisdiction: Canada, Name: "Canada (PIPEDA)", Statute: "PIPEDA s.8",
			Rights:          pipedaRights,
			Respond:         days(30, "PIPEDA s.8(3)"),
			Fast:            casl,
			Extension:       ptr(days(30, "PIPEDA s.8(4)(a)")),
			ExtensionNotice: true, // s.8(4): within 30 days, with the new date, reasons and the right to complain
			Tiers:           tiers(twoPoints("PIPEDA Sch. 1, Principle 4.9.2: enough information to confirm identity; two data points")),
			Verify:          VerifyRule{Declaration: declarationGeneral, Account: "PIPEDA Principle 4.9.2: the account's sign-in confirms identity"},
			AgentRights:     pipedaRights, // a person may act through a representative with written authority
			DeemedRefusal:   true,         // s.8(5)
			Recourse: Recourse{Key: "recourse.pipeda", URL: opc, Authority: "Office of the Privacy Commissioner of Canada",
				AfterAppealKey: "recourse.pipeda", AfterAppealURL: opc, AfterAppealAuthority: "Office of the Privacy Commissioner of Canada",
				Window: ptr(months(6, "PIPEDA s.11(3): within six months of the refusal or of the end of the time to respond"))},
		},
		Virginia: usState(Virginia, "Virginia", "VCDPA (Va. Code §59.1-577)",
			AppealRule{Decide: days(60, "Va. Code §59.1-577(C)"), Upheld: "Va. Code §59.1-577(C): a written explanation of the reasons"},
			nil, // agents: none (parent of a known child only)
			"Office of the Attorney General of Virginia", "https://www.oag.state.va.us/consumer-protection/",
			&FrequencyLimit{Max: 2, Months: 12, Source: "Va. Code §59.1-577(B)(4): free up to twice annually"},
			"Va. Code §59.1-577(B)(4): manifestly unfounded, excessive or repetitive"),
		Colorado: usState(Colorado, "Colorado", "CPA (C.R.S. §6-1-1306)",
			AppealRule{Decide: days(45, "C.R.S. §6-1-1306(3)(b)"),
				Extension:       ptr(days(60, "C.R.S. §6-1-1306(3)(b): 60 more days where reasonably necessary, with notice and reasons within the first 45")),
				ExtensionNotice: true,
				Upheld:          "C.R.S. §6-1-1306(3)(b): a written explanation of the reasons"},
			allOf(RightOptOutSale),
			"Colorado Attorney General", "https://coag.gov/file-complaint/",
			nil, // free requests: "check" in RULES.md; no limit is shown, so staff answer every request
			"C.R.S. §6-1-1306 (check the subsection): manifestly unfounded, excessive or repetitive"),
		Connecticut: usState(Connecticut, "Connecticut", "CTDPA (Conn. Gen. Stat. §42-518)",
			AppealRule{Decide: days(60, "Conn. Gen. Stat. §42-518(d) (check: 60 days is the only reading found)"),
				Upheld: "Conn. Gen. Stat. §42-518(d): a written explanation of the reasons"},
			allOf(RightOptOutSale),
			"Connecticut Office of the Attorney General", "https://portal.ct.gov/AG/Common/Complaint-Form-Landing-page",
			&FrequencyLimit{Max: 1, Months: 12, Source: "Conn. Gen. Stat. §42-518(b)(4): free once per 12 months"},
			"Conn. Gen. Stat. §42-518(b)(4): manifestly unfounded, excessive or repetitive"),
		Texas: usState(Texas, "Texas", "TDPSA (Bus. & Com. Code §541.051 ff.)",
			AppealRule{Decide: days(60, "Bus. & Com. Code §541.053 (check: 60 days is the only reading found)"),
				Upheld: "Bus. & Com. Code §541.053: a written explanation of the reasons"},
			allOf(RightOptOutSale), // check: opt-out only, as RULES.md reads it
			"Texas Attorney General", "https://www.texasattorneygeneral.gov/consumer-protection/file-consumer-complaint",
			&FrequencyLimit{Max: 2, Months: 12, Source: "Bus. & Com. Code §541.052: free at least twice a year"},
			"Bus. & Com. Code §541.052 (check the subsection): manifestly unfounded, excessive or repetitive"),
		// Oregon's 45-day extension is for first requests only: none for appeals (ORS 646A.576(6)).
		Oregon: usState(Oregon, "Oregon", "OCPA (ORS 646A.570 ff.)",
			AppealRule{Decide: days(45, "ORS 646A.576(7); no extension for appeals (ORS 646A.576(6))"),
				Upheld: "ORS 646A.576(7): a written explanation of the reasons"},
			allOf(RightOptOutSale),
			"Oregon Department of Justice", "https://www.doj.state.or.us/consumer-protection/",
			&FrequencyLimit{Max: 1, Months: 12, Source: "ORS 646A.576(6): first request per 12 months free"},
			"ORS 646A.576(6) (check the subsection): manifestly unfounded, excessive or repetitive"),
		Other: {
			Jurisdiction: Other, Name: "Everywhere else", Statute: "the organization's privacy policy",
			Rights:          otherRights,
			Respond:         policy,    // Options.Policy, default 45 days
			Fast:            usFast(),  // the strictest common practice: opt-outs on the organization's calendar, CAN-SPAM
			Extension:       policyExt, // Options.PolicyExtension, default 45 days
			ExtensionNotice: policyExt != nil,
			// No law limits or sets the check: two points guard against disclosure to an impostor.
			Tiers:       tiers(twoPoints("no law: two data points guard against disclosure to an impostor")),
			Verify:      VerifyRule{Declaration: declarationGeneral, Account: accountUS},
			AgentRights: otherRights,
			// The organization's own review, by writing to its privacy contact.
			Recourse: Recourse{Key: "recourse.other", AfterAppealKey: "recourse.other"},
		},
		// The privacy choices page asks for nothing but an identifier (11 CCR
		// §7026(d): no more than is needed to act), so it cannot know whose law
		// applies: each choice runs on the strictest clock any law in this
		// table gives it (a test checks it never ends later than any of them).
		Unstated: {
			Jurisdiction: Unstated, Name: "Not stated (privacy choices)",
			Statute: "the strictest of the laws above, for choices made without saying where one lives",
			Rights:  unstatedRights,
			// Weekends only, no holidays: whichever law applies, its business
			// days skip at least these, so this clock ends first.
			Respond: bizDays(15, HolidaysNone, "11 CCR §7026(f): the opt-out clock; every right here has its own"),
			Fast: map[Right]Period{
				RightOptOutSale:     bizDays(15, HolidaysNone, "11 CCR §7026(f); every US state in the table (RULES.md rule 9)"),
				RightLimitSensitive: bizDays(15, HolidaysNone, "11 CCR §7027(g)"),
				// CASL's 10 business days counted as calendar days (the earlier
				// reading) end before CAN-SPAM's 10 business days and the GDPR's month.
				RightUnsubscribe: days(10, "CASL s.11(3), counted as calendar days: the strictest of CASL, CAN-SPAM and GDPR Art. 21(3)"),
			},
			Tiers:       tiers(nil),
			AgentRights: unstatedRights, // an agent may opt out for a person in every state that lets agents act
			Recourse:    Recourse{Key: "recourse.unstated", AfterAppealKey: "recourse.unstated"},
		},
	}
}

// unstatedRights are the choices a person may make without saying where
// they live: the opt-outs, which need no verification anywhere.
var unstatedRights = allOf(RightOptOutSale, RightLimitSensitive, RightUnsubscribe)

func mergeFast(a, b map[Right]Period) map[Right]Period {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// offersRight reports whether r is among l's rights.
func (l Law) offersRight(r Right) bool { return slices.Contains(l.Rights, r) }
