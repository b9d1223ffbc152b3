// The card form of the payment page: Stripe's own card field (Stripe.js,
// loaded from js.stripe.com on this page only), a SetupIntent asked from
// the platform, confirmed by Stripe in the browser; then the form posts to
// the platform, which reads the card back from Stripe.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("card-form");
    if (!form) return;
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("card-save");
    var failed = form.dataset.failed;

    function fail(message) {
      errors.textContent = message || failed;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }

    if (typeof window.Stripe !== "function") {
      button.disabled = true;
      errors.textContent = failed;
      return;
    }
    var stripe = window.Stripe(form.dataset.publishableKey);
    var card = stripe.elements().create("card", { hidePostalCode: true });
    var holder = document.getElementById("card-element");
    holder.textContent = "";
    card.mount(holder);
    card.on("change", function (event) {
      errors.textContent = event.error ? event.error.message : "";
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      errors.textContent = "";
      fetch(form.dataset.setupUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok || !body.client_secret) throw { said: body.error };
            return stripe.confirmCardSetup(body.client_secret, {
              payment_method: { card: card },
            });
          });
        })
        .then(function (result) {
          if (result.error) throw { said: result.error.message };
          form.submit(); // the platform reads the new card back from Stripe
        })
        .catch(function (error) {
          // Only the platform's and Stripe's own words; anything else (no
          // network, a page instead of JSON) gets the page's message.
          fail(error && error.said);
        });
    });
  });
})();
