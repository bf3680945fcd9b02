// Live progress of a campaign being sent: polls the JSON figures and updates the page.
// Progressive enhancement only: without JavaScript the page keeps its refresh link.
(function () {
  "use strict";

  var POLL_MS = 2000;

  function update(section, figures) {
    Object.keys(figures).forEach(function (name) {
      var cell = section.querySelector('[data-stat="' + name + '"]');
      if (cell) {
        cell.textContent = String(figures[name]);
      }
    });
    var bar = section.querySelector("progress");
    if (bar && typeof figures.total === "number") {
      bar.max = Math.max(figures.total, 1);
      bar.value = figures.total - (figures.queued || 0);
    }
  }

  function poll(section) {
    var url = section.getAttribute("data-progress-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (figures) {
        update(section, figures);
        if (!figures.done) {
          window.setTimeout(function () { poll(section); }, POLL_MS);
        } else {
          section.setAttribute("data-done", "true");
        }
      })
      .catch(function () {
        // Leave the manual refresh link as the way forward.
        section.setAttribute("data-poll-error", "true");
      });
  }

  document.querySelectorAll("[data-progress-url]").forEach(function (section) {
    window.setTimeout(function () { poll(section); }, POLL_MS);
  });
})();
