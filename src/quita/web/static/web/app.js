// Quita staff UI: modals loaded by htmx, keyboard shortcuts, small conveniences. No framework beyond htmx + Bootstrap.
(function () {
  "use strict";

  function focusFirstField(container) {
    var target = container.querySelector("[autofocus], .is-invalid, input:not([type=hidden]):not([disabled]), select, textarea, .modal-footer .btn-primary, .modal-footer .btn");
    if (target) { target.focus(); }
  }

  // The modal's first field gets the focus, whichever comes last: the modal's opening or its content.
  // (Before its opening transition ends Bootstrap would take the focus back, and ignore Escape.)
  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target.id === "modal") {
      event.target.dataset.open = "true";
      focusFirstField(document.getElementById("modal-content"));
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var modal = document.getElementById("modal");
    if (event.detail.target && event.detail.target.id === "modal-content" && modal.dataset.open === "true") {
      focusFirstField(event.detail.target);
    }
  });

  // A modal that opens starts from a spinner, so it never flashes the previous content. (Not on "hidden": that
  // event comes after the fade, when a modal opened again at once may already hold its new content.)
  document.addEventListener("show.bs.modal", function (event) {
    if (event.target.id === "modal") {
      document.getElementById("modal-content").innerHTML =
        '<div class="modal-body"><span class="spinner-border spinner-border-sm" aria-hidden="true"></span></div>';
    }
  });
  document.addEventListener("hide.bs.modal", function (event) {
    if (event.target.id === "modal") { delete event.target.dataset.open; }
  });

  document.addEventListener("change", function (event) {
    var element = event.target;
    if (element.matches("select[data-autosubmit]")) {
      element.form.requestSubmit();
    }
    if (element.matches("[data-select-all]")) {
      var card = element.closest("section, table") || document;
      card.querySelectorAll(element.getAttribute("data-select-all")).forEach(function (box) { box.checked = element.checked; });
    }
  });

  // "B" on a customer page opens the billing tab (not while typing, not with modifiers, not inside a modal).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "b" && event.key !== "B") { return; }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) { return; }
    if (document.querySelector(".modal.show")) { return; }
    var url = document.body.getAttribute("data-customer-page");
    if (url) {
      event.preventDefault();
      window.location.assign(url);
    }
  });
})();
