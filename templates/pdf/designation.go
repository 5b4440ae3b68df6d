// Package pdf renders the documents the portal hands out as PDFs: today
// the "Authorized agent designation" a person signs by hand. Every word
// comes from the caller, translated; this package only lays it out.
package pdf

import (
	"bytes"
	"errors"
	"io"

	"github.com/go-pdf/fpdf"
)

// Designation is the form, pre-filled.
type Designation struct {
	Title       string
	Intro       string      // the organization and the law
	Fields      [][2]string // label, value: the person, the agent, …
	RightsLabel string
	Rights      []string
	Statement   string   // what the person declares by signing
	SignLines   []string // "Signature of the person", "Date", …
	Footer      string
}

// Write renders d as a PDF to w.
func (d Designation) Write(w io.Writer) error {
	f := fpdf.New("P", "mm", "Letter", "")
	f.SetTitle(d.Title, true)
	f.SetCreator("Rightsdesk", true)
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	tr := f.UnicodeTranslatorFromDescriptor("") // cp1252: the core fonts' encoding
	f.AddPage()
	f.SetFont("Helvetica", "B", 16)
	f.MultiCell(0, 8, tr(d.Title), "", "L", false)
	f.Ln(3)
	f.SetFont("Helvetica", "", 11)
	f.MultiCell(0, 5.5, tr(d.Intro), "", "L", false)
	f.Ln(4)
	for _, row := range d.Fields {
		f.SetFont("Helvetica", "B", 11)
		f.CellFormat(60, 7, tr(row[0]), "", 0, "L", false, 0, "")
		f.SetFont("Helvetica", "", 11)
		f.MultiCell(0, 7, tr(row[1]), "B", "L", false)
	}
	f.Ln(4)
	f.SetFont("Helvetica", "B", 11)
	f.MultiCell(0, 6, tr(d.RightsLabel), "", "L", false)
	f.SetFont("Helvetica", "", 11)
	for _, r := range d.Rights {
		f.MultiCell(0, 6, tr("[X]  "+r), "", "L", false)
	}
	f.Ln(4)
	f.MultiCell(0, 5.5, tr(d.Statement), "", "L", false)
	f.Ln(10)
	for _, l := range d.SignLines {
		f.CellFormat(0, 12, "", "B", 1, "L", false, 0, "")
		f.SetFont("Helvetica", "", 9)
		f.CellFormat(0, 5, tr(l), "", 1, "L", false, 0, "")
		f.SetFont("Helvetica", "", 11)
		f.Ln(4)
	}
	f.Ln(4)
	f.SetFont("Helvetica", "I", 9)
	f.MultiCell(0, 4.5, tr(d.Footer), "", "L", false)
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return err
	}
	// fpdf always writes an empty /EmbeddedFiles name tree in the
	// catalog; the upload layer (rightly) refuses any PDF that names
	// embedded files, and this form comes back signed, maybe as the same
	// file. The entry is blanked with as many spaces, so that every byte
	// offset of the cross-reference table stays right.
	out := buf.Bytes()
	empty := []byte("/EmbeddedFiles << /Names [\n  \n] >>")
	if i := bytes.Index(out, empty); i >= 0 {
		copy(out[i:], bytes.Repeat([]byte(" "), len(empty)))
	} else if bytes.Contains(out, []byte("/EmbeddedFiles")) {
		return errors.New("pdf: unexpected embedded files entry")
	}
	_, err := w.Write(out)
	return err
}
