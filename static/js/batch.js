// 待办列表 and batch decisions, and 催报 on 本单位人员学时情况; progressive enhancement only (the pages work without this file):
// the header checkbox ticks the whole page, the batch bar says how many are ticked and which decision
// is chosen before anything is decided, and focus goes to the message a page opens with.
(function () {
  "use strict";

  var first = document.querySelector("[data-focus-on-load]");
  if (first) first.focus();

  var form = document.getElementById("batch-form");
  if (!form) return;
  var all = form.querySelector("[data-pick-all]");
  var status = document.getElementById("batch-status");
  var reason = form.querySelector("[data-reason]");

  function boxes() {
    return Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="ids"]'));
  }

  function update() {
    var list = boxes();
    var ticked = list.filter(function (box) { return box.checked; }).length;
    if (all) {
      all.checked = list.length > 0 && ticked === list.length;
      all.indeterminate = ticked > 0 && ticked < list.length;
    }
    var decision = form.querySelector('input[name="decision"]:checked');
    if (status) {
      status.querySelector("[data-picked-count]").textContent = ticked;
      // 催报 (本单位人员学时情况) has no decision to name.
      var label = status.querySelector("[data-decision-label]");
      if (label) label.textContent = decision ? decision.parentNode.textContent.trim() : "未选择审核结果";
    }
    // The reason is asked for only with 审核不通过 (and kept in view while it is marked wrong).
    if (reason) {
      var input = reason.querySelector("input");
      reason.hidden = !(decision && decision.value === "reject") && !input.value && input.getAttribute("aria-invalid") !== "true";
    }
  }

  if (all) {
    // The checkbox replaces the link that ticks the page by reloading it.
    all.hidden = false;
    var link = form.querySelector(".pick-page");
    if (link) link.hidden = true;
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  // The reason typed before a refused batch (or before 返回修改) is put back; the server keeps the
  // ticks and the decision, but never shows typed text again on a later page.
  var typed = form.querySelector('input[name="reason"]');
  if (typed) {
    try {
      var saved = window.sessionStorage.getItem("batch-reason");
      window.sessionStorage.removeItem("batch-reason");
      if (saved && typed.hasAttribute("data-restore") && !typed.value) typed.value = saved;
      form.addEventListener("submit", function () { window.sessionStorage.setItem("batch-reason", typed.value); });
    } catch (error) { /* storage refused (private mode): the reason is typed again */ }
  }
  form.addEventListener("change", update);
  update();
})();
