package rules

// Law is everything the portal needs to know about one jurisdiction.
type Law struct {
	Jurisdiction Jurisdiction
	Name         string // English, for generated documentation; the UI uses the catalog
	Statute      string
	Rights       []Right

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

	Tiers         map[Right]Tier // default TierEmail
	AgentRights   []Right        // rights an authorized agent may exercise
	Appeal        *AppealRule    // nil = no statutory appeal
	DeemedRefusal bool           // silence past the deadline counts as a refusal
	Recourse      Recourse
	Frequency     map[Right]FrequencyLimit
}

// AppealRule is a state's appeal process.
type AppealRule struct {
	Decide Period // deadline to decide, from receipt of the appeal
}

// Recourse is what a refusal must tell the person, as catalog keys (the
// message takes the URL as its argument).
type Recourse struct {
	Key            string // after a denial
	URL            string
	AfterAppealKey string // after an appeal upheld the denial
	AfterAppealURL string
}

// FrequencyLimit is how many free requests of one kind the law obliges
// the organization to answer in a period. Shown to staff, never enforced.
type FrequencyLimit struct {
	Max    int
	Months int
	Source string
}

func days(n int, src string) Period    { return Period{N: n, Kind: CalendarDays, Source: src} }
func bizDays(n int, src string) Period { return Period{N: n, Kind: BusinessDays, Source: src} }
func months(n int, src string) Period  { return Period{N: n, Kind: CalendarMonths, Source: src} }
func ptr(p Period) *Period             { return &p }
func allOf(rs ...Right) []Right        { return rs }
func freq(max int, src string) FrequencyLimit {
	return FrequencyLimit{Max: max, Months: 12, Source: src}
}

// optOutFast: opt-outs and limits are acted on within 15 business days with
// no extension (11 CCR §7026(f), §7027(g)); RULES.md rule 9 applies it
// everywhere. Unsubscribes in the US follow CAN-SPAM's 10 business days
// (15 U.S.C. §7704(a)(4)).
func optOutFast(unsubscribe Period) map[Right]Period {
	return map[Right]Period{
		RightOptOutSale:     bizDays(15, "11 CCR §7026(f); RULES.md rule 9"),
		RightLimitSensitive: bizDays(15, "11 CCR §7027(g)"),
		RightUnsubscribe:    unsubscribe,
	}
}

var canSpam = bizDays(10, "CAN-SPAM, 15 U.S.C. §7704(a)(4)")

var noVerification = map[Right]Tier{RightOptOutSale: TierNone, RightLimitSensitive: TierNone, RightUnsubscribe: TierNone}

func tiers(base map[Right]Tier) map[Right]Tier {
	out := map[Right]Tier{}
	for r, t := range noVerification {
		out[r] = t
	}
	for r, t := range base {
		out[r] = t
	}
	return out
}

// usState is the shape every state privacy act with an appeal shares:
// 45 days, one 45-day extension with notice, an appeal, a denial that
// names the Attorney General once an appeal is upheld.
func usState(j Jurisdiction, name, statute string, decide Period, agents []Right, agURL string, f FrequencyLimit) Law {
	return Law{
		Jurisdiction: j, Name: name, Statute: statute,
		Rights:    allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightUnsubscribe),
		Respond:   days(45, statute+": respond within 45 days"),
		Fast:      optOutFast(canSpam),
		Extension: ptr(days(45, statute+": one 45-day extension with notice")),
		Tiers: tiers(map[Right]Tier{RightAccess: TierTwoPoints, RightPortability: TierTwoPoints,
			RightDelete: TierTwoPoints, RightCorrect: TierTwoPoints}),
		AgentRights: agents,
		Appeal:      &AppealRule{Decide: decide},
		Recourse:    Recourse{Key: "recourse.appeal", AfterAppealKey: "recourse.attorney_general", AfterAppealURL: agURL},
		Frequency:   map[Right]FrequencyLimit{RightAccess: f, RightPortability: f, RightDelete: f, RightCorrect: f},
	}
}

// laws is the table: one entry per jurisdiction, every number with its source.
func laws(policy Period, policyExt *Period) map[Jurisdiction]Law {
	caFreq := freq(2, "Civ. Code §1798.130(b): need not answer know requests more than twice in 12 months")
	gdprTiers := tiers(map[Right]Tier{RightObject: TierEmail}) // Art. 12(6): more only on reasonable doubt
	return map[Jurisdiction]Law{
		California: {
			Jurisdiction: California, Name: "California", Statute: "CCPA/CPRA (Civ. Code §1798.100 ff.; 11 CCR §§7000–7102)",
			Rights: allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightLimitSensitive,
				RightUnsubscribe, RightShineTheLight),
			Acknowledge: ptr(bizDays(10, "11 CCR §7021(a)")),
			AckRights:   allOf(RightAccess, RightDelete, RightCorrect, RightPortability),
			Respond:     days(45, "11 CCR §7021(b)"),
			Fast: mergeFast(optOutFast(canSpam), map[Right]Period{
				RightShineTheLight: days(30, "Civ. Code §1798.83(b)(1)(C)"),
			}),
			Extension: ptr(days(45, "11 CCR §7021(b); Civ. Code §1798.130(a)(2)")),
			Tiers: tiers(map[Right]Tier{
				RightAccess:      TierThreePoints, // specific pieces: 3 points + declaration (§7062(c))
				RightPortability: TierThreePoints,
				// Deletion: reasonable or reasonably high degree by the data's sensitivity (§7062(d), check);
				// two points by default, staff escalate for sensitive data.
				RightDelete:        TierTwoPoints,
				RightCorrect:       TierTwoPoints,
				RightShineTheLight: TierEmail,
			}),
			AgentRights: allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightLimitSensitive, RightUnsubscribe), // §7063
			Recourse: Recourse{Key: "recourse.california", URL: "https://cppa.ca.gov/webapplications/complaint",
				AfterAppealKey: "recourse.california", AfterAppealURL: "https://cppa.ca.gov/webapplications/complaint"},
			Frequency: map[Right]FrequencyLimit{RightAccess: caFreq, RightPortability: caFreq},
		},
		EU: {
			Jurisdiction: EU, Name: "EU/EEA", Statute: "GDPR (Regulation (EU) 2016/679)",
			Rights: allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightRestrict, RightObject, RightUnsubscribe),
			// One month from receipt, by calendar (Art. 12(3); Reg. 1182/71 Art. 3(2)(c): the same date next
			// month, or the month's last day where there is none).
			Respond:     months(1, "GDPR Art. 12(3)"),
			Fast:        map[Right]Period{RightUnsubscribe: months(1, "GDPR Art. 21(3), 12(3)")},
			Extension:   ptr(months(2, "GDPR Art. 12(3)")),
			Tiers:       gdprTiers,
			AgentRights: AllRights, // representation is a matter of national law (check): allowed, with proof
			Recourse: Recourse{Key: "recourse.gdpr", URL: "https://edpb.europa.eu/about-edpb/about-edpb/members_en",
				AfterAppealKey: "recourse.gdpr", AfterAppealURL: "https://edpb.europa.eu/about-edpb/about-edpb/members_en"},
		},
		UK: {
			Jurisdiction: UK, Name: "United Kingdom", Statute: "UK GDPR; Data Protection Act 2018",
			Rights:      allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightRestrict, RightObject, RightUnsubscribe),
			Respond:     months(1, "UK GDPR Art. 12(3)"),
			Fast:        map[Right]Period{RightUnsubscribe: months(1, "UK GDPR Art. 21(3), 12(3)")},
			Extension:   ptr(months(2, "UK GDPR Art. 12(3)")),
			Tiers:       gdprTiers,
			AgentRights: AllRights,
			Recourse: Recourse{Key: "recourse.uk", URL: "https://ico.org.uk/make-a-complaint/",
				AfterAppealKey: "recourse.uk", AfterAppealURL: "https://ico.org.uk/make-a-complaint/"},
		},
		Quebec: {
			Jurisdiction: Quebec, Name: "Quebec", Statute: "Act respecting the protection of personal information in the private sector (Law 25)",
			Rights:  allOf(RightAccess, RightCorrect, RightDelete, RightPortability, RightCessation, RightUnsubscribe),
			Respond: days(30, "s.32"),
			// No extension found in the Act (check): none is offered, and staff are alerted early.
			Fast:          map[Right]Period{RightUnsubscribe: days(10, "CASL s.11(3): within 10 business days (counted as calendar days: stricter)")},
			Tiers:         tiers(map[Right]Tier{RightAccess: TierTwoPoints, RightCorrect: TierTwoPoints, RightDelete: TierTwoPoints, RightPortability: TierTwoPoints, RightCessation: TierTwoPoints}),
			AgentRights:   AllRights, // the person concerned, their representative or heir (s.30)
			DeemedRefusal: true,      // s.32: no answer within 30 days is a refusal
			Recourse: Recourse{Key: "recourse.quebec", URL: "https://www.cai.gouv.qc.ca/",
				AfterAppealKey: "recourse.quebec", AfterAppealURL: "https://www.cai.gouv.qc.ca/"},
		},
		Canada: {
			Jurisdiction: Canada, Name: "Canada (PIPEDA)", Statute: "PIPEDA s.8",
			Rights:        allOf(RightAccess, RightCorrect, RightUnsubscribe),
			Respond:       days(30, "PIPEDA s.8(3)"),
			Fast:          map[Right]Period{RightUnsubscribe: days(10, "CASL s.11(3): within 10 business days (counted as calendar days: stricter)")},
			Extension:     ptr(days(30, "PIPEDA s.8(4)")),
			Tiers:         tiers(map[Right]Tier{RightAccess: TierTwoPoints, RightCorrect: TierTwoPoints}),
			AgentRights:   AllRights,
			DeemedRefusal: true, // s.8(5)
			Recourse: Recourse{Key: "recourse.pipeda", URL: "https://www.priv.gc.ca/en/report-a-concern/",
				AfterAppealKey: "recourse.pipeda", AfterAppealURL: "https://www.priv.gc.ca/en/report-a-concern/"},
		},
		Virginia: usState(Virginia, "Virginia", "VCDPA (Va. Code §59.1-577)",
			days(60, "Va. Code §59.1-577(C)"), nil, // agents: none (parent of a known child only)
			"https://www.oag.state.va.us/consumer-protection/", freq(2, "Va. Code §59.1-577(B)(4): free twice annually")),
		Colorado: usState(Colorado, "Colorado", "CPA (C.R.S. §6-1-1306)",
			days(45, "C.R.S. §6-1-1306(3)(b): 45 days (the +60 extension is not used: check, stricter)"), allOf(RightOptOutSale),
			"https://coag.gov/file-complaint/", freq(1, "C.R.S. §6-1-1306(1)(e): check; the stricter reading is taken")),
		Connecticut: usState(Connecticut, "Connecticut", "CTDPA (Conn. Gen. Stat. §42-518)",
			days(60, "Conn. Gen. Stat. §42-518(d) (check)"), allOf(RightOptOutSale),
			"https://portal.ct.gov/AG/Common/Complaint-Form-Landing-page", freq(1, "Conn. Gen. Stat. §42-518(b)(4): free once per 12 months")),
		Texas: usState(Texas, "Texas", "TDPSA (Bus. & Com. Code §541.051 ff.)",
			days(60, "Bus. & Com. Code §541.053 (check)"), allOf(RightOptOutSale),
			"https://www.texasattorneygeneral.gov/consumer-protection/file-consumer-complaint", freq(2, "Bus. & Com. Code §541.052: at least twice a year")),
		Oregon: usState(Oregon, "Oregon", "OCPA (ORS 646A.570 ff.)",
			days(45, "ORS 646A.576(7)"), allOf(RightOptOutSale),
			"https://www.doj.state.or.us/consumer-protection/", freq(1, "ORS 646A.576(6): first request per 12 months free")),
		Other: {
			Jurisdiction: Other, Name: "Everywhere else", Statute: "the organization's privacy policy",
			Rights:      allOf(RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightUnsubscribe),
			Respond:     policy,
			Fast:        optOutFast(canSpam),
			Extension:   policyExt,
			Tiers:       tiers(nil),
			AgentRights: AllRights,
			Recourse:    Recourse{Key: "recourse.other", AfterAppealKey: "recourse.other"},
		},
	}
}

func mergeFast(a, b map[Right]Period) map[Right]Period {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// Jurisdictions lists every jurisdiction in display order.
func Jurisdictions() []Jurisdiction {
	return []Jurisdiction{California, Virginia, Colorado, Connecticut, Texas, Oregon, EU, UK, Quebec, Canada, Other}
}

// euEEA are the EU member states plus Iceland, Liechtenstein and Norway.
var euEEA = []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
	"LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}

// Countries lists the countries the form names (anyone else picks "OTHER").
func Countries() []string {
	return append([]string{"US", "CA", "GB", "AU", "BR", "IN", "JP", "MX", "CH"}, euEEA...)
}

// USStates lists the US states, DC and territories by postal code.
func USStates() []string {
	return []string{"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
		"KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
		"OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP"}
}

// CanadianProvinces lists the provinces and territories.
func CanadianProvinces() []string {
	return []string{"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}
}

// Resolve maps where a person lives (ISO 3166-1 alpha-2 country, and the
// subdivision code without the country prefix: "CA", "QC") to the
// jurisdiction whose law applies.
func Resolve(country, region string) Jurisdiction {
	switch country {
	case "US":
		switch region {
		case "CA":
			return California
		case "VA":
			return Virginia
		case "CO":
			return Colorado
		case "CT":
			return Connecticut
		case "TX":
			return Texas
		case "OR":
			return Oregon
		}
	case "CA":
		if region == "QC" {
			return Quebec
		}
		for _, p := range CanadianProvinces() {
			if p == region {
				return Canada
			}
		}
	case "GB":
		return UK
	default:
		for _, c := range euEEA {
			if c == country {
				return EU
			}
		}
	}
	return Other
}

// Message is the catalog key and arguments of the recourse sentence, after
// a denial or after an appeal upheld it.
func (rc Recourse) Message(afterAppeal bool) (string, []any) {
	key, url := rc.Key, rc.URL
	if afterAppeal {
		key, url = rc.AfterAppealKey, rc.AfterAppealURL
	}
	if url == "" {
		return key, nil
	}
	return key, []any{url}
}
