package web_test

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/models"
)

// settingsForm is the settings page's form as it stands, to change a field.
func settingsForm(p page) url.Values {
	v := url.Values{}
	p.doc.Find(`form[action="/admin/settings"] input`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		if name == "" || name == "_csrf" || (typ == "checkbox" || typ == "radio") && s.AttrOr("checked", "x") == "x" {
			return
		}
		v.Add(name, s.AttrOr("value", ""))
	})
	return v
}

// The organization's settings: saved as versions (each save audited),
// applied at once to the pages, the policy clocks (a new request from
// where no listed law applies is due, and extended, by them), the Quebec
// person in charge and the rights offered, and kept in a history.
func TestOrganizationSettings(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		officer := h.staff()
		page := officer.get("/admin/settings")
		if page.status != http.StatusOK || page.doc.Find(`#f-name`).AttrOr("value", "") != "Acme Test Co" {
			t.Fatalf("settings page: %d", page.status)
		}
		form := settingsForm(page)
		bad := cloneValues(form)
		bad.Set("brand_color", "#ffff00")
		bad.Set("time_zone", "Mars/Olympus")
		res := officer.post("/admin/settings", bad)
		if res.status != http.StatusUnprocessableEntity || res.text("#f-brand_color-error") == "" || res.text("#f-time_zone-error") == "" ||
			res.doc.Find("#f-time_zone").AttrOr("value", "") != "Mars/Olympus" {
			t.Fatalf("bad settings: %d %q", res.status, res.text(".error-summary"))
		}
		// A request from where no listed law applies, on the policy clocks
		// of the first version (45 days, from the environment's defaults).
		before := h.elsewhere("before@example.org")
		if days := before.DueAt.Sub(before.ReceivedAt).Hours() / 24; days < 44 || days > 46 {
			t.Fatalf("before the save, due %.1f days after receipt", days)
		}
		var audits int64
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action = ?", "settings.save").Count(&audits)
		form.Set("name", "Globex Privacy")
		form.Set("contact_phone", "+1 415 555 0199")
		form.Set("policy_url", "https://www.example.com/privacy")
		form.Set("brand_color", "#004d40")
		form.Set("response_days", "20")
		form.Set("extension_days", "10")
		form.Set("quebec_title", "Chief Privacy Officer")
		form.Set("quebec_contact", "dpo@globex.example")
		form["other_rights"] = []string{"access", "delete"}
		stale := cloneValues(form)
		if res := officer.post("/admin/settings", form); res.status != http.StatusSeeOther {
			t.Fatalf("save: %d %q", res.status, res.text(".error-summary"))
		}
		// The save is audited as the officer's, naming what changed.
		var entry models.AuditEntry
		if err := h.app.Core.DB().Where("action = ?", "settings.save").Order("id DESC").Take(&entry).Error; err != nil {
			t.Fatal(err)
		}
		var after int64
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action = ?", "settings.save").Count(&after)
		if after != audits+1 || entry.StaffID == nil || *entry.StaffID != h.staffID(officer) || entry.ObjectType != "settings" ||
			entry.Detail != "brand_color,contact_phone,extension_days,name,other_rights,policy_url,quebec_contact,quebec_title,response_days" {
			t.Fatalf("%d saves audited (was %d); the last: %+v", after, audits, entry)
		}
		// The policy clocks: a new request from elsewhere is due 20 days
		// after receipt, 10 more once extended; the earlier one keeps its date.
		now := h.elsewhere("after@example.org")
		if days := now.DueAt.Sub(now.ReceivedAt).Hours() / 24; days < 19 || days > 21 {
			t.Fatalf("after the save, due %.1f days after receipt", days)
		}
		var still models.Request
		h.app.Core.DB().Where("id = ?", before.ID).Take(&still)
		if !still.DueAt.Equal(before.DueAt) {
			t.Fatalf("the earlier request's date moved: %s to %s", before.DueAt, still.DueAt)
		}
		officer.get("/admin/requests/" + strconv.FormatInt(now.ID, 10))
		if res := officer.post("/admin/requests/"+strconv.FormatInt(now.ID, 10)+"/extend", url.Values{"reason": {"Three archives to search."}}); res.status != http.StatusSeeOther {
			t.Fatalf("extend: %d %s", res.status, res.text(".error-summary"))
		}
		var extended models.Request
		h.app.Core.DB().Where("id = ?", now.ID).Take(&extended)
		if days := extended.DueAt.Sub(now.DueAt).Hours() / 24; days < 9.9 || days > 10.1 {
			t.Fatalf("the extension added %.1f days", days)
		}
		// The Quebec person in charge: named on the home page and on the
		// form's second step for Quebec, not for California.
		quebec := "the person in charge of the protection of personal information is our Chief Privacy Officer; write to them at dpo@globex.example."
		if got := h.browser().get("/").text("main"); !strings.Contains(got, quebec) {
			t.Fatalf("home page without the Quebec officer:\n%s", got)
		}
		for _, where := range []url.Values{{"on_behalf": {"self"}, "country": {"CA"}, "province": {"QC"}}, {"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}}} {
			b := h.browser()
			b.get("/request")
			step2 := b.post("/request/where", where)
			if got := strings.Contains(step2.text("main"), quebec); step2.status != http.StatusOK || got != (where.Get("province") == "QC") {
				t.Fatalf("step 2 for %v: %d, names the Quebec officer %v", where, step2.status, got)
			}
		}
		// A save made on the version before is refused, not merged.
		officer.get("/admin/settings")
		stale.Set("name", "Initech")
		if res := officer.post("/admin/settings", stale); res.status != http.StatusConflict {
			t.Fatalf("stale save: %d", res.status)
		}
		home := h.browser().get("/")
		if !strings.Contains(home.text("header"), "Globex Privacy") || !strings.Contains(home.text("footer"), "+1 415 555 0199") ||
			home.doc.Find(`footer a[href="https://www.example.com/privacy"]`).Length() != 1 {
			t.Fatalf("home page does not show the settings:\n%s\n%s", home.text("header"), home.text("footer"))
		}
		theme := home.doc.Find(`link[href^="/theme.css"]`).AttrOr("href", "")
		if css := h.browser().get(theme); !strings.Contains(css.body, "--brand: #004d40") {
			t.Fatalf("theme %q: %q", theme, css.body)
		}
		// Where no listed law applies, only the rights offered are.
		b := h.browser()
		b.get("/request")
		step2 := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"JP"}})
		if got := step2.doc.Find(`input[name="rights"]`).Length(); got != 2 {
			t.Fatalf("%d rights offered elsewhere, want 2", got)
		}
		history := officer.get("/admin/settings")
		if !strings.Contains(history.text("ol.timeline"), "Version 1") || !strings.Contains(history.text("ol.timeline"), "Pat Officer") {
			t.Fatalf("history: %q", history.text("ol.timeline"))
		}
		// Reviewers and auditors do not change settings.
		if res := h.staffAs(models.RoleReviewer).get("/admin/settings"); res.status != http.StatusForbidden {
			t.Fatalf("reviewer: %d", res.status)
		}
	})
}

// A logo is uploaded, re-encoded, served to anyone, and replaced.
func TestLogo(t *testing.T) {
	h := newHarness(t, "sqlite")
	officer := h.staff()
	settings := officer.get("/admin/settings")
	version := settings.doc.Find(`form[action="/admin/settings/logo"] input[name="version"]`).AttrOr("value", "")
	upload := func(content []byte) page {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("_csrf", officer.csrf)
		w.WriteField("version", version)
		fw, _ := w.CreateFormFile("logo", "logo.png")
		fw.Write(content)
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, officer.url("/admin/settings/logo"), &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return officer.do(req)
	}
	if res := upload([]byte("%PDF-1.7 not a logo")); res.status != http.StatusUnprocessableEntity || res.text("#f-logo-error") == "" {
		t.Fatalf("a PDF as logo: %d %q", res.status, res.text(".error-summary"))
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 40, 28)))
	if res := upload(img.Bytes()); res.status != http.StatusSeeOther {
		t.Fatalf("logo: %d %q", res.status, res.text(".error-summary"))
	}
	home := h.browser().get("/")
	src := home.doc.Find("header img").AttrOr("src", "")
	logo := h.browser().get(src)
	if !strings.HasPrefix(src, "/logo/") || logo.status != http.StatusOK || logo.header.Get("Content-Type") != "image/png" {
		t.Fatalf("logo %q: %d %q", src, logo.status, logo.header.Get("Content-Type"))
	}
	// Only logos are public: another document's id is not found.
	if res := h.browser().get("/logo/999999"); res.status != http.StatusNotFound {
		t.Fatalf("unknown logo: %d", res.status)
	}
}

// elsewhere submits a request to see one's information from Japan, where
// no listed law applies, and returns it.
func (h *harness) elsewhere(email string) models.Request {
	h.t.Helper()
	form := submission()
	form.Set("country", "JP")
	form.Del("state")
	form["rights"] = []string{"access"}
	form.Set("email", email)
	h.browser().submit(form)
	var r models.Request
	if err := h.app.Core.DB().Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Where("submissions.email = ?", email).Take(&r).Error; err != nil {
		h.t.Fatal(err)
	}
	if r.Jurisdiction != "OTHER" {
		h.t.Fatalf("a request from Japan is under %q", r.Jurisdiction)
	}
	return r
}
