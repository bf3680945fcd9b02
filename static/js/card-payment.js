// The card payment page. Nothing of Stripe loads until the shopper asks for the
// card field; then Stripe.js takes the card (confirmCardSetup sends it to Stripe,
// never to the shop), the shop's server charges the set-up card on the order's
// PaymentIntent, and Stripe.js runs 3-D Secure if the bank asks for it. The order
// becomes paid only when Stripe's signed event reaches the shop: the page then
// goes to the payment page, which waits for that and shows the order.
(function () {
  "use strict";

  var root = document.getElementById("card-payment");
  if (!root) {
    return;
  }
  var start = root.querySelector("[data-card-start]");
  var form = root.querySelector("[data-card-form]");
  var payButton = root.querySelector("[data-card-pay]");
  var message = root.querySelector("[data-card-message]");
  var stripe = null;
  var card = null;

  function say(text) {
    message.textContent = text || "";
  }

  function busy(isBusy) {
    payButton.disabled = isBusy;
    say(isBusy ? root.dataset.working : "");
    // Disabling the focused button dropped the keyboard's place: give it back.
    var focused = document.activeElement;
    if (!isBusy && (!focused || focused === document.body)) {
      payButton.focus();
    }
  }

  // The button just pressed is gone: take the keyboard to the card field. Stripe's
  // field is a frame, focused once ready; a stand-in's may be plain inputs.
  function focusCardField() {
    if (typeof card.focus === "function") {
      card.on("ready", function () {
        card.focus();
      });
      return;
    }
    var input = form.querySelector("#card-element input");
    if (input) {
      input.focus();
    }
  }

  // POST to the shop with the CSRF token; the answer is {state, message?, ...}.
  function ask(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": root.dataset.csrfToken,
      },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () {
        return { state: "failed" };
      });
    });
  }

  function loadStripe() {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.dataset.stripeJs;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function showCardField() {
    start.disabled = true;
    loadStripe()
      .then(function () {
        stripe = window.Stripe(root.dataset.publishableKey);
        // The card field speaks the page's language, not the browser's.
        var locale = document.documentElement.lang || "auto";
        card = stripe.elements({ locale: locale }).create("card");
        card.mount("#card-element");
        start.hidden = true;
        form.hidden = false;
        focusCardField();
      })
      .catch(function () {
        start.disabled = false;
        say(root.dataset.unreachable);
      });
  }

  // What the shop answered about the charge: go on, authenticate, or say why not.
  function follow(answer) {
    if (answer.state === "requires_action") {
      return stripe.confirmCardPayment(answer.client_secret).then(function () {
        window.location.assign(answer.next);
      });
    }
    if (answer.next) {
      window.location.assign(answer.next);
      return null;
    }
    busy(false);
    say(answer.message || root.dataset.failed);
    return null;
  }

  function pay(event) {
    event.preventDefault();
    busy(true);
    ask(root.dataset.setupUrl)
      .then(function (answer) {
        if (answer.state !== "ready") {
          return follow(answer);
        }
        return stripe
          .confirmCardSetup(answer.client_secret, { payment_method: { card: card } })
          .then(function (result) {
            if (result.error) {
              busy(false);
              say(root.dataset.declined);
              return null;
            }
            return ask(root.dataset.cardUrl, { setup_intent: result.setupIntent.id }).then(
              follow
            );
          });
      })
      .catch(function () {
        busy(false);
        say(root.dataset.unreachable);
      });
  }

  start.hidden = false;
  start.addEventListener("click", showCardField);
  form.addEventListener("submit", pay);
})();
