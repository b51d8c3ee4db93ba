// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before an action that takes the report away from this organization.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // The outcome matters only when closing: show it then.
  const status = document.getElementById("status-select");
  const outcome = document.getElementById("outcome-select");
  if (status && outcome) {
    const label = document.querySelector("label[for=outcome-select]");
    const sync = () => {
      const closing = status.value === "closed";
      outcome.hidden = !closing;
      if (label) label.hidden = !closing;
      outcome.required = closing;
    };
    status.addEventListener("change", sync);
    sync();
  }
});
