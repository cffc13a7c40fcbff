"use strict";
// A source added with "Add another Source" becomes citable at once: every citation choice on
// the page gains "Source #N (new, in this form)", the number in the new source's heading.
// Without JavaScript the page shows blank source rows, already offered by the server.
(function () {
  function offer(select, value, label) {
    if (select.querySelector("option[value='" + value + "']")) {
      return;
    }
    if (select.multiple && window.SelectBox && SelectBox.cache[select.id]) {
      // Django's two-box picker keeps its own list of options.
      SelectBox.add_to_cache(select.id, { value: value, text: label, displayed: 1 });
      SelectBox.redisplay(select.id);
    } else {
      select.append(new Option(label, value));
    }
  }

  document.addEventListener("formset:added", function (event) {
    if (event.detail.formsetName !== "sources") {
      return;
    }
    const index = Number(event.target.id.split("-").pop());
    if (!Number.isInteger(index)) {
      return;
    }
    const label = "Source #" + (index + 1) + " (new, in this form)";
    document.querySelectorAll("select[data-cites-sources]").forEach(function (select) {
      offer(select, "new-" + index, label);
    });
  });
})();
