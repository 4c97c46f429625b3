// The case page (办理), the review queues and 我的经办. Progressive enhancement only: without this
// file the server checks the decision and shows its errors beside the fields, after a redirect.
(function () {
  "use strict";

  // After an action focus lands on what it says: the decision's errors, else the message.
  function focusOn(element) {
    if (!element) return;
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.focus();
  }
  focusOn(document.getElementById("decision-errors") || document.querySelector("main .messages"));

  var form = document.getElementById("decision-form");
  if (!form) return;
  var destination = document.getElementById("destination");

  function chosenDestination() {
    var kind = form.querySelector("input[name=next_type]:checked");
    if (!kind) return "";
    if (kind.value === "bureau") return "人社部门";
    var select = form.elements.namedItem("next_org");
    return select && select.value ? select.options[select.selectedIndex].text : "";
  }

  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name === "next_org" && event.target.value) {
      var superior = form.querySelector("input[name=next_type][value=superior]");
      if (superior) superior.checked = true;
    }
    if (destination && (name === "next_type" || name === "next_org")) {
      destination.textContent = chosenDestination() || "请选择";
    }
  });

  // The same checks as the server's, before the confirmation: the errors appear beside the fields
  // and in a summary at the top of the panel, which takes the focus.
  function clearErrors() {
    form.querySelectorAll("[data-client-error]").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[data-client-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("data-client-invalid");
      var wrapper = node.closest(".field");
      if (wrapper) wrapper.classList.remove("has-error");
    });
  }

  function showErrors(problems) {
    var old = document.getElementById("decision-errors");
    if (old) old.remove();
    var summary = document.createElement("div");
    summary.className = "form-errors";
    summary.id = "decision-errors";
    summary.setAttribute("role", "alert");
    summary.setAttribute("data-client-error", "");
    var lead = document.createElement("p");
    lead.textContent = "请按提示修改后重新提交：";
    var list = document.createElement("ul");
    summary.appendChild(lead);
    summary.appendChild(list);
    problems.forEach(function (problem) {
      var input = problem[0], label = problem[1], message = problem[2];
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + input.id;
      link.textContent = label + "：" + message;
      item.appendChild(link);
      list.appendChild(item);
      var wrapper = input.closest(".field");
      var error = document.createElement("div");
      error.className = "error";
      error.id = input.id + "_client_error";
      error.setAttribute("data-client-error", "");
      error.innerHTML = "<p></p>";
      error.firstChild.textContent = message;
      if (wrapper) {
        wrapper.classList.add("has-error");
        wrapper.appendChild(error);
      }
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("data-client-invalid", "");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(error.id) < 0) described.push(error.id);
      input.setAttribute("aria-describedby", described.join(" "));
      var details = input.closest("details");
      if (details) details.open = true;
    });
    form.insertBefore(summary, form.firstElementChild.nextSibling);
    focusOn(summary);
  }

  function problemsOf(decision) {
    var problems = [];
    if (decision === "reject") {
      var opinion = form.elements.namedItem("opinion");
      if (opinion && !opinion.value.trim()) problems.push([opinion, "审核意见", "审核不通过时必须填写原因。"]);
      return problems;
    }
    var kinds = form.querySelectorAll("input[name=next_type]");
    if (!kinds.length) return problems;
    var kind = form.querySelector("input[name=next_type]:checked");
    if (!kind) {
      problems.push([kinds[0], "审核上级单位类型", "请选择审核上级单位类型。"]);
    } else if (kind.value === "superior") {
      var select = form.elements.namedItem("next_org");
      if (select && !select.value) problems.push([select, "上级审核单位名称", "请选择上级审核单位。"]);
    }
    return problems;
  }

  // On the form itself, so it runs before portal.js's handler on the document (which marks the form
  // as sent): a refused or cancelled decision stops here and the form can be sent again.
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    var decision = button && button.name === "decision" ? button.value : "approve";
    clearErrors();
    var problems = problemsOf(decision);
    var question;
    if (decision === "reject") {
      question = "确定审核不通过，退回申请人吗？";
    } else if (form.hasAttribute("data-final")) {
      question = "确定审核通过吗？审核通过后即办结。";
    } else {
      question = "确定审核通过，送" + (chosenDestination() || "所选单位") + "审核吗？";
    }
    if (problems.length) {
      event.preventDefault();
      event.stopPropagation();
      showErrors(problems);
    } else if (!window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  });
})();
