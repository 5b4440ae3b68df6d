package handlers

import (
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
)

// Limits on the plain fields of an upload form.
const (
	maxUploadFields    = 200
	maxUploadFieldSize = 64 << 10
)

var errUploadCSRF = &models.Error{Kind: models.KindForbidden, Key: "error.csrf"}

// multipartForm reads a multipart/form-data body part by part, never
// whole: the CSRF token must be the first part and, unless the browser
// vouches for the origin, match the token cookie (the CSRF middleware does not see upload routes, since reading the
// token with it would parse the whole body first); the plain fields are
// collected, each bounded, up to the part named file, which is returned
// positioned at its start so the caller streams it. The file part is nil
// when the form had none (or an empty one).
func (h *Handlers) multipartForm(c echo.Context, file string) (url.Values, *multipart.Part, error) {
	r := c.Request()
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, nil, echo.ErrUnsupportedMediaType
	}
	// As Echo's CSRF middleware does: a browser that says the request
	// comes from this origin (Sec-Fetch-Site, which pages cannot forge)
	// needs no token; otherwise the token must match its cookie. (Other
	// Sec-Fetch-Site values were refused before, by the web layer.)
	var want string
	switch r.Header.Get(echo.HeaderSecFetchSite) {
	case "same-origin", "none":
	default:
		cookie, err := c.Cookie(csrfCookie)
		if err != nil || cookie.Value == "" {
			return nil, nil, errUploadCSRF
		}
		want = cookie.Value
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	values := url.Values{}
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return values, nil, nil
		}
		if err != nil {
			return nil, nil, tooLargeOr(err, echo.ErrBadRequest)
		}
		name := part.FormName()
		if i == 0 {
			tok, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				return nil, nil, tooLargeOr(err, echo.ErrBadRequest)
			}
			if name != "_csrf" || want != "" && subtle.ConstantTimeCompare(tok, []byte(want)) != 1 {
				return nil, nil, errUploadCSRF
			}
			c.Set("csrf", string(tok)) // for a form shown again
			continue
		}
		if name == file && part.FileName() != "" {
			return values, part, nil
		}
		if i > maxUploadFields {
			return nil, nil, echo.ErrBadRequest
		}
		b, err := io.ReadAll(io.LimitReader(part, maxUploadFieldSize+1))
		if err != nil {
			return nil, nil, tooLargeOr(err, echo.ErrBadRequest)
		}
		if len(b) > maxUploadFieldSize {
			return nil, nil, echo.ErrStatusRequestEntityTooLarge
		}
		if name != file {
			values.Add(name, string(b))
		}
	}
}

// tooLargeOr turns a body over the route's limit into 413.
func tooLargeOr(err error, other error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		return echo.ErrStatusRequestEntityTooLarge
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return other
}
