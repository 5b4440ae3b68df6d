package models

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Privacy choices: opting out of the sale or sharing of personal
// information, limiting the use of sensitive information and unsubscribing
// from marketing. A choice is recorded at once as a preference (one row per
// identifier and choice, so the same opt-out twice is one preference), every
// change is kept with its time and source, and each opt-out opens a request
// on the law's clock that tracks its propagation to the organization's
// systems (11 CCR §§7026–7027; RULES.md rule 9). No verification and no
// account: the person gives only an identifier the organization can act on.
//
// Every change is numbered from one counter (preference_sequence), taken
// last in the transaction, so changes become visible in number order: the
// opt-out list's cursor (OptOuts) never passes over a change that commits
// late. Each change is also sent, in its own transaction, to the webhook
// of every data system in scope for its choice (sendChoiceChange), carrying
// the same number; and each opt-out's request opens its checklist of tasks
// at once, like an opt-out on the request form.

// Identifier kinds: what a person gives so the organization can act.
const (
	IDEmail    = "email"
	IDPhone    = "phone"
	IDCustomer = "customer" // the organization's own customer or subscriber id
	IDVisitor  = "visitor"  // a visitor id of the organization's website
)

// IDKinds lists the identifier kinds.
var IDKinds = []string{IDEmail, IDPhone, IDCustomer, IDVisitor}

// PageIDKinds are the kinds the choices page may ask for (configurable).
var PageIDKinds = []string{IDEmail, IDPhone, IDCustomer}

// MaxIdentifier bounds a customer or visitor id.
const MaxIdentifier = 128

// ChoiceRights are the choices, in the order they are shown (and locked).
var ChoiceRights = []rules.Right{rules.RightOptOutSale, rules.RightLimitSensitive, rules.RightUnsubscribe}

// IsChoice reports whether right is one of the privacy choices.
func IsChoice(right string) bool { return contains(ChoiceRights, rules.Right(right)) }

// Sources of a change of preference.
const (
	SourcePage        = "choices_page"      // the privacy choices page
	SourceGPC         = "gpc"               // a Global Privacy Control signal sent to the portal
	SourceSiteGPC     = "website_gpc"       // the signal, passed on by the organization's website
	SourceCentre      = "preference_centre" // the mailed preference centre
	SourceOneClick    = "one_click"         // RFC 8058 one-click unsubscribe from a marketing mail
	SourceRequestForm = "request_form"      // an opt-out asked for on the request form
	SourceDenied      = "denied"            // staff denied the opt-out (a documented belief of fraud)
	SourceWithdrawn   = "withdrawn"         // the person withdrew the opt-out request
)

// Sources lists every source, for labels and tests.
var Sources = []string{SourcePage, SourceGPC, SourceSiteGPC, SourceCentre, SourceOneClick, SourceRequestForm, SourceDenied, SourceWithdrawn}

// Channels through which choices arrive besides the web (submissions' channel).
const (
	ChannelWebsite  = "website"   // the organization's own website, through the signal endpoint
	ChannelOneClick = "one_click" // a mail client's one-click unsubscribe
)

// Subject is whom a choice is for: an identifier of a kind.
type Subject struct {
	Kind  string
	Value string
}

// SubjectField is the form field of an identifier kind.
func SubjectField(kind string) string {
	switch kind {
	case IDCustomer:
		return "customer_id"
	case IDVisitor:
		return "visitor_id"
	}
	return kind
}

// ParseSubject cleans an identifier of kind: e-mail addresses in lower
// case, phone numbers as their digits (with a leading +), ids as printable
// ASCII. A problem is reported on the kind's form field.
func ParseSubject(kind, raw string) (Subject, error) {
	v := &ValidationError{}
	field := SubjectField(kind)
	s := Subject{Kind: kind}
	switch kind {
	case IDEmail:
		s.Value = strings.ToLower(text(v, field, raw, OneLine, true, MaxEmail))
		if _, bad := v.Fields[field]; !bad && !ValidEmail(s.Value) {
			v.Add(field, "error.email.invalid")
		}
	case IDPhone:
		p := text(v, field, raw, OneLine, true, MaxPhone)
		if _, bad := v.Fields[field]; !bad && !validPhone(p) {
			v.Add(field, "error.phone.invalid")
		}
		s.Value = phoneDigits(p)
	case IDCustomer, IDVisitor:
		s.Value = text(v, field, raw, OneLine, true, MaxIdentifier)
		if _, bad := v.Fields[field]; !bad && !printableASCII(s.Value) {
			v.Add(field, "error.identifier.invalid")
		}
	default:
		v.Add("identifier", "error.identifier.invalid")
	}
	return s, v.Err()
}

// phoneDigits keeps a phone number's digits and a leading +, so that
// "+1 (415) 555-0100" and "+14155550100" are one identifier.
func phoneDigits(p string) string {
	var b strings.Builder
	for i, r := range p {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return s != ""
}

// Preference is one person's choice, as it stands now.
type Preference struct {
	ID         int64
	IDKind     string `gorm:"column:id_kind"`
	Identifier string
	Choice     string
	OptedOut   bool
	Source     string // of the last change
	Seq        int64  // number of the last change: the opt-out list's cursor
	RequestID  *int64 // the request passing on the last opt-out
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// PreferenceChange is one change of a preference, kept for good.
type PreferenceChange struct {
	ID           int64
	PreferenceID int64
	Seq          int64
	OptedOut     bool
	Source       string
	GPC          bool   `gorm:"column:gpc"` // the browser sent the Global Privacy Control signal
	RequestID    *int64 // the request opened (opt-out) or closed (denied, withdrawn) with it
	ActorKind    string
	StaffID      *int64
	CreatedAt    time.Time
}

// PreferenceLink is a mailed link to the preference centre; only the
// token's hash is stored.
type PreferenceLink struct {
	ID         int64
	TokenHash  string
	IDKind     string `gorm:"column:id_kind"`
	Identifier string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// PreferenceLinkTTL is how long a mailed preference-centre link works.
const PreferenceLinkTTL = 7 * 24 * time.Hour

// Anyone may type anyone's address, so links per address are bounded
// (mailPerRecipient bounds all mail to it).
var linksPerRecipient = Limit{Name: "choices-link", Max: 3, Window: time.Hour}

// Choice errors.
var (
	ErrLinkExpired     = &Error{Kind: KindGone, Key: "error.choices.link_expired"}
	ErrOneClickInvalid = &Error{Kind: KindNotFound, Key: "error.one_click.invalid"}
	ErrNoChoice        = &Error{Kind: KindInvalid, Key: "error.choice.required", Field: "choice"}
	ErrNoSignal        = &Error{Kind: KindInvalid, Key: "error.gpc.no_signal"}
)

// Choices is the aggregate of privacy choices: preferences and their
// history, the preference centre's links, one-click unsubscribe and the
// opt-out list.
type Choices struct {
	c        *Core
	oneClick [][]byte // keys that sign one-click tokens; none = one-click is off
}

// NewChoices returns the choices aggregate; oneClickKeys are the keys the
// organization's mail system signs unsubscribe tokens with (any of them
// verifies, so a key can be rotated while old mail is still read).
func NewChoices(c *Core, oneClickKeys [][]byte) *Choices {
	return &Choices{c: c, oneClick: oneClickKeys}
}

// Change sets one choice.
type Change struct {
	Choice rules.Right
	OptOut bool // false: opt back in
	Source string
}

// ChoiceInput is one person's changes, made together.
type ChoiceInput struct {
	Subject Subject
	Changes []Change
	GPC     bool   // the request carried the Global Privacy Control signal
	Channel string // how the opt-out requests arrived: web (default), website, one_click
	Lang    string
	Mail    bool // confirm by mail, when the identifier is an e-mail address
}

// ChoiceResult says what a Set changed.
type ChoiceResult struct {
	Changed  []Preference // as they are now
	Requests []Request    // opened to pass the opt-outs on
}

// Set records the changes at once. A choice already in force changes
// nothing (no new change, request or mail), however many times and however
// close together it arrives. Each opt-out opens a request on the law's
// clock (verified: an opt-out needs no verification); opting back in
// withdraws the opt-out's request if it is still open.
func (cs *Choices) Set(ctx context.Context, in ChoiceInput, actor Actor) (*ChoiceResult, error) {
	changes, err := orderChanges(in.Changes)
	if err != nil {
		return nil, err
	}
	if !contains(IDKinds, in.Subject.Kind) || in.Subject.Value == "" {
		return nil, invalid("identifier", "error.identifier.invalid")
	}
	if in.Channel == "" {
		in.Channel = "web"
	}
	if in.Lang == "" {
		in.Lang = "en"
	}
	c := cs.c
	var res *ChoiceResult
	err = c.write(ctx, func(tx *tx) error {
		res = &ChoiceResult{}
		type pending struct {
			ch Change
			p  *Preference
		}
		var todo []pending
		for _, ch := range changes {
			p, err := tx.lockPreference(in.Subject, ch.Choice, ch.OptOut)
			if err != nil {
				return err
			}
			if p == nil || p.Seq != 0 && p.OptedOut == ch.OptOut {
				continue // already so
			}
			todo = append(todo, pending{ch, p})
		}
		if len(todo) == 0 {
			return nil
		}
		last, err := tx.nextSeq(len(todo))
		if err != nil {
			return err
		}
		now := c.Now()
		var sub *Submission
		var token string
		for i, t := range todo {
			var reqID *int64
			if t.ch.OptOut {
				if sub == nil {
					if sub, token, err = tx.choiceSubmission(in, now, actor); err != nil {
						return err
					}
				}
				req, err := c.newRequest(sub, t.ch.Choice, KindRequest, nil, now)
				if err != nil {
					return err
				}
				if err := tx.Create(req).Error; err != nil {
					return err
				}
				if err := tx.event(req.ID, EventReceived, actor, "", req.Status, in.Channel, false); err != nil {
					return err
				}
				reqID = &req.ID
				res.Requests = append(res.Requests, *req)
			} else if err := tx.withdrawChoiceRequest(t.p, actor); err != nil {
				return err
			}
			seq := last - int64(len(todo)-1-i)
			if err := tx.recordChange(t.p, t.ch.OptOut, t.ch.Source, in.GPC, reqID, seq, actor); err != nil {
				return err
			}
			if t.ch.OptOut {
				// Verified at once, like an opt-out on the request form:
				// its checklist opens now, a task per system in scope,
				// each system with a webhook sent its task.
				req := &res.Requests[len(res.Requests)-1]
				if err := tx.openTasks(req); err != nil {
					return err
				}
			}
			res.Changed = append(res.Changed, *t.p)
		}
		if in.Mail && sub != nil && in.Subject.Kind == IDEmail {
			return tx.mailChoiceRecorded(sub, token, res.Requests)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// orderChanges checks the changes and puts them in ChoiceRights order, the
// order every transaction locks preferences in.
func orderChanges(in []Change) ([]Change, error) {
	var out []Change
	for _, r := range ChoiceRights {
		n := 0
		for _, ch := range in {
			if ch.Choice == r {
				if n++; n > 1 {
					return nil, ErrNoChoice
				}
				if !contains(Sources, ch.Source) {
					return nil, errors.New("models: unknown source of a choice: " + ch.Source)
				}
				out = append(out, ch)
			}
		}
	}
	if len(out) != len(in) || len(out) == 0 {
		return nil, ErrNoChoice
	}
	return out, nil
}

// lockPreference reads and locks the preference of s for choice, creating
// it (not yet changed: Seq 0) when create is set. It returns nil when
// there is none and create is not set. The request of the last opt-out is
// locked first, as a staff decision on that request locks it before the
// preference, so the two never wait for each other in a circle.
func (t *tx) lockPreference(s Subject, choice rules.Right, create bool) (*Preference, error) {
	for range 4 {
		var p Preference
		err := t.Where("id_kind = ? AND identifier = ? AND choice = ?", s.Kind, s.Value, string(choice)).Take(&p).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if !create {
				return nil, nil
			}
			now := t.c.Now()
			// A concurrent transaction making the same row wins; ON
			// CONFLICT waits for it, and the loop reads its row.
			fresh := Preference{IDKind: s.Kind, Identifier: s.Value, Choice: string(choice), CreatedAt: now, UpdatedAt: now}
			if err := t.Clauses(clause.OnConflict{DoNothing: true}).Create(&fresh).Error; err != nil {
				return nil, err
			}
			continue
		case err != nil:
			return nil, err
		}
		if p.RequestID != nil {
			if _, err := t.lockRequest(*p.RequestID); err != nil {
				return nil, err
			}
		}
		var locked Preference
		if err := t.forUpdate().Where("id = ?", p.ID).Take(&locked).Error; err != nil {
			return nil, err
		}
		if sameID(locked.RequestID, p.RequestID) {
			return &locked, nil
		}
		// Its request changed between the read and the lock: again.
	}
	return nil, errors.New("models: a preference kept changing under the lock")
}

func sameID(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// nextSeq takes n numbers from the change counter and returns the last.
// The counter row stays locked until the transaction ends: take it after
// every other lock.
func (t *tx) nextSeq(n int) (int64, error) {
	var last int64
	err := t.Raw("UPDATE preference_sequence SET n = n + ? WHERE id = 1 RETURNING n", n).Scan(&last).Error
	if err == nil && last == 0 {
		err = errors.New("models: the preference counter is missing")
	}
	return last, err
}

// recordChange applies a change to a locked preference and keeps it.
func (t *tx) recordChange(p *Preference, optOut bool, source string, gpc bool, reqID *int64, seq int64, a Actor) error {
	now := t.c.Now()
	updates := map[string]any{"opted_out": optOut, "source": source, "seq": seq, "updated_at": now}
	if optOut && reqID != nil {
		updates["request_id"] = *reqID
		p.RequestID = reqID
	}
	if err := t.Model(&Preference{}).Where("id = ?", p.ID).Updates(updates).Error; err != nil {
		return err
	}
	p.OptedOut, p.Source, p.Seq, p.UpdatedAt = optOut, source, seq, now
	if err := t.Create(&PreferenceChange{PreferenceID: p.ID, Seq: seq, OptedOut: optOut, Source: source, GPC: gpc,
		RequestID: reqID, ActorKind: a.Kind, StaffID: a.StaffID, CreatedAt: now}).Error; err != nil {
		return err
	}
	if err := t.sendChoiceChange(p, gpc, now); err != nil {
		return err
	}
	action := "choice.opt_in"
	if optOut {
		action = "choice.opt_out"
	}
	return t.audit(a, action, "preference", p.ID, "choice="+p.Choice+" source="+source+" gpc="+strconv.FormatBool(gpc))
}

// ChoiceIdentifier is whom a choice is for, as the organization knows
// them: an identifier kind (email, phone, customer, visitor) and its value.
type ChoiceIdentifier struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// ChoiceJob is the body of the signed call a system's webhook receives
// for each change of a choice it is in scope for (docs/privacy-choices.md).
type ChoiceJob struct {
	Type       string           `json:"type"` // "preference.changed"
	Seq        int64            `json:"seq"`  // the change's number: the opt-out list's since= cursor
	System     string           `json:"system"`
	Identifier ChoiceIdentifier `json:"identifier"`
	Choice     string           `json:"choice"`    // opt_out_sale, limit_sensitive, unsubscribe
	OptedOut   bool             `json:"opted_out"` // the new state: true = opted out, false = opted back in
	At         time.Time        `json:"at"`
	Source     string           `json:"source"`
	GPC        bool             `json:"gpc"` // the change came with the Global Privacy Control signal
}

// sendChoiceChange queues, in the transaction that records the change of
// p (already applied to it), a signed call to each live system with a
// webhook in scope for p's choice. A call not yet delivered when the same
// person's same choice changes again is superseded by the newer one, as a
// task's rounds are: a system is told the latest state, never an older
// one after a newer one.
func (t *tx) sendChoiceChange(p *Preference, gpc bool, at time.Time) error {
	systems, err := t.systemsInScope(p.Choice, true)
	if err != nil {
		return err
	}
	for _, s := range systems {
		body, err := json.Marshal(ChoiceJob{Type: "preference.changed", Seq: p.Seq, System: s.Name,
			Identifier: ChoiceIdentifier{Kind: p.IDKind, Value: p.Identifier}, Choice: p.Choice, OptedOut: p.OptedOut,
			At: at.UTC(), Source: p.Source, GPC: gpc})
		if err != nil {
			return err
		}
		id := strconv.FormatInt(s.ID, 10)
		if err := t.enqueueSigned(JobChoiceWebhook, "choice:"+id+":"+strconv.FormatInt(p.ID, 10), http.MethodPost, s.WebhookURL,
			map[string]string{"Content-Type": "application/json"}, body, "system:"+id); err != nil {
			return err
		}
	}
	return nil
}

// choiceIdentifier returns whom the opt-out that opened request id is for,
// or nil when no choice opened it.
func (t *tx) choiceIdentifier(requestID int64) (*ChoiceIdentifier, error) {
	var out []ChoiceIdentifier
	err := t.Table("preference_changes").Select("preferences.id_kind AS kind, preferences.identifier AS value").
		Joins("JOIN preferences ON preferences.id = preference_changes.preference_id").
		Where("preference_changes.request_id = ? AND preference_changes.opted_out = ?", requestID, true).
		Order("preference_changes.seq").Limit(1).Scan(&out).Error
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// withdrawChoiceRequest withdraws the open request of p's last opt-out,
// when the person opts back in before it was passed on.
func (t *tx) withdrawChoiceRequest(p *Preference, a Actor) error {
	if p.RequestID == nil {
		return nil
	}
	r, err := t.lockRequest(*p.RequestID)
	if err != nil || r.Closed() {
		return err
	}
	return t.setStatus(r, StatusWithdrawn, a, "")
}

// choiceRequestClosed reverts the preference whose opt-out request r is,
// when r is denied (a documented belief of fraud) or withdrawn: that
// opt-out is not in force. r is locked by the caller.
func (t *tx) choiceRequestClosed(r *Request, source string, a Actor) error {
	if !IsChoice(r.Right) || r.Kind != KindRequest {
		return nil
	}
	var p Preference
	err := t.forUpdate().Where("request_id = ?", r.ID).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || err == nil && !p.OptedOut {
		return nil
	}
	if err != nil {
		return err
	}
	seq, err := t.nextSeq(1)
	if err != nil {
		return err
	}
	return t.recordChange(&p, false, source, false, &r.ID, seq, a)
}

// ChoiceSubject is the identifier an opt-out of sub is kept under: its
// e-mail address or, for a person with none (entered by staff from a
// letter or a call), its phone number. false when there is neither (a
// letter with a postal address only): no system can act on such an
// opt-out by itself, and staff are told so (the request page's flag).
func (sub *Submission) ChoiceSubject() (Subject, bool) {
	if sub.Email != "" {
		return Subject{Kind: IDEmail, Value: sub.Email}, true
	}
	if sub.Phone == "" {
		return Subject{}, false
	}
	s, err := ParseSubject(IDPhone, sub.Phone)
	return s, err == nil && s.Value != ""
}

// formChoice records, as a preference of the submission's e-mail address
// (or phone number, for a person with no e-mail: ChoiceSubject), an
// opt-out asked for on the request form or entered by staff: the opt-out
// list then holds every opt-out, whichever way it came. req is the form's
// own request; gpc: the form came with the GPC signal (which stands for
// the opt-out of sale and sharing, if the person did not tick it
// themselves).
func (t *tx) formChoice(sub *Submission, req *Request, gpc bool, a Actor) error {
	subject, ok := sub.ChoiceSubject()
	if !IsChoice(req.Right) || !ok {
		return nil
	}
	p, err := t.lockPreference(subject, rules.Right(req.Right), true)
	if err != nil || p.Seq != 0 && p.OptedOut {
		return err
	}
	seq, err := t.nextSeq(1)
	if err != nil {
		return err
	}
	source := SourceRequestForm
	if gpc && req.Right == string(rules.RightOptOutSale) {
		source = SourceGPC
	}
	return t.recordChange(p, true, source, gpc, &req.ID, seq, a)
}

// choiceSubmission makes the submission that holds a person's opt-out
// requests: no name, no place (the choices page asks for neither), so its
// requests run on the strictest clock (rules.Unstated).
func (t *tx) choiceSubmission(in ChoiceInput, received time.Time, a Actor) (*Submission, string, error) {
	c := t.c
	token := newToken()
	sub := &Submission{TrackingHash: c.hash("track", token), TrackingSealed: c.sealToken(token), OnBehalf: "self",
		Jurisdiction: string(rules.Unstated), Lang: in.Lang, Channel: in.Channel,
		ReceivedAt: received, CreatedAt: received, UpdatedAt: received}
	switch in.Subject.Kind {
	case IDEmail:
		sub.Email = in.Subject.Value
	case IDPhone:
		sub.Phone = in.Subject.Value
	}
	if err := insertSubmission(t, sub); err != nil {
		return nil, "", err
	}
	return sub, token, t.audit(a, "submission.create", "submission", sub.ID, "channel="+in.Channel+" jurisdiction="+sub.Jurisdiction)
}

// mailChoiceRecorded confirms opt-outs to the address they were made for,
// with the tracking link and a link to the preference centre. Past the
// bound on mail to one address, the choice stands and no mail goes.
func (t *tx) mailChoiceRecorded(sub *Submission, token string, reqs []Request) error {
	if ok, _, err := t.c.allow(t.DB, mailPerRecipient, sub.Email); err != nil || !ok {
		return err
	}
	link, err := t.newPreferenceLink(Subject{Kind: IDEmail, Value: sub.Email})
	if err != nil {
		return err
	}
	data := MailData{Reference: sub.Reference, TrackURL: t.c.TrackURL(token), URL: link}
	for _, r := range reqs {
		data.Rights = append(data.Rights, r.Right)
		if data.DueAt == nil || r.DueAt.Before(*data.DueAt) {
			due := r.DueAt
			data.DueAt = &due
		}
	}
	return t.enqueue(sub.Email, MailChoiceRecorded, sub.Lang, data)
}

// newPreferenceLink makes a link to the preference centre of s; links
// that expired are deleted as new ones are made.
func (t *tx) newPreferenceLink(s Subject) (string, error) {
	now := t.c.Now()
	if err := t.Where("expires_at < ?", now).Delete(&PreferenceLink{}).Error; err != nil {
		return "", err
	}
	token := newToken()
	if err := t.Create(&PreferenceLink{TokenHash: t.c.hash("prefs", token), IDKind: s.Kind, Identifier: s.Value,
		CreatedAt: now, ExpiresAt: now.Add(PreferenceLinkTTL)}).Error; err != nil {
		return "", err
	}
	return t.c.PreferenceURL(token), nil
}

// PreferenceURL is the preference-centre link of token: the token is
// random, so the URL says nothing about the person.
func (c *Core) PreferenceURL(token string) string { return c.BaseURL + "/choices/p/" + token }

// SendLink mails a link to the preference centre of email. Anyone may ask
// for anyone's: the caller answers the same whatever happens, the link goes
// only to the address, and mail to one address is bounded (past the bound,
// nothing is sent).
func (cs *Choices) SendLink(ctx context.Context, email, lang string, actor Actor) error {
	s, err := ParseSubject(IDEmail, email)
	if err != nil {
		return err
	}
	if lang == "" {
		lang = "en"
	}
	c := cs.c
	return c.write(ctx, func(tx *tx) error {
		for _, l := range []Limit{linksPerRecipient, mailPerRecipient} {
			if ok, _, err := c.allow(tx.DB, l, s.Value); err != nil || !ok {
				return err
			}
		}
		link, err := tx.newPreferenceLink(s)
		if err != nil {
			return err
		}
		if err := tx.enqueue(s.Value, MailPreferenceLink, lang, MailData{URL: link}); err != nil {
			return err
		}
		return tx.audit(actor, "choice.link_sent", "", 0, "")
	})
}

// ByLink returns whom a preference-centre link is for, while it works.
func (cs *Choices) ByLink(ctx context.Context, token string) (Subject, error) {
	if !validToken(token) {
		return Subject{}, ErrNotFound
	}
	var l PreferenceLink
	err := cs.c.read(ctx).Where("token_hash = ?", cs.c.hash("prefs", token)).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Subject{}, ErrNotFound
	}
	if err != nil {
		return Subject{}, err
	}
	if !l.ExpiresAt.After(cs.c.Now()) {
		return Subject{}, ErrLinkExpired
	}
	return Subject{Kind: l.IDKind, Value: l.Identifier}, nil
}

// ChoiceState is one choice of one person, as it stands.
type ChoiceState struct {
	Choice   string
	OptedOut bool
	Since    *time.Time // when it last changed; nil: never made
	Source   string
	Request  *Request // the request passing on the opt-out in force
	// GPCOverridden: the person opted back in while their browser sent
	// the GPC signal, so the signal no longer opts them out (11 CCR
	// §7025(c)(3): the person may confirm a choice that conflicts with it).
	GPCOverridden bool
}

// State returns every choice of s, in ChoiceRights order.
func (cs *Choices) State(ctx context.Context, s Subject) ([]ChoiceState, error) {
	db := cs.c.read(ctx)
	var prefs []Preference
	if err := db.Where("id_kind = ? AND identifier = ?", s.Kind, s.Value).Find(&prefs).Error; err != nil {
		return nil, err
	}
	var out []ChoiceState
	for _, r := range ChoiceRights {
		st := ChoiceState{Choice: string(r)}
		for _, p := range prefs {
			if p.Choice != string(r) || p.Seq == 0 {
				continue
			}
			at := p.UpdatedAt
			st.OptedOut, st.Since, st.Source = p.OptedOut, &at, p.Source
			if p.OptedOut && p.RequestID != nil {
				var req Request
				if err := db.Where("id = ?", *p.RequestID).Take(&req).Error; err != nil {
					return nil, err
				}
				st.Request = &req
			}
			if !p.OptedOut {
				var last PreferenceChange
				if err := db.Where("preference_id = ? AND seq = ?", p.ID, p.Seq).Take(&last).Error; err != nil {
					return nil, err
				}
				st.GPCOverridden = last.GPC
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// HistoryItem is one past change, for the person's own view.
type HistoryItem struct {
	Choice   string
	OptedOut bool
	Source   string
	GPC      bool
	At       time.Time
}

// MaxHistory bounds the changes the preference centre lists.
const MaxHistory = 100

// History lists the changes of s's choices, newest first.
func (cs *Choices) History(ctx context.Context, s Subject) ([]HistoryItem, error) {
	var out []HistoryItem
	err := cs.c.read(ctx).Table("preference_changes").
		Select("preferences.choice, preference_changes.opted_out, preference_changes.source, preference_changes.gpc, preference_changes.created_at AS at").
		Joins("JOIN preferences ON preferences.id = preference_changes.preference_id").
		Where("preferences.id_kind = ? AND preferences.identifier = ?", s.Kind, s.Value).
		Order("preference_changes.seq DESC").Limit(MaxHistory).Scan(&out).Error
	return out, err
}

// HonourGPC records, for a person who identified themselves from a
// browser sending the Global Privacy Control signal, the opt-out of sale
// and sharing the signal stands for (11 CCR §7025(c)): nothing more is
// asked. It does nothing when the opt-out is in force, or when the person
// last opted back in with the signal on (they chose against it). It
// reports whether it recorded the opt-out.
func (cs *Choices) HonourGPC(ctx context.Context, s Subject, lang string, actor Actor) (bool, error) {
	states, err := cs.State(ctx, s)
	if err != nil {
		return false, err
	}
	if sale := states[0]; sale.OptedOut || sale.GPCOverridden {
		return false, nil
	}
	res, err := cs.Set(ctx, ChoiceInput{Subject: s, Changes: []Change{{Choice: rules.RightOptOutSale, OptOut: true, Source: SourceGPC}},
		GPC: true, Lang: lang}, actor)
	return err == nil && len(res.Changed) > 0, err
}

// ChoiceOf returns the change that opened request id, when it is a
// choice's request, and the preference it changed.
func (cs *Choices) ChoiceOf(ctx context.Context, requestID int64) (*Preference, *PreferenceChange, error) {
	db := cs.c.read(ctx)
	var ch PreferenceChange
	err := db.Where("request_id = ? AND opted_out = ?", requestID, true).Order("seq").Take(&ch).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var p Preference
	if err := db.Where("id = ?", ch.PreferenceID).Take(&p).Error; err != nil {
		return nil, nil, err
	}
	return &p, &ch, nil
}

// SignalInput is the Global Privacy Control signal as the organization's
// website passes it on, with the site's own ids of the visitor.
type SignalInput struct {
	Visitor  string
	Customer string
	Lang     string
}

// Signal records the opt-out of sale and sharing the signal stands for,
// for each id given (at least one).
func (cs *Choices) Signal(ctx context.Context, in SignalInput, actor Actor) (changed int, err error) {
	var subjects []Subject
	v := &ValidationError{}
	for _, id := range []struct{ kind, value string }{{IDVisitor, in.Visitor}, {IDCustomer, in.Customer}} {
		if id.value == "" {
			continue
		}
		s, err := ParseSubject(id.kind, id.value)
		var ve *ValidationError
		if errors.As(err, &ve) {
			for f, k := range ve.Fields {
				v.Add(f, k)
			}
			continue
		}
		subjects = append(subjects, s)
	}
	if len(subjects) == 0 && len(v.Fields) == 0 {
		v.Add("visitor_id", "error.identifier.required")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	for _, s := range subjects {
		res, err := cs.Set(ctx, ChoiceInput{Subject: s, Changes: []Change{{Choice: rules.RightOptOutSale, OptOut: true, Source: SourceSiteGPC}},
			GPC: true, Channel: ChannelWebsite, Lang: in.Lang}, actor)
		if err != nil {
			return changed, err
		}
		changed += len(res.Changed)
	}
	return changed, nil
}

// One-click unsubscribe (RFC 8058). The organization's mail system names
// https://<portal>/choices/unsubscribe/<token> in List-Unsubscribe, where
//
//	payload = base64url(kind ":" identifier)           (no padding)
//	token   = payload "." base64url(HMAC-SHA256(key, "unsubscribe." payload))
//
// so it builds each recipient's token from a key it shares with the portal,
// without calling it (docs/privacy-choices.md). The signature makes tokens
// unforgeable; a token is a recipient's for good, and posting it again
// records nothing new.

// OneClickKinds are the identifier kinds a one-click token may carry.
var OneClickKinds = []string{IDCustomer, IDEmail, IDPhone}

// OneClickToken is the one-click unsubscribe token of s under key.
func OneClickToken(key []byte, s Subject) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(s.Kind + ":" + s.Value))
	return payload + "." + oneClickSignature(key, payload)
}

func oneClickSignature(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("unsubscribe." + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// OneClickEnabled reports whether one-click tokens can be verified (a key
// is configured).
func (cs *Choices) OneClickEnabled() bool { return len(cs.oneClick) > 0 }

// OneClickSubject verifies a one-click token and returns whom it is for.
// A token not signed with a configured key, or holding anything but an
// identifier of a one-click kind, is ErrOneClickInvalid.
func (cs *Choices) OneClickSubject(token string) (Subject, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1024 || len(cs.oneClick) == 0 {
		return Subject{}, ErrOneClickInvalid
	}
	valid := false
	for _, key := range cs.oneClick {
		if hmac.Equal([]byte(oneClickSignature(key, payload)), []byte(sig)) {
			valid = true
		}
	}
	if !valid {
		return Subject{}, ErrOneClickInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Subject{}, ErrOneClickInvalid
	}
	kind, value, _ := strings.Cut(string(raw), ":")
	if !contains(OneClickKinds, kind) {
		return Subject{}, ErrOneClickInvalid
	}
	s, err := ParseSubject(kind, value)
	if err != nil {
		return Subject{}, ErrOneClickInvalid
	}
	return s, nil
}

// OneClick records the unsubscribe a one-click token stands for.
func (cs *Choices) OneClick(ctx context.Context, token string, actor Actor) (*ChoiceResult, error) {
	s, err := cs.OneClickSubject(token)
	if err != nil {
		return nil, err
	}
	return cs.Set(ctx, ChoiceInput{Subject: s, Changes: []Change{{Choice: rules.RightUnsubscribe, OptOut: true, Source: SourceOneClick}},
		Channel: ChannelOneClick}, actor)
}

// OptOutFilter selects from the opt-out list.
type OptOutFilter struct {
	Since  int64  // preferences whose last change is numbered after Since
	Until  int64  // and at most Until; 0 = no bound
	Choice string // one choice; "" = all
	Limit  int    // page size, 1–5000 (default 1000)
}

// OptOutPage is one page of the opt-out list.
type OptOutPage struct {
	Items []Preference
	Next  int64 // the cursor to pass as Since next time (Since itself when the page is empty)
	More  bool  // more changes follow at once
}

// MaxOptOutPage bounds a page of the opt-out list.
const MaxOptOutPage = 5000

// OptOuts lists preferences changed after f.Since, in change order, each
// as it stands now (opted out, or opted back in): a reader that keeps the
// last Next sees every change, compacted to the latest per preference.
// From Since 0 it is the whole list.
func (cs *Choices) OptOuts(ctx context.Context, f OptOutFilter) (*OptOutPage, error) {
	if f.Limit <= 0 || f.Limit > MaxOptOutPage {
		f.Limit = 1000
	}
	if f.Choice != "" && !IsChoice(f.Choice) {
		return nil, invalid("choice", "error.choice.required")
	}
	q := cs.c.read(ctx).Where("seq > ?", max(f.Since, 0))
	if f.Until > 0 {
		q = q.Where("seq <= ?", f.Until)
	}
	if f.Choice != "" {
		q = q.Where("choice = ?", f.Choice)
	}
	var items []Preference
	if err := q.Order("seq").Limit(f.Limit + 1).Find(&items).Error; err != nil {
		return nil, err
	}
	page := &OptOutPage{Items: items, Next: max(f.Since, 0)}
	if len(items) > f.Limit {
		page.Items, page.More = items[:f.Limit], true
	}
	if n := len(page.Items); n > 0 {
		page.Next = page.Items[n-1].Seq
	}
	return page, nil
}

// LastChange is the number of the last committed change: every change up
// to it is visible (changes commit in number order).
func (cs *Choices) LastChange(ctx context.Context) (int64, error) {
	var n int64
	err := cs.c.read(ctx).Raw("SELECT n FROM preference_sequence WHERE id = 1").Scan(&n).Error
	return n, err
}
