package mail

// Template names: what the outbox stores in Message.Template and the
// renderer (templates/email) switches on. Named here only, since both sides
// import this package; they are stored in the database, so a name never
// changes once released.
const (
	TemplateVerifyEmail     = "verify_email"
	TemplateReceived        = "received" // a request that needs no email verification
	TemplateAcknowledgement = "acknowledgement"
	TemplateTrackingLink    = "tracking_link"
	TemplateStatusChanged   = "status_changed"
	TemplateMessage         = "message"
	TemplateExtended        = "extended"
	TemplateStaffDigest     = "staff_digest"
	TemplateStaffInvite     = "staff_invite"
	TemplatePasswordReset   = "password_reset"
)

// Templates lists every template name, so a test can render each one.
func Templates() []string {
	return []string{TemplateVerifyEmail, TemplateReceived, TemplateAcknowledgement, TemplateTrackingLink,
		TemplateStatusChanged, TemplateMessage, TemplateExtended, TemplateStaffDigest, TemplateStaffInvite, TemplatePasswordReset}
}
