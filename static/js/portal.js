// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Ask before irreversible actions: forms carrying data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // A second click while the first submission is on its way does nothing.
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
  });

  // The menu (base.html) is a folded <details>: open it on screens wider than a phone's, fold it
  // again when the window narrows (the same 48rem as portal.css).
  var menu = document.querySelector("details.menu-toggle");
  if (menu && window.matchMedia) {
    var narrow = window.matchMedia("(max-width: 48rem)");
    var fit = function () { menu.open = !narrow.matches; };
    fit();
    narrow.addEventListener("change", fit);
  }

  // A table wider than its card scrolls inside its .table-wrap: let the keyboard reach it (Tab to it,
  // then the arrow keys scroll), as long as it is wider.
  function scrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth) wrap.setAttribute("tabindex", "0");
      else if (wrap.getAttribute("tabindex") === "0") wrap.removeAttribute("tabindex");
    });
  }
  scrollableTables();
  window.addEventListener("resize", scrollableTables);
  document.addEventListener("htmx:afterSettle", scrollableTables);

  // Focus on the message after an action: the page's .messages region (base.html), else a form's error
  // summary, so that a screen reader reads it and the next Tab goes on from there. Where the address
  // names a place on the page, the page stays scrolled there.
  function focusMessage(region, keepScroll) {
    if (!region) return;
    if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
    region.focus({ preventScroll: keepScroll });
  }
  focusMessage(document.querySelector(".messages") || document.querySelector(".form-errors"), !!window.location.hash);
  // The same after an in-place (htmx) answer that brings a .messages region of its own.
  document.addEventListener("htmx:afterSettle", function (event) {
    var swapped = event.detail && event.detail.elt;
    if (!swapped || !swapped.querySelector) return;
    focusMessage(swapped.matches(".messages") ? swapped : swapped.querySelector(".messages"), true);
  });

  // Unit picker: suggestions from the server as the user types into inputs with data-unit-picker.
  var timer = null;
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-unit-picker]")) return;
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var url = "/accounts/organisations/suggest/?q=" + encodeURIComponent(input.value);
      fetch(url, { headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          list.innerHTML = "";
          data.results.forEach(function (unit) {
            var option = document.createElement("option");
            option.value = unit.name;
            option.label = unit.uscc;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 200);
  });
})();
