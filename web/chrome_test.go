package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chrome is one tab of a headless Chromium that a browser test drives.
// It lives for total at the most; each step gets 20 seconds of it.
type chrome struct {
	t   *testing.T
	ctx context.Context
}

// newChrome starts Chromium (the path from testenv.Chromium) with a
// window of width×height and a fresh profile; it closes with the test.
func newChrome(t *testing.T, path string, width, height int, total time.Duration, opts ...chromedp.ExecAllocatorOption) *chrome {
	t.Helper()
	opts = append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height)}, opts...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	ctx, cancel := context.WithTimeout(tab, total)
	t.Cleanup(cancel)
	// The browser lives as long as the context of the first call, so start
	// it on the overall context; each step then gets its own shorter limit.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &chrome{t: t, ctx: ctx}
}

// run performs the actions of one step and fails the test, naming the
// step, if any of them fails or takes too long.
func (c *chrome) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v", step, err)
	}
}

// read returns what a reads, trimmed.
func (c *chrome) read(what string, a chromedp.Action[string]) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, a)
	if err != nil {
		c.t.Fatalf("read %s: %v", what, err)
	}
	return strings.TrimSpace(s)
}

// text is the text a person sees in the first element matching sel.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	return c.read(sel, chromedp.Text(chromedp.CSS(sel)))
}

// named finds an element of the given tag by the text a person sees.
func named(tag, label string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//%s[normalize-space()=%q]`, tag, label))
}

// choose picks an option of a <select> the way the browser does when a
// person picks it: the value changes and a change event fires.
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.SetValue(chromedp.CSS(sel), value),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`document.querySelector(%q).dispatchEvent(new Event("change", {bubbles: true}))`, sel)))
}

// has reports whether the text a person sees contains every phrase;
// badges are upper-cased by CSS, so case does not count.
func has(got string, phrases ...string) bool {
	for _, p := range phrases {
		if !strings.Contains(strings.ToLower(got), strings.ToLower(p)) {
			return false
		}
	}
	return true
}

// stale marks the page shown now; next waits for sel on the page that
// replaces it, not on this one (whose own sel would match at once).
func stale() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.stale = "1"`)
}

func next(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`html:not([data-stale]) ` + sel))
}
