"use strict";
// A Markdown field's preview, rendered by the server's sanitising renderer only when the
// editor presses "Preview". Without JavaScript the button stays hidden and editing still works.
(function () {
  function token() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function preview(button) {
    const editor = button.closest(".markdown-editor");
    const area = editor.querySelector("textarea");
    const target = editor.querySelector(".markdown-preview");
    const body = new FormData();
    body.append("content", area.value);
    button.disabled = true;
    try {
      const response = await fetch(button.dataset.previewUrl, {
        method: "POST",
        body: body,
        headers: { "X-CSRFToken": token() },
        credentials: "same-origin",
      });
      // The server's renderer sanitises the HTML (drugs.markdown.render_markdown).
      target.innerHTML = response.ok ? await response.text() : "<p>The preview failed: try again.</p>";
      target.hidden = false;
      button.textContent = "Update preview";
    } finally {
      button.disabled = false;
    }
  }

  function showButtons() {
    document.querySelectorAll(".markdown-preview-button").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest(".markdown-preview-button");
    if (button) {
      event.preventDefault();
      preview(button);
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showButtons);
  } else {
    showButtons();
  }
})();
