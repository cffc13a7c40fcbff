// The handout's Print button. It is hidden in the markup, so without this script the page
// shows only its own words on how to print; no inline script is needed (CSP: script-src 'self').
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
