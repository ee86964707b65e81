/* Confirmation dialogs: a button marked data-confirm="<dialog id>" opens that <dialog> instead of going to the
   confirm page its form would load. The dialog's own form does the POST; Escape or "keep" closes it. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-confirm]");
    if (!trigger) return;
    var dialog = document.getElementById(trigger.dataset.confirm);
    if (!dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    dialog.showModal();
    dialog.addEventListener("close", function () { trigger.focus(); }, { once: true });
  });
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    /* One press, one action: a second click while the page loads would post again. */
    if (submitter && submitter.hasAttribute("data-confirm-submit")) {
      setTimeout(function () { submitter.disabled = true; }, 0);
    }
  });
})();
