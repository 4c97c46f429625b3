// 学时证书打印: after 下载 the list of issued certificates refreshes in place. Progressive
// enhancement only: without this file the page works, and a reload shows the new certificate.
//
// The 下载 form posts normally, so the browser receives the PDF as a download and stays on the page.
// The download's response sets the cookie "certificate_downloaded" (the certificate's number);
// once it appears the file has started to arrive, and the page fetches itself again and swaps in
// the parts named by the form's data-refresh (element ids), then says so in the form's status line.
(function () {
  "use strict";

  var COOKIE = "certificate_downloaded";
  var PATH = "/certificates/";
  var POLL_MS = 300;
  var GIVE_UP_MS = 120000;

  function readCookie() {
    var found = null;
    document.cookie.split(";").forEach(function (part) {
      var pair = part.trim().split("=");
      if (pair[0] === COOKIE) found = decodeURIComponent(pair.slice(1).join("="));
    });
    return found;
  }

  function clearCookie() {
    document.cookie = COOKIE + "=; Max-Age=0; path=" + PATH + "; SameSite=Strict";
  }

  function refresh(ids) {
    return fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          var old = document.getElementById(id);
          var now = fresh.getElementById(id);
          if (old && now) old.replaceWith(document.importNode(now, true));
        });
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form.download-form[data-refresh]")) return;
    var ids = form.getAttribute("data-refresh").split(/\s+/).filter(Boolean);
    var status = form.querySelector(".download-status");
    clearCookie();
    if (status) status.textContent = "正在准备学时认定单……";
    var started = Date.now();
    var timer = window.setInterval(function () {
      var number = readCookie();
      if (!number && Date.now() - started < GIVE_UP_MS) return;
      window.clearInterval(timer);
      form.dataset.submitted = "";  // portal.js blocks a second submission while one is on its way; this one has arrived
      if (!number) {
        if (status) status.textContent = "";
        return;
      }
      clearCookie();
      refresh(ids).then(function () {
        if (status) status.textContent = "已开始下载学时认定单 " + number + "，已出具的学时认定单列表已更新。";
      }, function () {
        if (status) status.textContent = "已开始下载学时认定单 " + number + "。刷新页面可查看已出具的学时认定单。";
      });
    }, POLL_MS);
  });
})();
