// Package static holds the stylesheet, script and images, embedded in the
// binary and served under fingerprinted URLs so they can be cached forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed css js img
var files embed.FS

// Assets maps logical names ("css/site.css") to fingerprinted URLs.
type Assets struct {
	urls    map[string]string // logical name → URL
	byURL   map[string]string // URL path below /static/ → logical name
	content map[string][]byte
}

// Load fingerprints every embedded file.
func Load() (*Assets, error) {
	a := &Assets{urls: map[string]string{}, byURL: map[string]string{}, content: map[string][]byte{}}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		fp := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		a.urls[p] = "/static/" + fp
		a.byURL[fp] = p
		a.content[p] = b
		return nil
	})
	return a, err
}

// URL returns the fingerprinted URL of a logical name.
func (a *Assets) URL(name string) string { return a.urls[name] }

// Content is the bytes of a logical name, for a file served under a
// stable URL as well (a script other sites include).
func (a *Assets) Content(name string) []byte { return a.content[name] }

// ServeHTTP serves /static/<fingerprinted name> with a one-year cache.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := a.byURL[strings.TrimPrefix(r.URL.Path, "/static/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.content[name])
}
