package web_test

import (
	"bytes"
	"compress/zlib"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// pdfText is the text a PDF's page streams draw: each Flate stream
// inflated, and the strings of its text operators, in order.
func pdfText(t *testing.T, doc []byte) string {
	t.Helper()
	var out strings.Builder
	for _, m := range regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`).FindAllSubmatch(doc, -1) {
		data := m[1]
		if z, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			if d, err := io.ReadAll(z); err == nil {
				data = d
			}
		}
		for _, s := range regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`).FindAllSubmatch(data, -1) {
			out.WriteString(strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(string(s[1])))
			out.WriteString("\n")
		}
	}
	return out.String()
}

// The designation the portal hands out is filled in: the person's name
// (in the fields and on the signature line), the agent's organization,
// contact and registration number, and each right chosen, in words.
func TestAgentDesignationContent(t *testing.T) {
	h := newHarness(t, "sqlite")
	ag := h.agent("designation-agent@example.org")
	form := filing("designation-person@example.org")
	_, fields := ag.fileSteps(form)
	fields.Set("_csrf", ag.csrf)
	res := ag.post("/agent/file/designation", fields)
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("designation: %d %s", res.status, res.header.Get("Content-Type"))
	}
	if !strings.Contains(res.header.Get("Cache-Control"), "no-store") {
		t.Fatalf("designation cached: %q", res.header.Get("Cache-Control"))
	}
	text := pdfText(t, []byte(res.body))
	for _, want := range []string{"Authorized agent designation", "Jordan Person", "designation-person@example.org",
		"Helpful Agents Inc.", "designation-agent@example.org", "C1234567", "See your information", "Delete your information"} {
		if !strings.Contains(text, want) {
			t.Errorf("the designation does not say %q:\n%s", want, text)
		}
	}
	for _, not := range []string{"Correct your information", "Stop selling"} {
		if strings.Contains(text, not) {
			t.Errorf("the designation names a right not chosen, %q", not)
		}
	}
}
