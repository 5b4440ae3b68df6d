// Package handlers holds the thin HTTP handlers: parse the request, call
// the domain in models, render a templ page.
package handlers

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/static"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/email"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
	"github.com/rightsdesk/rightsdesk/templates/pages/public"
)

// SessionName is the cookie holding the encrypted, signed session.
const SessionName = "rd_session"

// Handlers serves every page. Each field is one aggregate of the domain.
type Handlers struct {
	Core        *models.Core
	Submissions *models.Submissions
	Requests    *models.Requests
	Appeals     *models.Appeals
	Complaints  *models.Complaints
	Staff       *models.StaffAccounts
	Audit       *models.AuditLog
	Agents      *models.Agents
	Documents   *models.Documents
	Filings     *models.Filings
	DRP         *models.DRP
	// Verifications is identity verification; Accounts the organization's
	// identity provider, discovered once.
	Verifications *models.Verifications
	Accounts      *Accounts
	// Fulfilment: data systems, their tasks, the thread, packages,
	// corrections and the organization's own mail wording.
	Systems     *models.Systems
	Tasks       *models.Tasks
	Messages    *models.Messages
	Packages    *models.Packages
	Corrections *models.Corrections
	MailEdits   *models.MailTemplates
	// Mail renders mail, for previews of edited wording.
	Mail     *email.Renderer
	Catalog  *i18n.Catalog
	Assets   *static.Assets
	Settings *models.Settings // the organization's name, contact, time zone, colour and logo
	Log      *slog.Logger

	// Privacy choices (public_choices.go): the aggregate, the identifier
	// the choices page asks for, and the websites that may pass on a
	// Global Privacy Control signal.
	Choices           *models.Choices
	ChoicesIdentifier string
	ChoicesOrigins    []string
}

// org is the organization's settings in force.
func (h *Handlers) org() *models.CurrentSettings { return h.Settings.Current() }

// contact is the privacy team's contact, as the settings give it.
func (h *Handlers) contact() layout.Contact {
	o := h.org()
	return layout.Contact{Email: o.ContactEmail, Address: o.ContactAddress, Phone: o.ContactPhone,
		QuebecTitle: o.QuebecTitle, QuebecContact: o.QuebecContact}
}

// printer picks the language for this request.
func (h *Handlers) printer(c echo.Context) i18n.Printer {
	return h.Catalog.Printer(h.Catalog.Match(c.Request().Header.Get("Accept-Language")))
}

// page builds the frame's view model; titleKey names the page's heading.
func (h *Handlers) page(c echo.Context, titleKey string, args ...any) layout.Page {
	t := h.printer(c)
	org := h.org()
	p := layout.Page{
		T: t, Title: t.T(titleKey, args...), OrgName: org.Name, Contact: h.contact(),
		CSS: h.Assets.URL("css/site.css"), JS: h.Assets.URL("js/app.js"), Logo: h.Assets.URL("img/logo.svg"),
		Loc: org.Location, Now: h.Core.Now(), PolicyURL: org.PolicyURL,
	}
	if org.Version > 0 {
		// The organization's colour and logo, addressed by settings version
		// so that browsers may cache them.
		p.Theme = "/theme.css?v=" + strconv.Itoa(org.Version)
		if org.LogoID != 0 {
			p.Logo, p.LogoType = "/logo/"+strconv.FormatInt(org.LogoID, 10), "image/png"
		}
	}
	if tok, ok := c.Get("csrf").(string); ok {
		p.CSRF = tok
	} else if ck, err := c.Cookie(csrfCookie); err == nil {
		// An upload route checks its token itself, as the body streams in:
		// a page it shows before reading the body (an error) still needs
		// the token its forms post back.
		p.CSRF = ck.Value
	}
	if st := CurrentStaff(c); st != nil {
		p.Staff = &layout.StaffBadge{Name: st.Name, Role: st.Role}
	}
	if a := CurrentAgent(c); a != nil && strings.HasPrefix(c.Path(), "/agent") {
		p.Agent = &layout.AgentBadge{Name: a.Name}
	}
	if key := h.popFlash(c); key != "" {
		key, rest, _ := strings.Cut(key, "\x00")
		var args []any
		for _, a := range strings.Split(rest, ",") {
			if n, err := strconv.Atoi(a); err == nil {
				args = append(args, n)
			}
		}
		p.Flash = t.T(key, args...)
	}
	return p
}

// render writes a page with status; rendering into a buffer first means a
// template failure still becomes a clean 500.
func render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// RenderError shows an error page; the web error handler calls it. Staff
// pages (the admin and the first administrator's set-up) keep the staff
// frame, whether or not a route matched.
func (h *Handlers) RenderError(c echo.Context, status int, headingKey, messageKey string, args ...any) error {
	p := h.page(c, headingKey)
	v := public.ErrorView{Status: status, Heading: p.Title, Message: message(p.T, messageKey, args...), Back: "/"}
	if staffPath(c.Path()) || staffPath(c.Request().URL.Path) {
		v.Back = "/admin"
		return render(c, status, admin.Error(p, v))
	}
	if status == http.StatusNotFound {
		// A tracking link replaced by a newer one is the likely cause.
		v.Links = []public.Link{{Label: p.T.T("error.not_found_link"), URL: "/track"}}
	}
	return render(c, status, public.Error(p, v))
}

// staffPath reports whether path belongs to the staff side.
func staffPath(path string) bool {
	return path == "/admin" || strings.HasPrefix(path, "/admin/") || path == "/setup"
}

// message formats a domain message: a plural one by its first argument,
// the count.
func message(t i18n.Printer, key string, args ...any) string {
	if n, ok := firstInt(args); ok && t.IsPlural(key) {
		return t.N(key, n, args...)
	}
	return t.T(key, args...)
}

func firstInt(args []any) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	n, ok := args[0].(int)
	return n, ok
}

// Status is the HTTP status of an error: the one place where the domain's
// error kinds become statuses.
func Status(err error) int {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	switch models.KindOf(err) {
	case models.KindInvalid:
		return http.StatusUnprocessableEntity
	case models.KindNotFound:
		return http.StatusNotFound
	case models.KindConflict:
		return http.StatusConflict
	case models.KindGone:
		return http.StatusGone
	case models.KindThrottled:
		return http.StatusTooManyRequests
	case models.KindForbidden:
		return http.StatusForbidden
	case models.KindUnavailable:
		return http.StatusServiceUnavailable
	case models.KindUnauthorized:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

// session is the request's session; a cookie that does not decode (an
// older secret, tampering) yields a fresh one rather than an error.
func (h *Handlers) session(c echo.Context) *sessions.Session {
	s, err := session.Get(SessionName, c)
	if s == nil {
		h.Log.Warn("session unavailable", "err", err)
		s = sessions.NewSession(nopStore{}, SessionName)
	}
	return s
}

// nopStore stands in when no session store is on the context.
type nopStore struct{}

func (nopStore) Get(*http.Request, string) (*sessions.Session, error) { return nil, nil }
func (nopStore) New(*http.Request, string) (*sessions.Session, error) { return nil, nil }
func (nopStore) Save(*http.Request, http.ResponseWriter, *sessions.Session) error {
	return nil
}

func (h *Handlers) flash(c echo.Context, key string) error {
	s := h.session(c)
	s.AddFlash(key)
	return s.Save(c.Request(), c.Response())
}

// flashCounts is flash for a message that says numbers (counts only:
// the flash travels in the session cookie).
func (h *Handlers) flashCounts(c echo.Context, key string, counts ...int) error {
	parts := make([]string, len(counts))
	for i, n := range counts {
		parts[i] = strconv.Itoa(n)
	}
	return h.flash(c, key+"\x00"+strings.Join(parts, ","))
}

func (h *Handlers) popFlash(c echo.Context) string {
	s := h.session(c)
	flashes := s.Flashes()
	if len(flashes) == 0 {
		return ""
	}
	if err := s.Save(c.Request(), c.Response()); err != nil {
		h.Log.Warn("session save failed", "err", err)
	}
	key, _ := flashes[len(flashes)-1].(string)
	return key
}

// formOf turns submitted values and a domain error into a re-renderable
// form: every value kept, each message next to its field. fallback is the
// field a domain error without a field of its own is shown next to.
func formOf(p layout.Page, values url.Values, err error, fallback string, order ...string) components.Form {
	f := components.Form{Values: values, Errors: map[string]string{}, Order: order}
	var ve *models.ValidationError
	var de *models.Error
	switch {
	case errors.As(err, &ve):
		for field, key := range ve.Fields {
			f.Errors[field] = p.T.T(key)
		}
	case errors.As(err, &de):
		field := de.Field
		if field == "" {
			field = fallback
		}
		f.Errors[field] = message(p.T, de.Key, de.Args...)
	}
	return f
}

// formError reports whether err belongs on the form that was posted (bad
// input, a refused state change, too many tries) rather than on an error
// page.
func formError(err error) bool {
	switch models.KindOf(err) {
	case models.KindInvalid, models.KindConflict, models.KindThrottled, models.KindGone:
		return true
	}
	return false
}

// flashTo shows key once on the next page and redirects there.
func (h *Handlers) flashTo(c echo.Context, key, to string) error {
	if err := h.flash(c, key); err != nil {
		return err
	}
	return redirect(c, to)
}

func redirect(c echo.Context, to string) error { return c.Redirect(http.StatusSeeOther, to) }

// ip is the client address Echo determined (its IPExtractor decides which
// proxy headers to trust).
func ip(c echo.Context) string { return c.RealIP() }

// client is who sent the request, for sessions and the audit log.
func client(c echo.Context) models.Client {
	return models.Client{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

// noStore keeps a page out of every cache: a GET page that shows
// something private. Every answer to a post and every error page is kept
// out of caches by the web package's middleware (noStoreTyped).
func noStore(c echo.Context) { c.Response().Header().Set("Cache-Control", "no-store") }
