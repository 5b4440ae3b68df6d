// Package accounttest runs an OpenID Connect provider inside a test: the
// discovery document and keys of go-oidc's oidctest, plus an
// authorization endpoint that signs in whoever the test says (at once,
// without a page) and a token endpoint that checks the client, the code,
// the redirect URI and the PKCE verifier before it issues an ID token.
// Tests make it misbehave through Provider's fields.
package accounttest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
)

// Client credentials the provider accepts.
const (
	ClientID     = "rightsdesk-test"
	ClientSecret = "test-client-secret"
)

// User is who the provider signs in.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
}

// Provider is the running provider.
type Provider struct {
	URL string
	// User is who the next sign-in is for.
	User User
	// Misbehaviour, for tests: a token signed by another key, a wrong
	// nonce, an auth_time from long ago, no token at all, or a refusal
	// to sign in.
	ForgeSignature bool
	WrongNonce     bool
	StaleAuth      bool
	Refuse         bool

	mu    sync.Mutex
	codes map[string]grant
	// Seen records what each authorization request asked, for tests.
	Seen []url.Values

	key, other *rsa.PrivateKey
	srv        *httptest.Server
}

type grant struct {
	user                 User
	nonce, redirect, pkc string
	fresh                bool
}

// Start runs a provider until the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{codes: map[string]grant{}, key: key, other: other,
		User: User{Subject: "user-1", Email: "jordan@example.org", EmailVerified: true}}
	disc := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: oidc.RS256}}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/auth":
			p.authorize(w, r)
		case "/token":
			p.token(w, r)
		default:
			disc.ServeHTTP(w, r)
		}
	}))
	disc.SetIssuer(p.srv.URL)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// authorize signs the configured user in at once and sends the browser
// back to the client with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Seen = append(p.Seen, q)
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != ClientID || q.Get("response_type") != "code" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	v := url.Values{"state": {q.Get("state")}}
	if p.Refuse {
		v.Set("error", "access_denied")
	} else {
		code := random()
		p.codes[code] = grant{user: p.User, nonce: q.Get("nonce"), redirect: q.Get("redirect_uri"), pkc: q.Get("code_challenge"),
			fresh: q.Get("prompt") == "login"}
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code for an ID token, once, for the client that got
// it, with the verifier whose challenge it was given.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	g, found := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case id != ClientID || secret != ClientSecret:
		tokenError(w, "invalid_client")
		return
	case !found || r.PostForm.Get("redirect_uri") != g.redirect:
		tokenError(w, "invalid_grant")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.pkc:
		tokenError(w, "invalid_grant") // PKCE
		return
	}
	now := time.Now()
	authTime := now
	if !g.fresh || p.StaleAuth {
		authTime = now.Add(-6 * time.Hour)
	}
	nonce := g.nonce
	if p.WrongNonce {
		nonce = "another-nonce"
	}
	claims, _ := json.Marshal(map[string]any{"iss": p.URL, "aud": ClientID, "sub": g.user.Subject,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "auth_time": authTime.Unix(), "nonce": nonce,
		"email": g.user.Email, "email_verified": g.user.EmailVerified})
	signer := p.key
	if p.ForgeSignature {
		signer = p.other
	}
	idToken := oidctest.SignIDToken(signer, "k1", oidc.RS256, string(claims))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": random(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

func tokenError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func random() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
