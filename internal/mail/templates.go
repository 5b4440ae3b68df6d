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
	// Authorized agents.
	TemplateAgentVerify      = "agent_verify"      // to an agent: confirm your e-mail address
	TemplateAgentDecided     = "agent_decided"     // to an agent: staff approved or rejected the account
	TemplateAgentFiled       = "agent_filed"       // to an agent: the requests filed for a person were received
	TemplateAgentConfirm     = "agent_confirm"     // to the person: did you ask this agent? (Extra["reminder"] = "1" on reminders)
	TemplateAuthorityDecided = "authority_decided" // to agent and person: staff accepted or rejected the agent's authority
	TemplateStaffFraudAlert  = "staff_fraud_alert" // to staff: the person says they did not authorize the agent
	// TemplateInformationRequested: staff asked the person something and
	// the clock stopped until they answer.
	TemplateInformationRequested = "information_requested"
	// TemplateComplaintReceived acknowledges a complaint.
	TemplateComplaintReceived = "complaint_received"
	TemplateChoiceRecorded    = "choice_recorded" // a privacy choice made on the choices page
	TemplatePreferenceLink    = "preference_link" // the link to the preference centre
	// Identity verification.
	TemplateIdentityOutcome     = "identity_outcome"      // to the person: verified, answered as categories, or passed to staff (Status)
	TemplateStaffIdentityReview = "staff_identity_review" // to staff: a person's answers need review (Reason: attempts)
	TemplateStaffLookupDown     = "staff_lookup_down"     // to staff: the records lookup endpoint stopped answering
	// Fulfilment: a copy of the person's data is ready on their tracking
	// page (Until: the last day to download it), and the code to download it.
	TemplatePackageReady = "package_ready"
	TemplatePackageCode  = "package_code"
	// TemplateStaffAssigned: to staff, a request was assigned to them
	// (Reference and URL only; Extra["kind"] for an appeal or complaint).
	TemplateStaffAssigned = "staff_assigned"
)

// Templates lists every template name, so a test can render each one.
func Templates() []string {
	return []string{TemplateVerifyEmail, TemplateReceived, TemplateAcknowledgement, TemplateTrackingLink,
		TemplateStatusChanged, TemplateMessage, TemplateExtended, TemplateStaffDigest, TemplateStaffInvite, TemplatePasswordReset,
		TemplateAgentVerify, TemplateAgentDecided, TemplateAgentFiled, TemplateAgentConfirm, TemplateAuthorityDecided,
		TemplateStaffFraudAlert,
		TemplateInformationRequested, TemplateComplaintReceived,
		TemplateChoiceRecorded, TemplatePreferenceLink,
		TemplateIdentityOutcome, TemplateStaffIdentityReview, TemplateStaffLookupDown,
		TemplatePackageReady, TemplatePackageCode, TemplateStaffAssigned}
}
