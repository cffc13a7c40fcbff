// The drug guide, made a little smoother; every page works without this file.
// 1. An old link to the overview (/drugs/<slug>/#side-effect-...), from before the guide had
//    parts, lands on that id in the overview's "Where to find" list: go on to the part it names.
// 2. A link to an entry inside a folded band of side effects opens the band (Chromium does this
//    itself; other browsers may not).
(function () {
  "use strict";
  function target() {
    var id = location.hash.slice(1);
    if (!id) return null;
    try {
      return document.getElementById(decodeURIComponent(id));
    } catch (e) {
      return null;
    }
  }
  function show() {
    var el = target();
    if (!el) return;
    var moved = el.closest(".finder li[id]");
    if (moved === el) {
      var link = el.querySelector("a");
      if (link) location.replace(link.href);
      return;
    }
    var opened = false;
    for (var d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) {
      if (!d.open) {
        d.open = true;
        opened = true;
      }
    }
    if (opened) el.scrollIntoView();
  }
  show();
  window.addEventListener("hashchange", show);
})();
