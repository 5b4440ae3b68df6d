package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
)

func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{20, 120, 200, 255})
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, nil); err != nil {
		t.Fatal(err)
	}
	exif := []byte("Exif\x00\x00MM\x00*GPSLatitude 37.7749 N GPSLongitude 122.4194 W")
	seg := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	b := plain.Bytes()
	return append(append(append([]byte{}, b[:2]...), seg...), b[2:]...)
}

// files lists what a storage directory holds.
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Every upload rule, through the router: what is refused is refused with
// a message next to the file field and leaves no row and no file; an image
// is stored without its metadata.
func TestUploadRules(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			store := t.TempDir()
			h := newHarnessWith(t, harnessOptions{dialect: d, env: map[string]string{
				"RIGHTSDESK_UPLOAD_MAX_MB": "1", "RIGHTSDESK_STORAGE_URL": "file://" + store}})
			ag := h.agent("uploads@example.org")
			elf := append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{0}, 300)...)
			doc := signedPDF("")
			big := append(append(append([]byte{}, doc[:len(doc)-6]...), bytes.Repeat([]byte("%pad\n"), 300_000)...), []byte("%%EOF\n")...)
			for _, c := range []struct {
				name, file string
				content    []byte
				message    string
			}{
				{"pdf with javascript", "designation.pdf", signedPDF("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "contains scripts"},
				{"pdf with a launch action", "designation.pdf", signedPDF("/OpenAction << /S /Launch /F (calc.exe) >>"), "contains scripts"},
				{"renamed executable", "designation.pdf", elf, "must be a PDF, PNG or JPEG"},
				{"oversized", "designation.pdf", big, "larger than 1 MB"},
				{"truncated pdf", "designation.pdf", doc[:70], "incomplete"},
				{"no file", "", nil, "Choose the signed document"},
			} {
				_, fields := ag.fileSteps(filing("uploads-person@example.org"))
				res := ag.upload("/agent/file", fields, c.file, c.content)
				if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text("#f-document-error"), c.message) {
					t.Errorf("%s: %d %q", c.name, res.status, res.text("#f-document-error"))
				}
				if res.doc.Find(`form[enctype] input[name="name"][value="Jordan Person"]`).Length() != 1 {
					t.Errorf("%s: the form lost the person's details", c.name)
				}
				if n := h.count("documents") + h.count("submissions"); n != 0 {
					t.Errorf("%s: %d rows written", c.name, n)
				}
				if left := storedFiles(t, store); len(left) != 0 {
					t.Errorf("%s: files left behind: %v", c.name, left)
				}
			}
			// An image with a GPS position is kept, without it.
			in := jpegWithGPS(t)
			page := ag.file(filing("gps-person@example.org"), "photo.jpg", in)
			if !strings.Contains(page.text("main"), "Image uploaded") {
				t.Fatalf("filing page: %s", page.text("main"))
			}
			var docs []models.Document
			h.app.Core.DB().Find(&docs)
			if len(docs) != 1 || docs[0].ContentType != "image/jpeg" || docs[0].KeyID != "v1" || docs[0].UploadedByKind != "agent" {
				t.Fatalf("documents: %+v", docs)
			}
			raw, _ := os.ReadFile(filepath.Join(store, filepath.FromSlash(docs[0].BlobKey)))
			if len(raw) == 0 || bytes.Contains(raw, []byte("JFIF")) {
				t.Fatal("not stored, or stored in the clear")
			}
			staff := h.staff()
			got := staff.get("/admin/documents/" + itoa(docs[0].ID) + "?download=1")
			if got.status != http.StatusOK || got.header.Get("Content-Type") != "image/jpeg" || bytes.Contains([]byte(got.body), []byte("GPS")) {
				t.Fatalf("download: %d %s, GPS kept: %v", got.status, got.header.Get("Content-Type"), bytes.Contains([]byte(got.body), []byte("GPS")))
			}
			if _, err := jpeg.Decode(strings.NewReader(got.body)); err != nil {
				t.Fatalf("not a JPEG: %v", err)
			}
			// A body far past the limit is refused before it is read.
			_, fields := ag.fileSteps(filing("huge@example.org"))
			if res := ag.upload("/agent/file", fields, "huge.pdf", bytes.Repeat([]byte("x"), 3<<20)); res.status != http.StatusRequestEntityTooLarge {
				t.Errorf("a 3 MB body: %d", res.status)
			}
			// The upload's CSRF token is checked as it streams.
			bad := url.Values{}
			for k, v := range fields {
				bad[k] = v
			}
			ag.csrf = "forged"
			if res := ag.upload("/agent/file", bad, "x.pdf", doc); res.status != http.StatusForbidden {
				t.Errorf("a forged token: %d", res.status)
			}
		})
	}
}

// When the storage fails in the middle of an upload (a disk that fills,
// for real), the agent is told to try again, and nothing is left: no row,
// no file.
func TestUploadStorageFails(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			disk := testenv.SmallDisk(t, 256<<10)
			h := newHarnessWith(t, harnessOptions{dialect: d, env: map[string]string{"RIGHTSDESK_STORAGE_URL": "file://" + disk}})
			ag := h.agent("full-disk@example.org")
			doc := signedPDF("")
			big := append(append(append([]byte{}, doc[:len(doc)-6]...), bytes.Repeat([]byte("%pad\n"), 200_000)...), []byte("%%EOF\n")...)
			_, fields := ag.fileSteps(filing("full-disk-person@example.org"))
			res := ag.upload("/agent/file", fields, "designation.pdf", big)
			if res.status != http.StatusServiceUnavailable || !strings.Contains(res.text("#f-document-error"), "could not store your file") {
				t.Fatalf("storage full: %d %q", res.status, res.text("#f-document-error"))
			}
			if n := h.count("documents") + h.count("submissions") + h.count("agent_filings"); n != 0 {
				t.Fatalf("%d rows written", n)
			}
			if left := storedFiles(t, disk); len(left) != 0 {
				t.Fatalf("files left behind: %v", left)
			}
			// With room again, the same upload works.
			_, fields = ag.fileSteps(filing("full-disk-person@example.org"))
			if res := ag.upload("/agent/file", fields, "designation.pdf", doc); res.status != http.StatusSeeOther {
				t.Fatalf("after: %d %s", res.status, res.text(".error-summary"))
			}
		})
	}
}
