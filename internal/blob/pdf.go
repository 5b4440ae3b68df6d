package blob

import (
	"bytes"
	"compress/zlib"
	"io"
	"strings"
)

// activeNames are the PDF names that make a document run something, open
// something or carry other files: a PDF that names any of them is refused.
var activeNames = map[string]bool{
	"JavaScript": true, "JS": true, "Launch": true, "EmbeddedFile": true, "EmbeddedFiles": true,
	"RichMedia": true, "XFA": true, "SubmitForm": true, "ImportData": true, "GoToE": true,
}

// maxInflated bounds what the scanner inflates of one PDF (a "zip bomb"
// is refused rather than expanded).
const maxInflated = 64 << 20

// maxFilters is how many filter names the scanner keeps for one stream.
const maxFilters = 4

// filterNames are the standard stream filters, full and abbreviated.
var filterNames = map[string]bool{
	"FlateDecode": true, "Fl": true, "ASCIIHexDecode": true, "AHx": true, "ASCII85Decode": true, "A85": true,
	"LZWDecode": true, "LZW": true, "RunLengthDecode": true, "RL": true, "CCITTFaxDecode": true, "CCF": true,
	"JBIG2Decode": true, "DCTDecode": true, "DCT": true, "JPXDecode": true, "Crypt": true,
}

// pdfScan looks through a PDF as it streams past, without holding it: it
// reads every name token (with #xx escapes decoded), skips the raw bytes of
// streams, and inflates Flate streams (object streams hide dictionaries
// there) through a second scanner. It also keeps the file's tail, to tell a
// complete PDF (ending in %%EOF) from a truncated one.
//
// Dictionaries hidden in object streams are the scanner's blind spot, so
// it refuses what it cannot read: an encrypted PDF (/Encrypt: its streams
// are ciphertext), and any stream that may be an object stream (its
// dictionary names /ObjStm, or both /First and /N, which a reader needs to
// parse one) unless it is unfiltered or plain /FlateDecode without
// /DecodeParms (a predictor scrambles the bytes). Such a stream is scanned
// as it is as well as inflated: the names are gathered since the previous
// stream, not parsed per object, so a /Filter seen there may not be this
// stream's own, and a reader that sees none reads the raw bytes. Other
// filter chains (ASCII85, ASCIIHex, LZW, run length, crypt, image codecs)
// on such a stream are refused rather than decoded.
type pdfScan struct {
	nested bool // scanning inflated stream content: no streams inside

	// The stream dictionary, as far as the names since the last stream say.
	dictObjStm, dictFirst, dictN, dictFilter, dictParms bool
	filters                                             []string
	raw                                                 *pdfScan // an object stream's bytes, scanned as they are

	encrypted bool   // /Encrypt seen
	unchecked string // why a stream that may hold objects could not be read

	inName   bool
	name     []byte
	window   []byte // the last bytes seen, for keywords
	inStream bool
	skipEOL  bool
	flate    bool // /FlateDecode seen since the last stream
	inflate  *inflater

	found    string // the first active name, if any
	tooBig   bool
	inflated int64
	tail     []byte
}

func isDelimiter(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%', ' ', '\t', '\r', '\n', '\f', 0:
		return true
	}
	return false
}

func (s *pdfScan) Write(p []byte) (int, error) {
	for _, c := range p {
		s.byte(c)
	}
	if !s.nested {
		s.tail = append(s.tail, p...)
		if len(s.tail) > 2048 {
			s.tail = append(s.tail[:0], s.tail[len(s.tail)-1024:]...)
		}
	}
	return len(p), nil
}

func (s *pdfScan) byte(c byte) {
	s.window = append(s.window, c)
	if len(s.window) > 16 {
		s.window = append(s.window[:0], s.window[len(s.window)-9:]...)
	}
	if s.inStream {
		if s.inflate != nil {
			s.inflate.write(c)
		}
		if s.raw != nil {
			s.raw.byte(c)
		}
		if bytes.HasSuffix(s.window, []byte("endstream")) {
			s.endStream()
		}
		return
	}
	if s.skipEOL {
		switch c {
		case '\r':
			return
		case '\n':
			s.skipEOL = false
			s.startStream()
			return
		}
		s.skipEOL = false
		s.startStream() // a lone \r, or no end of line: tolerate it
	}
	if s.inName {
		if !isDelimiter(c) {
			s.name = append(s.name, c)
			if len(s.name) > 127 {
				s.endName()
			}
			return
		}
		s.endName()
	}
	if c == '/' {
		s.inName, s.name = true, s.name[:0]
		return
	}
	if !s.nested && bytes.HasSuffix(s.window, []byte("stream")) && !bytes.HasSuffix(s.window, []byte("endstream")) {
		s.skipEOL = true
	}
}

func (s *pdfScan) endName() {
	s.inName = false
	name := decodeName(s.name)
	switch {
	case activeNames[name] && s.found == "":
		s.found = name
	case name == "Encrypt":
		s.encrypted = true
	case name == "ObjStm":
		s.dictObjStm = true
	case name == "First":
		s.dictFirst = true
	case name == "N":
		s.dictN = true
	case name == "Filter":
		s.dictFilter = true
	case name == "DecodeParms":
		s.dictParms = true
	}
	// Only the file's own stream dictionaries have filters to judge; the
	// names inside inflated content are data, and a few are enough to
	// tell a chain from one filter (a stream full of /Fl must not grow
	// the list).
	if filterNames[name] && !s.nested {
		if len(s.filters) < maxFilters {
			s.filters = append(s.filters, name)
		}
		if name == "FlateDecode" {
			s.flate = true
		}
	}
}

// decodeName undoes #xx escapes: /J#61vaScript is /JavaScript.
func decodeName(b []byte) string {
	if bytes.IndexByte(b, '#') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) {
			if v, ok := unhex(b[i+1], b[i+2]); ok {
				out = append(out, v)
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

func unhex(a, b byte) (byte, bool) {
	h := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	x, ok1 := h(a)
	y, ok2 := h(b)
	return x<<4 | y, ok1 && ok2
}

func (s *pdfScan) startStream() {
	s.inStream = true
	if s.dictObjStm || (s.dictFirst && s.dictN) {
		plain := len(s.filters) == 0 && !s.dictFilter && !s.dictParms
		flate := len(s.filters) == 1 && s.filters[0] == "FlateDecode" && !s.dictParms
		if !plain && !flate {
			if s.unchecked == "" {
				s.unchecked = "object stream filtered by " + strings.Join(s.filters, ",")
				if s.dictParms {
					s.unchecked += " with /DecodeParms"
				}
			}
			return
		}
		s.raw = &pdfScan{nested: true}
	}
	if s.flate {
		s.inflate = newInflater(s)
	}
}

func (s *pdfScan) endStream() {
	s.inStream, s.flate = false, false
	s.dictObjStm, s.dictFirst, s.dictN, s.dictFilter, s.dictParms, s.filters = false, false, false, false, false, s.filters[:0]
	if s.inflate != nil {
		s.inflate.close()
		// The stream ended at the first "endstream" in its bytes; one
		// that may hold objects must have inflated to its checked end
		// by then, or a stored block carrying "endstream" could hide the
		// rest from the scan while a reader inflates it.
		if s.raw != nil && !s.inflate.clean && s.unchecked == "" {
			s.unchecked = "object stream not inflated to its end"
		}
		s.inflate = nil
	}
	if s.raw != nil {
		s.adopt(s.raw)
		s.raw = nil
	}
}

// adopt takes what a nested scan found.
func (s *pdfScan) adopt(n *pdfScan) {
	n.close()
	if n.found != "" && s.found == "" {
		s.found = n.found
	}
	s.encrypted = s.encrypted || n.encrypted
}

// close finishes the scan; it reports the first active name found, and
// whether the file looked complete.
func (s *pdfScan) close() (active string, complete bool, tooBig bool) {
	if s.inName {
		s.endName()
	}
	if s.inStream {
		s.endStream() // a stream the file never ended
	}
	return s.found, bytes.Contains(s.tail, []byte("%%EOF")), s.tooBig
}

// inflater inflates one Flate stream in a goroutine and scans what comes
// out with a nested scanner.
type inflater struct {
	pw    *io.PipeWriter
	buf   []byte
	done  chan struct{}
	clean bool // the zlib stream reached its end and checksum (read after done)
}

func newInflater(parent *pdfScan) *inflater {
	pr, pw := io.Pipe()
	in := &inflater{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		defer pr.Close()
		zr, err := zlib.NewReader(pr)
		if err != nil {
			return // not a zlib stream after all: nothing to scan
		}
		nested := &pdfScan{nested: true}
		budget := maxInflated - parent.inflated
		n, err := io.Copy(nested, io.LimitReader(zr, budget+1))
		parent.inflated += n
		if n > budget {
			parent.tooBig = true
		}
		in.clean = err == nil && n <= budget
		nested.close()
		if nested.found != "" && parent.found == "" {
			parent.found = nested.found
		}
		if nested.encrypted {
			parent.encrypted = true
		}
	}()
	return in
}

func (in *inflater) write(c byte) {
	in.buf = append(in.buf, c)
	if len(in.buf) >= 4096 {
		in.flush()
	}
}

func (in *inflater) flush() {
	if len(in.buf) > 0 {
		_, _ = in.pw.Write(in.buf) // after the reader gives up, writes fail: nothing more to scan
		in.buf = in.buf[:0]
	}
}

// close hands over the last bytes and waits for the scan of the stream.
func (in *inflater) close() {
	in.flush()
	in.pw.Close()
	<-in.done
}
