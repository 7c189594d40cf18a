/* Autosave of an assessment part (<form data-autosave>): a field that changes is sent
   with the form after a short pause (header X-Autosave: 1; the server answers JSON) and
   the status line says whether it was saved. Without JavaScript the "Save this part"
   button does the same. */
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }
  var forms = document.querySelectorAll("form[data-autosave]");
  Array.prototype.forEach.call(forms, function (form) {
    var status = form.querySelector("[data-autosave-status]");
    var timer = null;
    function save() {
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Autosave": "1" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (status) { status.textContent = data.message; }
      }).catch(function () {
        if (status) { status.textContent = form.getAttribute("data-autosave-failed") || ""; }
      });
    }
    form.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, 800);
    });
  });
})();
