// Rightsdesk: passes a browser's Global Privacy Control signal from the
// organization's own website to its privacy portal, with the site's own id
// of the visitor, so the opt-out of sale and sharing is recorded for them.
// Include it where the id is known (no inline script needed):
//
//   <script src="https://privacy.example.com/choices/signal.js"
//           data-visitor-id="…" data-customer-id="…" defer></script>
//
// It does nothing without the signal. It posts once per id and browser
// (remembered in localStorage), without cookies, and then fires a
// "rightsdesk:gpc" event on document ({detail: {recorded: true|false}})
// for the page to show that the signal was honoured.
(function () {
  var script = document.currentScript;
  if (!script || navigator.globalPrivacyControl !== true || !window.fetch) return;
  var visitor = script.getAttribute("data-visitor-id") || "";
  var customer = script.getAttribute("data-customer-id") || "";
  if (!visitor && !customer) return;
  var key = "rightsdesk-gpc:" + visitor + ":" + customer;
  try {
    if (window.localStorage.getItem(key)) return;
  } catch (e) { /* storage off: post every time */ }
  var body = new URLSearchParams();
  body.set("gpc", "1");
  if (visitor) body.set("visitor_id", visitor);
  if (customer) body.set("customer_id", customer);
  var done = function (ok) {
    if (ok) {
      try { window.localStorage.setItem(key, new Date().toISOString()); } catch (e) { /* ignore */ }
    }
    document.dispatchEvent(new CustomEvent("rightsdesk:gpc", { detail: { recorded: ok } }));
  };
  fetch(new URL("/choices/signal", script.src).href,
    { method: "POST", body: body, mode: "cors", credentials: "omit", keepalive: true })
    .then(function (res) { done(res.ok); }, function () { done(false); });
})();
