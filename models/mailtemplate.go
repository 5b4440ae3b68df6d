package models

import (
	"context"
	"errors"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MailTemplate is the organization's own wording of the mail of one stage
// (acknowledgement, verification, extension, completion, denial, new
// message), for one right ("" = every right) and language: a subject and
// the opening of the body, with placeholders. What the law requires the
// mail to say (the code, the deadline's reason, the recourse, the link)
// is always added by the portal; without an edit, the catalog's wording
// is used.
type MailTemplate struct {
	ID        int64
	Stage     string
	Right     string `gorm:"column:right_code"`
	Lang      string
	Subject   string
	Body      string
	UpdatedBy *int64
	UpdatedAt time.Time
}

func (MailTemplate) TableName() string { return "mail_templates" }

// MailTemplates is the aggregate of edited mail.
type MailTemplates struct{ c *Core }

// NewMailTemplates returns the edited mail aggregate.
func NewMailTemplates(c *Core) *MailTemplates { return &MailTemplates{c: c} }

// Errors of an edited text.
var (
	ErrPlaceholder        = &Error{Kind: KindInvalid, Key: "error.placeholder.unknown", Field: "body"}
	ErrSubjectPlaceholder = &Error{Kind: KindInvalid, Key: "error.placeholder.subject", Field: "subject"}
	ErrDueDateMissing     = &Error{Kind: KindInvalid, Key: "error.placeholder.due_date", Field: "body"}
)

// Validate cleans an edited template: a known stage, right and language,
// a one-line subject with no personal data, a body with known placeholders
// (an extension's must give the new date).
func (mt *MailTemplates) Validate(t *MailTemplate) error {
	v := &ValidationError{}
	if !contains(mail.Stages, t.Stage) {
		v.Add("stage", "error.stage.required")
	}
	if t.Right != "" && !contains(rules.AllRights, rules.Right(t.Right)) {
		v.Add("right", "error.right.invalid")
	}
	if len(t.Lang) != 2 || t.Lang[0] < 'a' || t.Lang[0] > 'z' || t.Lang[1] < 'a' || t.Lang[1] > 'z' {
		v.Add("lang", "error.lang.required")
	}
	t.Subject = text(v, "subject", t.Subject, OneLine, true, 200)
	t.Body = text(v, "body", t.Body, MultiLine, true, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	for _, p := range mail.PlaceholdersIn(t.Subject) {
		if !contains(mail.SubjectPlaceholders, p) {
			return ErrSubjectPlaceholder.with("{" + p + "}")
		}
	}
	for _, p := range mail.PlaceholdersIn(t.Body) {
		if !contains(mail.Placeholders, p) {
			return ErrPlaceholder.with("{" + p + "}")
		}
	}
	if t.Stage == mail.StageExtension && !contains(mail.PlaceholdersIn(t.Body), "due_date") {
		return ErrDueDateMissing
	}
	return nil
}

// Save stores an edited template, replacing the one before.
func (mt *MailTemplates) Save(ctx context.Context, t MailTemplate, actor Actor) error {
	if err := mt.Validate(&t); err != nil {
		return err
	}
	c := mt.c
	return c.write(ctx, func(tx *tx) error {
		t.ID, t.UpdatedBy, t.UpdatedAt = 0, actor.StaffID, c.Now()
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "stage"}, {Name: "right_code"}, {Name: "lang"}},
			DoUpdates: clause.AssignmentColumns([]string{"subject", "body", "updated_by", "updated_at"})}).Create(&t).Error
		if err != nil {
			return err
		}
		return tx.audit(actor, "mail_template.save", "mail_template", 0, t.Stage+" "+t.Right+" "+t.Lang)
	})
}

// Reset removes an edit: the catalog's wording is used again.
func (mt *MailTemplates) Reset(ctx context.Context, stage, right, lang string, actor Actor) error {
	c := mt.c
	return c.write(ctx, func(tx *tx) error {
		res := tx.Where("stage = ? AND right_code = ? AND lang = ?", stage, right, lang).Delete(&MailTemplate{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.audit(actor, "mail_template.reset", "mail_template", 0, stage+" "+right+" "+lang)
	})
}

// List returns every edit, by stage, right and language.
func (mt *MailTemplates) List(ctx context.Context) ([]MailTemplate, error) {
	var out []MailTemplate
	err := mt.c.read(ctx).Order("stage, right_code, lang").Find(&out).Error
	return out, err
}

// Get returns one edit; nil when the catalog's wording is used.
func (mt *MailTemplates) Get(ctx context.Context, stage, right, lang string) (*MailTemplate, error) {
	var t MailTemplate
	err := mt.c.read(ctx).Where("stage = ? AND right_code = ? AND lang = ?", stage, right, lang).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Override is the edited wording the mail of stage should use for right
// in lang: the right's own, else the one for every right. The mail worker
// calls it as it renders; when the database cannot answer, the catalog's
// wording is used (and the failure logged).
func (mt *MailTemplates) Override(stage, right, lang string) (subject, body string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var list []MailTemplate
	err := mt.c.read(ctx).Where("stage = ? AND lang = ? AND right_code IN ?", stage, lang, []string{right, ""}).Find(&list).Error
	if err != nil {
		mt.c.logger().Error("edited mail could not be read; the default wording is used", "err", err)
		return "", "", false
	}
	var best *MailTemplate
	for i := range list {
		if list[i].Right == right || best == nil {
			best = &list[i]
		}
	}
	if best == nil {
		return "", "", false
	}
	return best.Subject, best.Body, true
}
