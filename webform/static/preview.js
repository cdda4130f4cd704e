// surveykit preview: reload the page when the questionnaire file changes (the server bumps a generation).
(function () {
  "use strict";
  var bar = document.getElementById("preview-state");
  if (!bar || !window.fetch) { return; }
  var seen = bar.getAttribute("data-generation");
  var url = bar.getAttribute("data-url");
  function poll() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (String(state.generation) !== seen) { window.location.reload(); return; }
        window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
})();
