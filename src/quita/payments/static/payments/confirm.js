// Finishing a card payment the bank wants confirmed (3-D Secure): Stripe.js shows the bank's challenge; the
// payment is then settled by Stripe's webhook, so the page only reloads to show the new state.
(function () {
  document.querySelectorAll("[data-confirm-payment]").forEach(function (box) {
    var status = box.querySelector("[data-confirm-status]");
    var token = box.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(box.dataset.url, {method: "POST", headers: {"X-CSRFToken": token ? token.value : ""}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.client_secret) { throw new Error(data.detail); }
        // A PaymentIntent refused off-session (authentication_required) waits for a payment method: confirm it
        // with the saved card; one in requires_action only needs the bank's challenge.
        var details = data.payment_method ? {payment_method: data.payment_method} : undefined;
        return window.Stripe(data.publishable_key).confirmCardPayment(data.client_secret, details);
      })
      .then(function (result) {
        if (result.error) { throw new Error(result.error.message); }
        status.textContent = box.dataset.done || "OK";
        setTimeout(function () { window.location.href = window.location.pathname; }, 2000);
      })
      .catch(function (e) { status.textContent = e.message; });
  });
})();
