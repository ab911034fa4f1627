// Adding a card on a Quita page: Stripe.js's Card Element collects the card in Stripe's own iframe, confirms the
// SetupIntent Quita created, and only then is the SetupIntent id (never the card) posted back to Quita.
(function () {
  function csrf(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function post(url, form, body) {
    return fetch(url, {method: "POST", body: body || new FormData(), headers: {"X-CSRFToken": csrf(form)}, credentials: "same-origin"})
      .then(function (response) { return response.json().then(function (data) { return {ok: response.ok, data: data}; }); });
  }
  document.querySelectorAll("[data-card-form]").forEach(function (form) {
    var error = form.querySelector("[data-card-error]");
    var setup = null, stripe = null, card = null, starting = null;
    function ready() {
      // One SetupIntent and one Card Element per form, however often the box is opened or the form sent.
      if (!starting) {
        starting = post(form.dataset.setupUrl, form).then(function (answer) {
          if (!answer.ok) { throw new Error(answer.data.detail); }
          setup = answer.data;
          stripe = window.Stripe(setup.publishable_key);
          card = stripe.elements().create("card", {hidePostalCode: true});
          card.mount(form.querySelector("[data-card-element]"));
        }).catch(function (e) { starting = null; throw e; });
      }
      return starting;
    }
    var details = form.closest("details");
    function show() { ready().catch(function (e) { error.textContent = e.message; }); }
    // The card field is mounted when the "Add card" box first opens (not on every page view).
    if (details) {
      details.addEventListener("toggle", function () { if (details.open) { show(); } });
      // "No payment method found. Add a card" links here (…/billing/?add_card=1#add-card, a new page load): open the box.
      if (details.id && window.location.hash === "#" + details.id) { details.open = true; }
      if (details.open) { show(); }
    } else {
      show();
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.textContent = "";
      ready().then(function () {
        return stripe.confirmCardSetup(setup.client_secret, {payment_method: {card: card}});
      }).then(function (result) {
        if (result.error) { throw new Error(result.error.message); }
        var body = new FormData();
        body.append("setup_intent", result.setupIntent.id);
        var replace = form.querySelector("input[name=replace_default]");
        if (replace && replace.checked) { body.append("replace_default", "1"); }
        return post(form.dataset.saveUrl, form, body);
      }).then(function (answer) {
        if (!answer.ok) { throw new Error(answer.data.detail); }
        // Back to the page without "#add-card" (and its ?add_card=1): the box must not open again for a new card.
        var url = new URL(window.location.href);
        url.hash = "";
        url.searchParams.delete("add_card");
        if (url.href === window.location.href) { window.location.reload(); } else { window.location.replace(url.href); }
      }).catch(function (e) { error.textContent = e.message; });
    });
  });
})();
