package blob

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/adler32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testenv"
)

var testKeys = Keys{Current: "k1", ByID: map[string][]byte{"k1": bytes.Repeat([]byte{1}, 32)}}

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), "file://"+dir, testKeys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pdf builds a small PDF whose catalog holds extra.
func pdf(extra string) []byte {
	return []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + extra + " >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// pdfWithObjectStream hides body inside a Flate-compressed object stream.
func pdfWithObjectStream(body string) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(body))
	zw.Close()
	return []byte(fmt.Sprintf("%%PDF-1.7\n3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n"+
		"1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n", z.Len(), z.Bytes()))
}

// objectStream is a PDF with one object stream whose dictionary is dict
// and whose bytes are data, as they are.
func objectStream(dict string, data []byte) []byte {
	return []byte(fmt.Sprintf("%%PDF-1.7\n3 0 obj\n<< %s /Length %d >>\nstream\n%s\nendstream\nendobj\n"+
		"1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n", dict, len(data), data))
}

func deflate(s string) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(s))
	zw.Close()
	return z.Bytes()
}

// storedThenDeflated is a zlib stream whose first block is stored (its
// bytes as they are: "endstream" among them) and whose last is deflated
// JavaScript: a scanner that ends the stream at the first "endstream"
// never inflates the second block, where a reader following /Length does.
func storedThenDeflated(js string) []byte {
	stored := []byte("\nendstream\n")
	var out bytes.Buffer
	out.Write([]byte{0x78, 0x01}) // zlib header, no dictionary
	out.WriteByte(0)              // a stored block, not the last
	n := uint16(len(stored))
	out.Write([]byte{byte(n), byte(n >> 8), byte(^n), byte(^n >> 8)})
	out.Write(stored)
	fw, _ := flate.NewWriter(&out, flate.BestCompression)
	fw.Write([]byte(js))
	fw.Close() // the last block
	sum := adler32.Checksum(append(stored, js...))
	out.Write([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	return out.Bytes()
}

func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		img.Set(x, x%24, color.RGBA{200, 10, 10, 255})
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, nil); err != nil {
		t.Fatal(err)
	}
	// An APP1 Exif segment naming a GPS position, right after SOI.
	exif := []byte("Exif\x00\x00MM\x00*GPSLatitude 48.8584 N GPSLongitude 2.2945 E")
	seg := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	b := plain.Bytes()
	return append(append(append([]byte{}, b[:2]...), seg...), b[2:]...)
}

func pngImage(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 10, 10))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func read(t *testing.T, s *Store, key string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// files lists what the bucket directory holds.
func files(t *testing.T, dir string) []string {
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

func TestAcceptedFilesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	doc := pdf("")
	big := bytes.Repeat([]byte("0123456789"), 30_000) // several encryption segments
	withBig := append(append(append([]byte{}, doc[:len(doc)-6]...), big...), []byte("\n%%EOF\n")...)
	for name, in := range map[string][]byte{"pdf": doc, "pdf over several segments": withBig} {
		st, err := s.Put(context.Background(), "test", bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.ContentType != PDF || st.Size != int64(len(in)) || st.KeyID != "k1" {
			t.Fatalf("%s: %+v", name, st)
		}
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(st.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("/Catalog")) {
			t.Fatalf("%s: stored in the clear", name)
		}
		if got := read(t, s, st.Key); !bytes.Equal(got, in) {
			t.Fatalf("%s: %d bytes back, want %d", name, len(got), len(in))
		}
	}
	st, err := s.Put(context.Background(), "test", bytes.NewReader(pngImage(t)))
	if err != nil || st.ContentType != PNG {
		t.Fatalf("png: %v %+v", err, st)
	}
	if _, err := png.Decode(bytes.NewReader(read(t, s, st.Key))); err != nil {
		t.Fatalf("png back: %v", err)
	}
}

// Images are encoded again: their metadata, GPS positions included, is gone.
func TestImageMetadataDropped(t *testing.T) {
	s := open(t, t.TempDir())
	in := jpegWithGPS(t)
	if !bytes.Contains(in, []byte("GPSLatitude")) {
		t.Fatal("test image lacks its metadata")
	}
	st, err := s.Put(context.Background(), "id", bytes.NewReader(in))
	if err != nil || st.ContentType != JPEG {
		t.Fatalf("%v %+v", err, st)
	}
	out := read(t, s, st.Key)
	if bytes.Contains(out, []byte("GPS")) || bytes.Contains(out, []byte("Exif")) {
		t.Fatal("metadata survived")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("not a JPEG any more: %v", err)
	}
}

// Every refused file is refused for the right reason, and leaves nothing
// behind in the bucket.
func TestRefusedFiles(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.MaxSize = 64 << 10
	const js = "<< /S /JavaScript /JS (app.alert(1)) >>"
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{0}, 200)...)
	huge := append(pdf(""), bytes.Repeat([]byte(" "), 70<<10)...)
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"javascript", pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), ErrPDFActive},
		{"escaped name", pdf("/OpenAction << /S /J#61vaScript /JS (x) >>"), ErrPDFActive},
		{"launch action", pdf("/OpenAction << /S /Launch /F (calc.exe) >>"), ErrPDFActive},
		{"embedded file", pdf("/Names << /EmbeddedFiles 5 0 R >>"), ErrPDFActive},
		{"javascript in an object stream", pdfWithObjectStream("<< /S /JavaScript /JS (app.alert(1)) >>"), ErrPDFActive},
		{"javascript in an unfiltered object stream", objectStream("/Type /ObjStm /N 1 /First 4", []byte(js)), ErrPDFActive},
		{"a filter named before, not on the object stream", append([]byte("%PDF-1.7\n2 0 obj\n<< /Filter /FlateDecode >>\nendobj\n"),
			objectStream("/Type /ObjStm /N 1 /First 4", []byte(js))[9:]...), ErrPDFActive},
		{"javascript after the deflated data", objectStream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
			append(deflate("<< /Type /Font >>"), js...)), ErrPDFActive},
		{"encrypted", []byte(strings.Replace(string(pdf("")), "<< /Root 1 0 R >>", "<< /Root 1 0 R /Encrypt 4 0 R /ID [<01> <01>] >>", 1)), ErrPDFEncrypted},
		{"encrypted, the key escaped", []byte(strings.Replace(string(pdf("")), "<< /Root 1 0 R >>", "<< /Root 1 0 R /Encr#79pt 4 0 R >>", 1)), ErrPDFEncrypted},
		{"object stream in ASCII85 and Flate", objectStream("/Type /ObjStm /N 1 /First 4 /Filter [/ASCII85Decode /FlateDecode]", []byte("GhQ~>")), ErrPDFUnchecked},
		{"object stream in ASCIIHex", objectStream("/Type /ObjStm /N 1 /First 4 /Filter /ASCIIHexDecode", []byte(hex.EncodeToString([]byte(js))+">")), ErrPDFUnchecked},
		{"object stream in LZW", objectStream("/Type /ObjStm /N 1 /First 4 /Filter /LZWDecode", []byte{0x80, 0x0b, 0x60, 0x50}), ErrPDFUnchecked},
		{"object stream with a predictor", objectStream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>", deflate("x")), ErrPDFUnchecked},
		{"object stream with an indirect filter", objectStream("/Type /ObjStm /N 1 /First 4 /Filter 9 0 R", []byte("x")), ErrPDFUnchecked},
		{"object stream without its type", objectStream("/N 1 /First 4 /Filter /RunLengthDecode", []byte{0x80}), ErrPDFUnchecked},
		{"javascript deflated after a stored \"endstream\"", objectStream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
			storedThenDeflated(js)), ErrPDFUnchecked},
		{"truncated pdf", pdf("")[:60], ErrTruncated},
		{"renamed executable", elf, ErrType},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), ErrType},
		{"oversized", huge, ErrTooLarge},
		{"empty", nil, ErrEmpty},
		{"broken image", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...), ErrImage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Put(context.Background(), "test", bytes.NewReader(c.in))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if left := files(t, dir); len(left) != 0 {
				t.Fatalf("left behind: %v", left)
			}
		})
	}
	// Harmless object streams pass, and so do the streams of typical PDFs
	// whatever their filters: images, predictors on a cross-reference
	// stream, an outline (/First) before an image.
	image := "4 0 obj\n<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Filter [/ASCII85Decode /DCTDecode] /Length 3 >>\nstream\nabc\nendstream\nendobj\n"
	for name, in := range map[string][]byte{
		"flate object stream":      pdfWithObjectStream("<< /Type /Font /Subtype /Type1 >>"),
		"unfiltered object stream": objectStream("/Type /ObjStm /N 1 /First 4", []byte("<< /Type /Font /Subtype /Type1 >>")),
		"images and a cross-reference stream": []byte("%PDF-1.7\n" + image +
			"5 0 obj\n<< /Type /Outlines /First 6 0 R /Last 6 0 R /Count 1 >>\nendobj\n" + image +
			"7 0 obj\n<< /Type /XRef /Size 8 /W [1 2 1] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >> /Length 3 >>\nstream\nxyz\nendstream\nendobj\n" +
			"startxref\n0\n%%EOF\n"),
	} {
		if _, err := s.Put(context.Background(), "test", bytes.NewReader(in)); err != nil {
			t.Errorf("%s refused: %v", name, err)
		}
	}
}

// When the storage fails in the middle of an upload (a full disk, for
// real), the uploader gets ErrStorage and nothing half-written remains.
func TestStorageFailsMidUpload(t *testing.T) {
	dir := testenv.SmallDisk(t, 256<<10)
	s := open(t, dir)
	s.MaxSize = 4 << 20
	doc := pdf("")
	big := append(append(append([]byte{}, doc[:len(doc)-6]...), bytes.Repeat([]byte("x"), 1<<20)...), []byte("\n%%EOF\n")...)
	_, err := s.Put(context.Background(), "test", bytes.NewReader(big))
	if !errors.Is(err, ErrStorage) {
		t.Fatalf("got %v, want ErrStorage", err)
	}
	if left := files(t, dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	// Once there is room again, uploads work.
	if _, err := s.Put(context.Background(), "test", bytes.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
}

// A stored file that was tampered with or cut short does not decrypt.
func TestTamperedFilesDoNotOpen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	in := append(pdf(""), bytes.Repeat([]byte("%pad\n"), 30_000)...)
	st, err := s.Put(context.Background(), "t", bytes.NewReader(append(in, []byte("%%EOF\n")...)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.FromSlash(st.Key))
	raw, _ := os.ReadFile(path)
	for name, bad := range map[string][]byte{
		"flipped byte":  func() []byte { b := bytes.Clone(raw); b[len(b)/2] ^= 1; return b }(),
		"cut short":     raw[:len(raw)-segmentSize/2],
		"last dropped":  raw[:len(raw)-100],
		"unknown key":   append([]byte("RDBLOB1\x02k9"), raw[len(magic)+3:]...),
		"not encrypted": []byte("%PDF-1.7 plain"),
	} {
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := s.Open(context.Background(), st.Key)
		if err == nil {
			_, err = io.ReadAll(r)
			r.Close()
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// After a key rotation, new files use the new key and old ones still open.
func TestKeyRotation(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	old, err := s.Put(context.Background(), "t", bytes.NewReader(pdf("")))
	if err != nil {
		t.Fatal(err)
	}
	rotated := Keys{Current: "k2", ByID: map[string][]byte{"k1": testKeys.ByID["k1"], "k2": bytes.Repeat([]byte{2}, 32)}}
	s2, err := Open(context.Background(), "file://"+dir, rotated)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	fresh, err := s2.Put(context.Background(), "t", bytes.NewReader(pdf("")))
	if err != nil || fresh.KeyID != "k2" {
		t.Fatalf("%v %+v", err, fresh)
	}
	if got := read(t, s2, old.Key); !bytes.Equal(got, pdf("")) {
		t.Fatal("a file from before the rotation does not open")
	}
	if err := s2.Delete(context.Background(), old.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Open(context.Background(), old.Key); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("deleted file: %v", err)
	}
	if err := s2.Delete(context.Background(), old.Key); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestDecodeName(t *testing.T) {
	for in, want := range map[string]string{"J#61vaScript": "JavaScript", "A#2": "A#2", "#4A#53": "JS", "plain": "plain"} {
		if got := decodeName([]byte(in)); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
	if !strings.Contains(fmt.Sprint(ErrType), "error.upload.type") {
		t.Fatal("rejection text")
	}
}

// A small stream that inflates to millions of filter names is scanned in
// bounded memory: only the file's own stream dictionaries keep their
// filters (a 61 KB upload once took more than a gigabyte).
func TestFilterNamesDoNotGrowMemory(t *testing.T) {
	s := open(t, t.TempDir())
	s.MaxSize = 1 << 20
	names := strings.Repeat("/Fl", 20<<20/3)
	in := objectStream("/Filter /FlateDecode", deflate(names))
	if int64(len(in)) > s.MaxSize {
		t.Fatalf("the test file is %d bytes", len(in))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := s.Put(context.Background(), "test", bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 128<<20 {
		t.Fatalf("scanning allocated %d MiB", grew>>20)
	}
}
