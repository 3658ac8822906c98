// Keeps the list page's running cards current without a reload. Every few seconds it
// asks /videos/status/?ids=<id>,<id> about all running cards at once (one request per
// poll, however many run), moves their badges, bars and estimates in place, and swaps
// in the server-rendered card (poster, length) when a video finishes. It stops asking
// when nothing runs, pauses while the tab is hidden, and backs off when a poll fails.
(function () {
  "use strict";
  var grid = document.querySelector("[data-statuses-url]");
  if (!grid) return;
  var url = grid.dataset.statusesUrl;
  var announcer = document.querySelector("[data-list-announcer]");

  function runningCards() {
    return Array.prototype.slice.call(grid.querySelectorAll(".video-card[data-running]"));
  }

  function promptOf(card) {
    var prompt = card.querySelector(".video-card-prompt");
    return prompt ? "“" + prompt.textContent.trim() + "”" : "A video";
  }

  function setStatusClass(element, status) {
    element.className = element.className.replace(/\bstatus-\S+/, "status-" + status);
  }

  // Running, and still running: the elements stay (no flicker, focus kept), their
  // contents change.
  function updateInPlace(card, state) {
    var changed = state.phase !== card.dataset.phase;
    card.dataset.phase = state.phase;
    var badge = card.querySelector("[data-card-badge]");
    if (badge) {
      badge.textContent = state.status_label;
      setStatusClass(badge, state.status);
    }
    var placeholder = card.querySelector("[data-card-placeholder]");
    if (placeholder) {
      placeholder.textContent = state.status_label;
      setStatusClass(placeholder, state.status);
    }
    var bar = card.querySelector("progress");
    if (bar) {
      bar.hidden = state.phase === "unconfirmed";
      // A bar without a value is indeterminate: the host reports no progress.
      if (bar.hasAttribute("value")) {
        bar.value = state.progress;
        bar.textContent = state.progress + "%";
      }
    }
    var estimate = card.querySelector("[data-card-estimate]");
    if (estimate) {
      estimate.textContent = state.estimate;
      estimate.hidden = !state.estimate;
    }
    return changed ? promptOf(card) + ": " + state.status_label + "." : "";
  }

  // Finished (or hidden by a moderator): the card the page itself would render now.
  function replace(card, state) {
    var template = document.createElement("template");
    template.innerHTML = state.html.trim();
    var fresh = template.content.firstElementChild;
    if (fresh) card.replaceWith(fresh);
    return promptOf(card) + ": " + state.status_label + ".";
  }

  // Not in the answer: the list shows every video of its owner, hidden ones included,
  // so one that is missing was deleted (in another tab, or by an admin).
  function markDeleted(card) {
    delete card.dataset.running;
    card.dataset.phase = "deleted";
    var badge = card.querySelector("[data-card-badge]");
    if (badge) {
      badge.textContent = "Deleted";
      setStatusClass(badge, "deleted");
    }
    var placeholder = card.querySelector("[data-card-placeholder]");
    if (placeholder) placeholder.textContent = "Deleted";
    card.querySelectorAll("progress, [data-card-estimate]").forEach(function (element) {
      element.remove();
    });
    return promptOf(card) + " was deleted.";
  }

  function apply(cards, videos) {
    var news = cards.map(function (card) {
      var state = videos[card.dataset.videoId];
      if (!state) return markDeleted(card);
      if (!state.running) return replace(card, state);
      return updateInPlace(card, state);
    }).filter(Boolean);
    if (announcer && news.length) announcer.textContent = news.join(" ");
  }

  // One request for every running card; the loop (poll-loop.js) backs off when it fails.
  function ask() {
    var cards = runningCards();
    var ids = cards.map(function (card) { return card.dataset.videoId; });
    return fetch(url + "?ids=" + ids.join(","), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        // Sent to the login page: the session ended; asking again will not help.
        if (response.redirected) loop.stop();
        if (response.status === 403) {
          return window.SoraPollLoop.leaveIfSuspended(response).then(function (left) {
            if (!left) throw new Error("status 403");
            loop.stop();
            return null;  // the page is leaving: nothing to apply
          });
        }
        if (!response.ok || response.redirected) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (data) apply(cards, data.videos || {});
      });
  }

  var loop = window.SoraPollLoop({
    ask: ask,
    wanted: function () { return runningCards().length > 0; },
    interval: 3000,
    maxDelay: 60000,
  });
})();
