/* Consent banner, progressive enhancement: without this script the banner's forms
   post and redirect back, and the next page shows a flashed confirmation; with it,
   the choice is sent with fetch, the banner hides in place and a confirmation shows
   where it was. Both are fixed at the bottom of the screen, so choosing never moves
   the page: focus goes to the main content without scrolling to it. */
(function () {
  "use strict";

  var script = document.currentScript;
  var banner = document.querySelector("[data-consent-banner]");
  var form = document.getElementById("consent-banner-form");
  if (!banner || !form || !window.fetch || !window.FormData) {
    return;
  }
  var main = document.getElementById("main");
  var saved = document.querySelector("[data-consent-saved]");
  var status = document.querySelector("[data-consent-status]");
  var dismiss = document.querySelector("[data-consent-dismiss]");
  var savedMessage = script ? script.getAttribute("data-saved-message") : "";
  var fallingBack = false;

  // The confirmation comes first in the main content, so that the first Tab after
  // a choice (focus is then on the main content) reaches its dismiss button.
  if (main && saved) {
    main.insertBefore(saved, main.firstChild);
  }

  function focusMain() {
    if (main) {
      main.focus({ preventScroll: true });
    }
  }

  function showSaved() {
    if (!saved || !status || !savedMessage) {
      return;
    }
    status.textContent = savedMessage;
    if (dismiss) {
      dismiss.hidden = false;
    }
    saved.classList.add("consent-saved--shown");
  }

  function hideSaved() {
    if (!saved || !saved.classList.contains("consent-saved--shown")) {
      return;
    }
    var hadFocus = saved.contains(document.activeElement);
    saved.classList.remove("consent-saved--shown");
    if (status) {
      status.textContent = "";
    }
    if (dismiss) {
      dismiss.hidden = true;
    }
    if (hadFocus) {
      focusMain();
    }
  }

  function hideBanner() {
    var hadFocus = banner.contains(document.activeElement);
    banner.hidden = true;
    showSaved();
    if (hadFocus) {
      focusMain();
    }
  }

  if (dismiss) {
    dismiss.addEventListener("click", hideSaved);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      hideSaved();
    }
  });

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
