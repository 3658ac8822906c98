// Keeps a video's status panel current: polls /videos/<id>/status/ every couple of
// seconds while the video is being made, moves the progress bar, and swaps in the
// server-rendered panel (player, error, remix form) when the status changes. It stops
// for good once the video is done, hidden by a moderator or deleted (and says so),
// pauses while the tab is hidden, and backs off when a poll fails.
//
// The panel is a polite live region: screen readers hear each new panel (a status
// change), but not the percent and elapsed time that change every second or two.
(function () {
  "use strict";
  var panel = document.getElementById("status-panel");
  if (!panel) return;
  var url = panel.dataset.statusUrl;
  // "/videos/<id>/status/" without "<id>/status/": the list, "My videos".
  var listUrl = url.replace(/[^/]+\/status\/$/, "");
  var GONE = "This video is no longer available: it was deleted, or hidden by a moderator.";
  var ticker = null;
  var loop = null;

  // Parts that change every second or two are read when asked for, not announced.
  function quiet() {
    panel.querySelectorAll("[data-progress-text], [data-started-at]").forEach(function (part) {
      part.setAttribute("aria-live", "off");
    });
  }

  function swap(data) {
    panel.dataset.status = data.status;
    panel.dataset.phase = data.phase;
    panel.innerHTML = data.html;
    quiet();
  }

  function update(data) {
    if (data.hidden || data.phase !== panel.dataset.phase) {
      swap(data);
      return;
    }
    var bar = panel.querySelector("progress");
    // A bar without a value is indeterminate: the host reports no progress.
    if (bar && bar.hasAttribute("value")) bar.value = data.progress;
    var text = panel.querySelector("[data-progress-text]");
    if (text) text.textContent = data.progress + "%";
    var estimate = panel.querySelector("[data-estimate]");
    var estimateLine = panel.querySelector("[data-estimate-line]");
    if (estimate && estimateLine) {
      estimate.textContent = data.estimate;
      estimateLine.hidden = !data.estimate;
    }
  }

  function stop() {
    if (loop) loop.stop();
    window.clearInterval(ticker);
  }

  // The video is gone, or this session is: say so in the panel, with a way on.
  function tellGone(message, linkText, href) {
    stop();
    panel.dataset.status = "gone";
    panel.dataset.phase = "gone";
    var box = document.createElement("div");
    box.className = "message message-warning";
    var strong = document.createElement("strong");
    strong.textContent = message;
    var line = document.createElement("p");
    var link = document.createElement("a");
    link.href = href;
    link.textContent = linkText;
    line.appendChild(link);
    box.appendChild(strong);
    box.appendChild(line);
    panel.replaceChildren(box);
  }

  // Elapsed time ticks every second between polls, from when the host took the video.
  function tick() {
    var line = panel.querySelector("[data-started-at]");
    var elapsed = line && line.querySelector("[data-elapsed]");
    var started = line && Number(line.dataset.startedAt);
    if (elapsed && started) {
      var seconds = Math.max(0, Math.floor(Date.now() / 1000 - started));
      elapsed.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    }
  }

  // One request for this video; the loop (poll-loop.js) backs off when it fails.
  function ask() {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected) {
          tellGone("You are logged out.", "Log in again to follow this video", window.location.href);
          return;
        }
        if (response.status === 403) {
          return window.SoraPollLoop.leaveIfSuspended(response).then(function (left) {
            if (!left) throw new Error("status 403");
            stop();
          });
        }
        if (response.status === 404) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            tellGone(data.error || GONE, "Back to My videos", listUrl);
          });
        }
        if (!response.ok) throw new Error("status " + response.status);
        return response.json().then(function (data) {
          update(data);
          // Done, failed, expired, or hidden by a moderator: nothing more will change.
          if (!data.live) stop();
        });
      });
  }

  quiet();
  // The server marks a video worth polling (data-live): being made and not hidden.
  if (!("live" in panel.dataset)) return;
  ticker = window.setInterval(tick, 1000);
  loop = window.SoraPollLoop({ ask: ask, interval: 2000, maxDelay: 30000 });
})();
