package pdf

import (
	"bytes"
	"context"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/blob"
)

// The designation is a plain PDF that the upload layer accepts as it is
// (the person may send the very file back, signed).
func TestDesignationIsAcceptedAsUpload(t *testing.T) {
	var b bytes.Buffer
	d := Designation{Title: "Authorized agent designation", Intro: "I, Zoë Müller, designate…", Fields: [][2]string{{"The person", "Zoë Müller"}},
		RightsLabel: "Requests:", Rights: []string{"See your information"}, Statement: "I confirm.", SignLines: []string{"Signature", "Date"}, Footer: "Keep a copy."}
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) || bytes.Contains(b.Bytes(), []byte("/EmbeddedFiles")) {
		t.Fatal("not a plain PDF")
	}
	s, err := blob.Open(context.Background(), "file://"+t.TempDir(), blob.Keys{Current: "v1", ByID: map[string][]byte{"v1": bytes.Repeat([]byte{1}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put(context.Background(), "t", bytes.NewReader(b.Bytes())); err != nil {
		t.Fatalf("the upload layer refuses the designation: %v", err)
	}
}
