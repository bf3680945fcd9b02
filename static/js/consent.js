/* Consent banner, progressive enhancement: without this script the banner's forms
   post and redirect back; with it, the choice is sent with fetch and the banner
   hides in place, without reloading the page. */
(function () {
  "use strict";

  var script = document.currentScript;
  var banner = document.querySelector("[data-consent-banner]");
  var form = document.getElementById("consent-banner-form");
  if (!banner || !form || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.querySelector("[data-consent-status]");
  var savedMessage = script ? script.getAttribute("data-saved-message") : "";
  var fallingBack = false;

  function hideBanner() {
    banner.hidden = true;
    if (status && savedMessage) {
      status.textContent = savedMessage;
    }
    var main = document.getElementById("main");
    if (main && banner.contains(document.activeElement)) {
      main.focus();
    }
  }

  form.addEventListener("submit", function (event) {
    if (fallingBack) {
      return; // the plain form post, after fetch failed
    }
    event.preventDefault();
    var submitter = event.submitter;
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("consent not saved: " + response.status);
        }
        hideBanner();
      })
      .catch(function () {
        fallingBack = true;
        if (form.requestSubmit) {
          form.requestSubmit(submitter);
        } else {
          form.submit();
        }
      });
  });
})();
