// Progressive enhancement only: every page works without this file.
(function () {
  // Move focus to the error summary, so screen readers announce it first.
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();

  // Show the state/province field only when the chosen country needs it.
  var country = document.getElementById("f-country");
  if (!country) return;
  function sync() {
    document.querySelectorAll("[data-country]").forEach(function (el) {
      var show = el.getAttribute("data-country") === country.value;
      el.hidden = !show;
      el.querySelectorAll("select").forEach(function (s) { s.disabled = !show; });
    });
  }
  country.addEventListener("change", sync);
  sync();
})();
