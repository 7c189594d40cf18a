/* Collapsible sections (<details data-collapse-narrow>): the header menu and the
   directory's filters. The page sends them open, so without JavaScript everything is
   there; on a narrow screen this closes them behind their summary ("Menu", "Filters"),
   and opens them again when the screen becomes wide (where the summary is hidden).
   Loaded right after the header; sections later in the page, or swapped in by htmx,
   are handled when they arrive. */
(function () {
  "use strict";
  if (!window.matchMedia) { return; }
  var narrow = window.matchMedia("(max-width: 50rem)");

  function apply(root) {
    var found = (root || document).querySelectorAll("details[data-collapse-narrow]");
    for (var i = 0; i < found.length; i += 1) { found[i].open = !narrow.matches; }
  }

  apply();
  document.addEventListener("DOMContentLoaded", function () { apply(); });
  document.addEventListener("htmx:afterSwap", function (event) { apply(event.target); });
  if (narrow.addEventListener) {
    narrow.addEventListener("change", function () { apply(); });
  }
})();
