package handlers

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/verify"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// The organization's verification settings (/admin/verification, staff
// who configure): the questions asked, tiers raised above the law, where
// answers are matched (a CSV of its records, or its lookup endpoint) and
// account sign-in. Another issue builds the organization's settings page;
// this one stays on its own.

// VerificationPage shows the settings.
func (h *Handlers) VerificationPage(c echo.Context) error {
	return h.renderVerification(c, http.StatusOK, components.Form{}, components.Form{})
}

func (h *Handlers) renderVerification(c echo.Context, status int, form, upload components.Form) error {
	ctx := c.Request().Context()
	s, err := h.Verifications.Settings(ctx)
	if err != nil {
		return err
	}
	p := h.page(c, "verification.title")
	p.Failed = status >= 400
	if form.Values == nil {
		form.Values = verificationValues(s)
	}
	v := admin.VerificationView{Form: form, UploadForm: orEmpty(upload), Version: s.Version, MaxMB: h.Verifications.ImportMax() >> 20,
		LookupKeySet: s.LookupKeySealed != "", OIDCSecretSet: s.OIDCSecretSealed != "", RedirectURL: h.Core.BaseURL + AccountCallbackPath}
	for _, f := range verify.Fields() {
		v.Questions = append(v.Questions, components.Option{Value: string(f), Label: p.T.T("identity.q." + string(f))})
	}
	for _, src := range []string{models.RecordsNone, models.RecordsImport, models.RecordsLookup} {
		v.Sources = append(v.Sources, components.Option{Value: orNone(src), Label: p.T.T("verification.source." + orNone(src)),
			Hint: p.T.T("verification.source." + orNone(src) + ".hint")})
	}
	for _, j := range rules.Jurisdictions() {
		if h.Core.Rules.VerifyRule(j).OnDoubt != "" {
			v.OnDoubt = append(v.OnDoubt, p.T.T("jurisdiction."+string(j)))
			continue
		}
		for _, r := range h.Core.Rules.Rights(j) {
			law := h.Core.Rules.Verification(j, r)
			if law.Tier == rules.TierNone {
				continue
			}
			row := admin.RaiseRow{Name: "raise:" + string(j) + "/" + string(r), Jurisdiction: p.T.T("jurisdiction." + string(j)),
				Right: p.T.T("right." + string(r)), Law: tierText(p, law.Tier), Source: law.Source}
			row.Options = append(row.Options, components.Option{Value: "", Label: p.T.T("verification.as_law", tierText(p, law.Tier))})
			for _, t := range rules.Tiers() {
				if t.Rank() > law.Tier.Rank() && t.Checked() {
					row.Options = append(row.Options, components.Option{Value: string(t), Label: tierText(p, t)})
				}
			}
			v.Raises = append(v.Raises, row)
		}
	}
	switch {
	case s.RecordsSource != models.RecordsLookup || s.LookupURL == "":
	case s.LookupDownSince != nil:
		v.LookupStatus, v.LookupDown = p.T.T("identity.lookup_down", p.DateTime(*s.LookupDownSince), p.T.T("lookup.error."+s.LookupError)), true
	case s.LookupOKAt != nil:
		v.LookupStatus = p.T.T("verification.lookup_ok", p.DateTime(*s.LookupOKAt))
	default:
		v.LookupStatus = p.T.T("verification.lookup_unknown")
	}
	imports, err := h.Verifications.Imports(ctx)
	if err != nil {
		return err
	}
	for _, imp := range imports {
		v.Imports = append(v.Imports, importRow(p, &imp))
	}
	noStore(c)
	return render(c, status, admin.Verification(p, v))
}

func orNone(src string) string {
	if src == "" {
		return "none"
	}
	return src
}

// verificationValues is the form as the settings are.
func verificationValues(s *models.VerificationSettings) url.Values {
	v := url.Values{"records_source": {orNone(s.RecordsSource)}, "lookup_url": {s.LookupURL}, "oidc_issuer": {s.OIDCIssuer},
		"oidc_client_id": {s.OIDCClientID}, "oidc_email_claim": {s.OIDCEmailClaim}, "oidc_verified_claim": {s.OIDCVerifiedClaim}}
	for _, f := range s.Fields() {
		v.Add("questions", string(f))
	}
	for _, j := range rules.Jurisdictions() {
		for _, r := range rules.AllRights {
			if t := s.Raised(j, r); t != "" {
				v.Set("raise:"+string(j)+"/"+string(r), string(t))
			}
		}
	}
	return v
}

// importRow is an import, in words: counts and why lines were refused
// (line numbers and reasons: the file's values are not shown).
func importRow(p layout.Page, imp *models.RecordImport) admin.ImportRow {
	row := admin.ImportRow{Status: p.T.T("verification.import." + imp.Status), Total: imp.RowsTotal, Accepted: imp.RowsAccepted,
		Rejected: imp.RowsRejected, Active: imp.Status == models.ImportActive}
	if imp.ImportedAt != nil {
		row.When = p.DateTime(*imp.ImportedAt)
	}
	var fields []string
	for _, f := range imp.FieldList() {
		fields = append(fields, p.T.T("identity.q."+string(f)))
	}
	row.Fields = strings.Join(fields, ", ")
	for _, r := range imp.RejectionList() {
		field := ""
		switch r.Field {
		case "":
		case string(verify.FieldEmail):
			field = p.T.T("verification.column.email")
		default:
			field = p.T.T("identity.q." + r.Field)
		}
		row.Rejections = append(row.Rejections, p.T.T("verification.rejected_line", r.Line, field, p.T.T(r.Key)))
	}
	return row
}

// VerificationSave saves the settings.
func (h *Handlers) VerificationSave(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(values.Get("version"))
	src := values.Get("records_source")
	if src == "none" {
		src = models.RecordsNone
	}
	in := models.VerificationConfig{Version: version, Questions: values["questions"], Raises: map[string]string{}, RecordsSource: src,
		LookupURL: values.Get("lookup_url"), LookupKey: values.Get("lookup_key"), OIDCIssuer: values.Get("oidc_issuer"),
		OIDCClientID: values.Get("oidc_client_id"), OIDCSecret: values.Get("oidc_secret"), ClearOIDCSecret: values.Get("oidc_secret_clear") == "yes",
		OIDCEmailClaim: values.Get("oidc_email_claim"), OIDCVerifiedClaim: values.Get("oidc_verified_claim")}
	for k, vs := range values {
		if name, ok := strings.CutPrefix(k, "raise:"); ok && len(vs) > 0 {
			in.Raises[name] = vs[0]
		}
	}
	st := CurrentStaff(c)
	err = h.Verifications.SaveSettings(c.Request().Context(), in, models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "verification.title")
		values.Del("lookup_key") // secrets are never shown again
		values.Del("oidc_secret")
		f := formOf(p, values, err, "questions", "questions", "raises", "records_source", "lookup_url", "lookup_key",
			"oidc_issuer", "oidc_client_id", "oidc_secret")
		if errors.Is(err, models.ErrVerificationSettingsChanged) {
			f.Values = nil // show the settings as they are now
		}
		return h.renderVerification(c, Status(err), f, components.Form{})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.verification_saved", "/admin/verification")
}

// RecordsUpload receives a CSV of the organization's records.
func (h *Handlers) RecordsUpload(c echo.Context) error {
	_, part, err := h.multipartForm(c, "document")
	if err != nil {
		return err
	}
	var r io.Reader
	if part != nil {
		r = part
	}
	st := CurrentStaff(c)
	imp, err := h.Verifications.UploadRecords(c.Request().Context(), r, models.StaffActor(st.ID, ip(c)))
	if formError(err) || errors.Is(err, models.ErrUploadStorage) {
		p := h.page(c, "verification.title")
		f := formOf(p, url.Values{}, err, "document", "document")
		return h.renderVerification(c, Status(err), components.Form{}, f)
	}
	if err != nil {
		return err
	}
	return redirect(c, "/admin/verification/records/"+strconv.FormatInt(imp.ID, 10))
}

// RecordsMapping shows an uploaded file's first rows and asks which
// column holds what.
func (h *Handlers) RecordsMapping(c echo.Context) error {
	return h.renderMapping(c, http.StatusOK, components.Form{})
}

func (h *Handlers) renderMapping(c echo.Context, status int, f components.Form) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	pv, err := h.Verifications.Preview(c.Request().Context(), id)
	if errors.Is(err, models.ErrImportState) {
		return redirect(c, "/admin/verification")
	}
	if err != nil {
		return err
	}
	p := h.page(c, "verification.mapping_title")
	p.Failed = status >= 400
	if f.Values == nil {
		f.Values = url.Values{"map_email": {strconv.Itoa(pv.Email)}, "region": {"US"}}
		for fl, col := range pv.Guess {
			f.Values.Set("map_"+string(fl), strconv.Itoa(col))
		}
	}
	cols := []components.Option{{Value: "-1", Label: p.T.T("verification.not_in_file")}}
	for i, name := range pv.Header {
		cols = append(cols, components.Option{Value: strconv.Itoa(i), Label: p.T.T("verification.column_n", i+1, name)})
	}
	v := admin.MappingView{ID: id, Form: f, Header: pv.Header, Rows: pv.Rows, Columns: cols, Countries: countryOptions(p.T),
		Email: admin.MapField{Name: "map_email", Label: p.T.T("verification.column.email"), Hint: p.T.T("verification.map_email_hint")}}
	for _, fl := range verify.Fields() {
		v.Fields = append(v.Fields, admin.MapField{Name: "map_" + string(fl), Label: p.T.T("identity.q." + string(fl))})
	}
	noStore(c)
	return render(c, status, admin.Mapping(p, v))
}

// RecordsImport imports an uploaded file with the mapping chosen.
func (h *Handlers) RecordsImport(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	col := func(name string) int {
		n, err := strconv.Atoi(values.Get(name))
		if err != nil {
			return -1
		}
		return n
	}
	m := models.Mapping{Email: col("map_email"), Columns: map[verify.Field]int{}, Region: strings.ToUpper(values.Get("region"))}
	for _, f := range verify.Fields() {
		m.Columns[f] = col("map_" + string(f))
	}
	st := CurrentStaff(c)
	_, err = h.Verifications.ImportRecords(c.Request().Context(), id, m, models.StaffActor(st.ID, ip(c)))
	switch {
	case errors.Is(err, models.ErrImportState):
		return redirect(c, "/admin/verification")
	case formError(err):
		p := h.page(c, "verification.mapping_title")
		var order []string
		order = append(order, "map_email")
		for _, f := range verify.Fields() {
			order = append(order, "map_"+string(f))
		}
		return h.renderMapping(c, Status(err), formOf(p, values, err, "map_email", order...))
	case err != nil:
		return err
	}
	return h.flashTo(c, "flash.records_imported", "/admin/verification#records")
}

// RecordsDiscard gives up an uploaded file.
func (h *Handlers) RecordsDiscard(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	if err := h.Verifications.DiscardUpload(c.Request().Context(), id, models.StaffActor(st.ID, ip(c))); err != nil &&
		!errors.Is(err, models.ErrImportState) {
		return err
	}
	return h.flashTo(c, "flash.records_discarded", "/admin/verification")
}
