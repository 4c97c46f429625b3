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
