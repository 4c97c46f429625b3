// The applicant's workspace (templates/hours/declaration_edit.html), progressive enhancement only:
// without this file every action is a plain form and a page load.
(function () {
  "use strict";

  // With scripts on, uploads start when a file is chosen and a learning form opens when chosen:
  // their buttons are only for a page without scripts (.js-hidden), a hint says so (.js-shown).
  document.documentElement.classList.add("js-on");

  // htmx keeps a swapped element's old style attribute through the swap; the Content-Security-Policy
  // allows no style attributes, so only classes and sizes are carried over.
  // Settling at once: htmx wires up swapped-in controls when it settles, so with its default 20 ms
  // delay a file chosen right after the previous upload landed went nowhere.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
    window.htmx.config.defaultSettleDelay = 0;
  }

  function status() {
    return document.getElementById("workspace-status");
  }

  // An action in place: the messages of the last page load and of the last action no longer
  // apply (the status line, swapped in after the action, says what happened).
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "get") return;
    document.querySelectorAll("main > .messages").forEach(function (old) { old.remove(); });
    var line = status();
    if (line) line.innerHTML = "";
  });

  // After it, focus stays where htmx put it back (the file input just used, by its id); where the
  // control used is gone (a deleted file, a saved item), it goes to the status line.
  document.addEventListener("htmx:afterSettle", function () {
    var here = document.activeElement;
    var line = status();
    if (line && line.textContent.trim() && (!here || here === document.body)) {
      line.focus({ preventScroll: true });
    }
  });

  // A request that failed or was refused outright (the session ended, the server down): said in
  // the status line, as nothing was swapped in.
  function failed(event) {
    var line = status();
    if (!line) return;
    var gone = event.detail.xhr && (event.detail.xhr.status === 404 || event.detail.xhr.status === 403);
    line.innerHTML = "";
    var box = document.createElement("div");
    box.className = "messages";
    var text = document.createElement("p");
    text.className = "message error";
    text.textContent = gone ? "该内容已不存在或无权操作，请刷新页面后重试。" : "操作未完成，请检查网络后刷新页面重试。";
    box.appendChild(text);
    line.appendChild(box);
    line.focus({ preventScroll: true });
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
