"use strict";
// Citations of sources added in the same save, by their number ("Source #2 (new, in this form)").
// A source added with "Add another Source" becomes citable at once. Removing a new source
// renumbers the others, so every citation of a new source is cleared, never guessed, and the
// editor is asked to choose again. Without JavaScript the server offers the blank source rows.
(function () {
  const NEW = "new-";

  function label(index) {
    return "Source #" + (index + 1) + " (new, in this form)";
  }

  function picker(select) {
    // Django's two-box picker keeps its own list of each box's options.
    return window.SelectBox && SelectBox.cache[select.id] ? SelectBox : null;
  }

  function offer(select, index) {
    const value = NEW + index;
    if (select.querySelector("option[value='" + value + "']")) {
      return;
    }
    const box = picker(select);
    if (box) {
      box.add_to_cache(select.id, { value: value, text: label(index), displayed: 1 });
      box.redisplay(select.id);
    } else {
      select.append(new Option(label(index), value));
    }
  }

  function forget(select) {
    const box = picker(select);
    const cited = Array.from(select.options).filter((o) => o.value.startsWith(NEW));
    if (box) {
      cited.forEach((o) => box.delete_from_cache(select.id, o.value));
      box.redisplay(select.id);
    } else {
      cited.forEach((o) => o.remove());
    }
  }

  function citationSelects() {
    const selects = [];
    document.querySelectorAll("select[data-cites-sources]").forEach(function (select) {
      selects.push(select);
      const chosen = select.id.endsWith("_from")
        ? document.getElementById(select.id.replace(/_from$/, "_to"))
        : null;
      if (chosen) {
        selects.push(chosen);
      }
    });
    return selects;
  }

  function newSourceIndexes() {
    return Array.from(document.querySelectorAll("#sources-group .djn-inline-form"))
      .filter((form) => form.dataset.isInitial === "false" && !form.classList.contains("djn-empty-form"))
      .map((form) => Number(form.id.split("-").pop()))
      .filter(Number.isInteger);
  }

  document.addEventListener("formset:added", function (event) {
    if (event.detail.formsetName !== "sources") {
      return;
    }
    const index = Number(event.target.id.split("-").pop());
    if (Number.isInteger(index)) {
      document.querySelectorAll("select[data-cites-sources]").forEach((s) => offer(s, index));
    }
  });

  document.addEventListener("formset:removed", function (event) {
    if (event.detail.formsetName !== "sources") {
      return;
    }
    citationSelects().forEach(forget);
    const indexes = newSourceIndexes();
    document.querySelectorAll("select[data-cites-sources]").forEach(function (select) {
      indexes.forEach((index) => offer(select, index));
    });
    const group = document.getElementById("sources-group");
    let note = document.getElementById("sources-renumbered");
    if (!note) {
      note = document.createElement("p");
      note.id = "sources-renumbered";
      note.className = "errornote";
      group.prepend(note);
    }
    note.textContent =
      "A new source was removed, so the new sources are numbered again. Every citation of a " +
      "new source has been cleared: choose the sources again where you had cited one.";
  });
})();
