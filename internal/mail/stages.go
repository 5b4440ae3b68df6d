package mail

import (
	"regexp"
	"strings"
)

// Stages of a request whose mail the organization may reword (per right
// and language, in the admin); the defaults stay in the message catalog.
const (
	StageAcknowledgement = "acknowledgement"
	StageVerification    = "verification"
	StageExtension       = "extension"
	StageCompletion      = "completion"
	StageDenial          = "denial"
	StageMessage         = "message"
)

// Stages lists the editable stages in the order a request meets them.
var Stages = []string{StageAcknowledgement, StageVerification, StageExtension, StageCompletion, StageDenial, StageMessage}

// StageOf says which editable stage a queued message is, and for which
// right ("" when it names none, or several); ok is false for mail no
// stage covers.
func StageOf(template string, d Data) (stage, right string, ok bool) {
	right = d.Right
	if right == "" && len(d.Rights) == 1 {
		right = d.Rights[0]
	}
	if d.Extra["kind"] != "" || d.Extra["appeal"] != "" {
		return "", "", false // appeals and complaints keep their own wording
	}
	switch template {
	case TemplateAcknowledgement:
		return StageAcknowledgement, right, true
	case TemplateVerifyEmail:
		return StageVerification, right, true
	case TemplateExtended:
		return StageExtension, right, true
	case TemplateMessage:
		return StageMessage, right, true
	case TemplateStatusChanged:
		switch d.Status {
		case "completed":
			return StageCompletion, right, true
		case "denied":
			return StageDenial, right, true
		}
	}
	return "", "", false
}

// Placeholders an edited text may use: {name} the person's name, {org}
// the organization, {reference} the request's reference, {right} what was
// asked, {status} the new status, {due_date} the deadline.
var Placeholders = []string{"name", "org", "reference", "right", "status", "due_date"}

// SubjectPlaceholders are those a subject may use: never personal data
// in a subject line.
var SubjectPlaceholders = []string{"org"}

var placeholderRe = regexp.MustCompile(`\{([a-z_]+)\}`)

// PlaceholdersIn lists the placeholders s uses, in order, each once.
func PlaceholdersIn(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// Fill replaces each placeholder of s by its value; values are text, never
// markup (the HTML part escapes them).
func Fill(s string, values map[string]string) string {
	return placeholderRe.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := values[strings.Trim(m, "{}")]; ok {
			return v
		}
		return m
	})
}
