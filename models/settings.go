package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// OrgSettings is how the organization presents itself and runs its
// clocks. Every save is a new version, kept with who saved it and when;
// the environment variables only give the first version.
type OrgSettings struct {
	Name           string   `json:"name"`
	PolicyURL      string   `json:"policy_url"`
	ContactEmail   string   `json:"contact_email"`
	ContactAddress string   `json:"contact_address"`
	ContactPhone   string   `json:"contact_phone"`
	QuebecTitle    string   `json:"quebec_title"`   // the person in charge of personal information (Law 25 s.3.2)
	QuebecContact  string   `json:"quebec_contact"` // their own address, when not the privacy team's
	TimeZone       string   `json:"time_zone"`
	Calendar       string   `json:"calendar"`      // holidays of the clocks no statute sets (rules.Calendars)
	ResponseDays   int      `json:"response_days"` // where no listed law applies
	ExtensionDays  int      `json:"extension_days"`
	OtherRights    []string `json:"other_rights"` // rights offered where no listed law applies
	BrandColor     string   `json:"brand_color"`  // #rrggbb, behind white text
	LogoID         int64    `json:"logo_id"`      // a document of OwnerLogo; 0 = the built-in mark
}

// SettingsVersion is one saved version of the settings.
type SettingsVersion struct {
	ID        int64
	Version   int
	Data      string
	StaffID   *int64
	Changed   string // the fields this version changed, for the history
	CreatedAt time.Time
}

func (SettingsVersion) TableName() string { return "settings_versions" }

// ErrSettingsChanged: someone else saved the settings since the form was
// loaded; nothing was overwritten.
var ErrSettingsChanged = &Error{Kind: KindConflict, Key: "error.settings.changed"}

// Settings is the aggregate of the organization's settings. The current
// version is held in memory, applied to the rules engine, and reloaded
// when another instance saves a newer one.
type Settings struct {
	c        *Core
	defaults OrgSettings
	cur      atomic.Pointer[CurrentSettings]
}

// CurrentSettings is the settings in force.
type CurrentSettings struct {
	OrgSettings
	Version  int
	Location *time.Location
}

// NewSettings returns the settings aggregate; defaults are what the
// environment says, used until someone saves a version.
func NewSettings(c *Core, defaults OrgSettings) *Settings {
	s := &Settings{c: c, defaults: defaults}
	loc, err := time.LoadLocation(defaults.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	s.cur.Store(&CurrentSettings{OrgSettings: defaults, Location: loc})
	return s
}

// Current is the settings in force now.
func (s *Settings) Current() *CurrentSettings { return s.cur.Load() }

// Load reads the newest version, when newer than the one in force, and
// applies it. Instances call it at start and every little while.
func (s *Settings) Load(ctx context.Context) error {
	var v SettingsVersion
	err := s.c.read(ctx).Order("version DESC").Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return s.apply(s.defaults, 0)
	}
	if err != nil {
		return err
	}
	if v.Version <= s.Current().Version {
		return nil
	}
	var o OrgSettings
	if err := json.Unmarshal([]byte(v.Data), &o); err != nil {
		return fmt.Errorf("settings version %d: %w", v.Version, err)
	}
	return s.apply(o, v.Version)
}

// apply makes o the settings in force: the rules engine gets its time
// zone, calendar and policy clocks.
func (s *Settings) apply(o OrgSettings, version int) error {
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return err
	}
	var rights []rules.Right
	for _, r := range o.OtherRights {
		rights = append(rights, rules.Right(r))
	}
	opts := rules.Options{Location: loc, Calendar: o.Calendar,
		Policy:          &rules.Period{N: o.ResponseDays, Kind: rules.CalendarDays, Source: "organization policy"},
		PolicyExtension: &rules.Period{N: o.ExtensionDays, Kind: rules.CalendarDays, Source: "organization policy"},
		OtherRights:     rights}
	if err := s.c.Rules.Reconfigure(opts); err != nil {
		return err
	}
	s.cur.Store(&CurrentSettings{OrgSettings: o, Version: version, Location: loc})
	return nil
}

// Run reloads the settings every interval, so that a save on another
// instance takes effect here too.
func (s *Settings) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Load(ctx); err != nil && ctx.Err() == nil && !Unavailable(err) {
				log.Error("settings reload", "err", err)
			}
		}
	}
}

// validate checks o and cleans it.
func (o *OrgSettings) validate() error {
	v := &ValidationError{}
	o.Name = text(v, "name", o.Name, OneLine, true, MaxName)
	o.PolicyURL = text(v, "policy_url", o.PolicyURL, OneLine, false, 500)
	if o.PolicyURL != "" {
		if u, err := url.Parse(o.PolicyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.Add("policy_url", "error.url.invalid")
		}
	}
	o.ContactEmail = strings.ToLower(text(v, "contact_email", o.ContactEmail, OneLine, true, MaxEmail))
	if _, bad := v.Fields["contact_email"]; !bad && !ValidEmail(o.ContactEmail) {
		v.Add("contact_email", "error.email.invalid")
	}
	o.ContactAddress = text(v, "contact_address", o.ContactAddress, OneLine, false, 500)
	o.ContactPhone = text(v, "contact_phone", o.ContactPhone, OneLine, false, MaxPhone)
	if _, bad := v.Fields["contact_phone"]; !bad && o.ContactPhone != "" && !validPhone(o.ContactPhone) {
		v.Add("contact_phone", "error.phone.invalid")
	}
	o.QuebecTitle = text(v, "quebec_title", o.QuebecTitle, OneLine, false, MaxName)
	o.QuebecContact = text(v, "quebec_contact", o.QuebecContact, OneLine, false, 500)
	if _, err := time.LoadLocation(o.TimeZone); err != nil || o.TimeZone == "" || o.TimeZone == "Local" {
		v.Add("time_zone", "error.time_zone.invalid")
	}
	if !slices.Contains(rules.Calendars(), o.Calendar) {
		v.Add("calendar", "error.calendar.invalid")
	}
	if o.ResponseDays < 1 || o.ResponseDays > 90 {
		v.Add("response_days", "error.days.response")
	}
	if o.ExtensionDays < 0 || o.ExtensionDays > 90 {
		v.Add("extension_days", "error.days.extension")
	}
	var rights []string
	for _, r := range rules.AllRights {
		if slices.Contains(o.OtherRights, string(r)) {
			rights = append(rights, string(r))
		}
	}
	if len(rights) == 0 {
		v.Add("other_rights", "error.other_rights.required")
	}
	o.OtherRights = rights
	o.BrandColor = strings.ToLower(strings.TrimSpace(o.BrandColor))
	if c, ok := parseColor(o.BrandColor); !ok {
		v.Add("brand_color", "error.color.invalid")
	} else if contrast(c, [3]float64{1, 1, 1}) < 4.5 {
		// White text sits on it (header, buttons): WCAG 1.4.3.
		v.Add("brand_color", "error.color.contrast")
	}
	return v.Err()
}

func parseColor(s string) ([3]float64, bool) {
	if len(s) != 7 || s[0] != '#' {
		return [3]float64{}, false
	}
	var c [3]float64
	for i := range 3 {
		n, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return c, false
		}
		c[i] = float64(n) / 255
	}
	return c, true
}

// contrast is the WCAG contrast ratio of two sRGB colours.
func contrast(a, b [3]float64) float64 {
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for i, x := range c {
			if x <= 0.03928 {
				l[i] = x / 12.92
			} else {
				l[i] = math.Pow((x+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// Save records in as a new version on top of base (the version the form
// was loaded with) and applies it. Two saves on the same base cannot both
// win: the version number is unique, and the loser is ErrSettingsChanged.
func (s *Settings) Save(ctx context.Context, in OrgSettings, base int, actor Actor) error {
	if err := in.validate(); err != nil {
		return err
	}
	prev := s.Current().OrgSettings
	if base != s.Current().Version {
		if err := s.Load(ctx); err != nil {
			return err
		}
		if base != s.Current().Version {
			return ErrSettingsChanged
		}
		prev = s.Current().OrgSettings
	}
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	changed := changedFields(prev, in)
	err = s.c.write(ctx, func(tx *tx) error {
		var latest int
		if err := tx.Model(&SettingsVersion{}).Select("COALESCE(MAX(version), 0)").Scan(&latest).Error; err != nil {
			return err
		}
		if latest != base {
			return ErrSettingsChanged
		}
		v := &SettingsVersion{Version: base + 1, Data: string(data), StaffID: actor.StaffID, Changed: strings.Join(changed, ","), CreatedAt: now()}
		if err := tx.Create(v).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrSettingsChanged
			}
			return err
		}
		return tx.audit(actor, "settings.save", "settings", int64(v.Version), strings.Join(changed, ","))
	})
	if err != nil {
		return err
	}
	return s.Load(ctx)
}

// changedFields names the settings that differ between two versions.
func changedFields(a, b OrgSettings) []string {
	var ja, jb map[string]any
	ba, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	_ = json.Unmarshal(ba, &ja)
	_ = json.Unmarshal(bb, &jb)
	var out []string
	for k, v := range jb {
		if fmt.Sprint(ja[k]) != fmt.Sprint(v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// SettingsChange is one version in the history.
type SettingsChange struct {
	Version   int
	At        time.Time
	StaffName string
	Changed   []string
}

// History lists the saved versions, newest first.
func (s *Settings) History(ctx context.Context, limit int) ([]SettingsChange, error) {
	var rows []struct {
		Version   int
		CreatedAt time.Time
		Name      *string
		Changed   string
	}
	err := s.c.read(ctx).Table("settings_versions").
		Select("settings_versions.version, settings_versions.created_at, staff.name, settings_versions.changed").
		Joins("LEFT JOIN staff ON staff.id = settings_versions.staff_id").
		Order("settings_versions.version DESC").Limit(limit).Scan(&rows).Error
	var out []SettingsChange
	for _, r := range rows {
		ch := SettingsChange{Version: r.Version, At: r.CreatedAt.UTC()}
		if r.Name != nil {
			ch.StaffName = *r.Name
		}
		if r.Changed != "" {
			ch.Changed = strings.Split(r.Changed, ",")
		}
		out = append(out, ch)
	}
	return out, err
}

// OwnerLogo documents are the organization's logo: public, shown on every page.
const OwnerLogo = "logo"

// MaxLogo bounds a logo file.
const MaxLogo = 512 << 10

// Logo refusals: a logo is a PNG or JPEG image of MaxLogo at most (as
// stored, after it is encoded again).
var (
	ErrLogoType = &Error{Kind: KindInvalid, Key: "error.logo.type", Field: "logo"}
	ErrLogoSize = &Error{Kind: KindInvalid, Key: "error.logo.size", Field: "logo"}
)

// PutLogo stores an uploaded logo (checked, re-encoded without metadata
// and encrypted like every upload) and returns its document id; the
// settings name it once saved.
func (d *Documents) PutLogo(ctx context.Context, r io.Reader, actor Actor) (int64, error) {
	st, err := d.put(ctx, "logo", r)
	if err != nil {
		var de *Error
		if errors.As(err, &de) {
			de.Field = "logo"
		}
		return 0, err
	}
	switch {
	case st.ContentType != "image/png" && st.ContentType != "image/jpeg":
		d.discard(ctx, st)
		return 0, ErrLogoType
	case st.Size > MaxLogo:
		d.discard(ctx, st)
		return 0, ErrLogoSize
	}
	var doc *Document
	err = d.c.write(ctx, func(tx *tx) error {
		var err error
		doc, err = tx.insertDocument(st, OwnerLogo, 0, actor, "logo")
		return err
	})
	if err != nil {
		d.discard(ctx, st)
		return 0, err
	}
	return doc.ID, nil
}

// OpenLogo returns the logo document id names, for anyone (a logo is
// public); any other document is ErrNotFound.
func (d *Documents) OpenLogo(ctx context.Context, id int64) (*Document, io.ReadCloser, error) {
	var doc Document
	err := d.c.read(ctx).Where("id = ? AND owner_kind = ? AND erased_at IS NULL", id, OwnerLogo).Take(&doc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	r, err := d.store.Open(ctx, doc.BlobKey)
	if err != nil {
		return nil, nil, ErrNotFound
	}
	return &doc, r, nil
}
