// Live progress of a campaign: polls the JSON figures and updates the page; while
// the campaign is still being queued, asks the server to queue the next part.
// Progressive enhancement only: without JavaScript the page keeps its refresh link
// and its "Continue queuing" button.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var QUEUE_AGAIN_MS = 100;

  function getJSON(url, options) {
    var settings = options || {};
    settings.credentials = "same-origin";
    settings.headers = { Accept: "application/json" };
    return fetch(url, settings).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function update(section, figures) {
    Object.keys(figures).forEach(function (name) {
      section.querySelectorAll('[data-stat="' + name + '"]').forEach(function (cell) {
        cell.textContent = String(figures[name]);
      });
    });
    var bar = section.querySelector("progress");
    if (bar) {
      bar.max = Math.max(figures.confirmed || figures.total, 1);
      bar.value = figures.total - figures.queued;
    }
    var queuing = section.querySelector("[data-queuing]");
    if (queuing) {
      queuing.hidden = !figures.queuing;
    }
    section.querySelectorAll("[data-when-done]").forEach(function (node) {
      node.hidden = !figures.done;
    });
    section.querySelectorAll("[data-until-done]").forEach(function (node) {
      node.hidden = figures.done;
    });
  }

  function queueNextPart(section) {
    var form = section.querySelector("form[data-continue-queuing]");
    if (!form) {
      return Promise.resolve(null);
    }
    return getJSON(form.action, { method: "POST", body: new FormData(form) });
  }

  function poll(section) {
    getJSON(section.getAttribute("data-progress-url"))
      .then(function (figures) {
        update(section, figures);
        if (figures.queuing) {
          return queueNextPart(section).then(function (after) {
            if (after) {
              update(section, after);
            }
            window.setTimeout(function () { poll(section); }, QUEUE_AGAIN_MS);
          });
        }
        if (figures.done) {
          section.setAttribute("data-done", "true");
        } else {
          window.setTimeout(function () { poll(section); }, POLL_MS);
        }
      })
      .catch(function () {
        // Leave the refresh link and the button as the way forward.
        section.setAttribute("data-poll-error", "true");
      });
  }

  document.querySelectorAll("[data-progress-url]").forEach(function (section) {
    window.setTimeout(function () { poll(section); }, POLL_MS);
  });
})();
