// The dashboard's top bar on narrow screens: the links and tools fold under a Menu button (dashboard.css
// hides them below 760px once <html> has the "js" class, set in the page's head). Escape closes the menu.
(function () {
  "use strict";
  // Choosing a language applies it at once (the form's button is for pages without scripts).
  var language = document.getElementById("lang-select");
  if (language) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
})();

(function () {
  "use strict";
  var header = document.querySelector("header.topbar");
  var toggle = header && header.querySelector(".menu-toggle");
  if (!toggle) return;
  toggle.hidden = false;

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("open", open);
  }

  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("open")) {
      setOpen(false);
      toggle.focus();
    }
  });
})();
