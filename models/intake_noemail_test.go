package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rightsdesk/rightsdesk/models"
)

// Staff intake by post or phone may leave the e-mail empty, and then needs
// the address to write to or the number to call; every other channel needs
// the e-mail. A person with no e-mail is never mailed, and a run of such
// letters is not throttled as mail to one (empty) address.
func TestIntakeWithoutEmail(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		for _, tc := range []struct {
			name, channel, email, phone, address string
			field                                string // the field in error, "" for none
		}{
			{"post, address only", "mail", "", "", "1 High Street, Leeds", ""},
			{"post, nothing", "mail", "", "", "", "address"},
			{"post, phone only", "mail", "", "0113 496 0000", "", "address"},
			{"phone, number only", "phone", "", "0113 496 0000", "", ""},
			{"phone, nothing", "phone", "", "", "1 High Street", "phone"},
			{"email intake", "email", "", "0113 496 0000", "1 High Street", "email"},
			{"in person", "in_person", "", "0113 496 0000", "1 High Street", "email"},
			{"web form", "", "", "0113 496 0000", "1 High Street", "email"},
			{"post with an e-mail", "mail", "sam@example.org", "", "", ""},
		} {
			in := input(tc.email, "access")
			in.Channel, in.Phone, in.Address = tc.channel, tc.phone, tc.address
			err := s.subs.Validate(&in)
			var v *models.ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("%s: %v", tc.name, err)
			case tc.field != "" && (!errors.As(err, &v) || v.Fields[tc.field] == ""):
				t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
			case tc.field != "" && len(v.Fields) != 1:
				t.Errorf("%s: errors %v, want only %s", tc.name, v.Fields, tc.field)
			}
		}
		for i := range 15 {
			in := input("", "access", "delete")
			in.Country, in.Region = "US", "CA" // where an acknowledgement is due (11 CCR §7021)
			in.Channel, in.Address = "mail", "1 High Street, Leeds"
			res, err := s.subs.Submit(ctx, in, models.SystemActor)
			if err != nil {
				t.Fatalf("letter %d: %v", i, err)
			}
			if !res.Submission.NoEmail() || res.Submission.Address != "1 High Street, Leeds" {
				t.Fatalf("letter %d: %+v", i, res.Submission)
			}
		}
		var mails, codes, noEmail, acked, ackDue int64
		s.db.Table("requests").Where("ack_due_at IS NOT NULL").Count(&ackDue)
		s.db.Table("outbox").Count(&mails)
		s.db.Table("email_verifications").Count(&codes)
		s.db.Table("events").Where("kind = ? AND body = ?", models.EventNoEmail, "mail").Count(&noEmail)
		s.db.Table("requests").Where("acknowledged_at IS NOT NULL").Count(&acked)
		if mails != 0 || codes != 0 || noEmail != 30 || acked != 0 || ackDue != 30 {
			t.Fatalf("outbox %d, codes %d, no-e-mail events %d, acknowledged %d of %d due", mails, codes, noEmail, acked, ackDue)
		}
	})
}
