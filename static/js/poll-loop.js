// The one poll loop of the pages that follow running videos (list-status.js and
// video-status.js): it calls `ask` every `interval` ms while `wanted()` says so, never
// two at once; after an ask that fails (its promise rejects: a deploy, a network blip)
// it waits twice as long, up to `maxDelay`, and after one that works, `interval` again.
// A hidden tab asks nothing; shown again, it catches up at once. `stop()` ends it.
(function () {
  "use strict";

  window.SoraPollLoop = function (options) {
    var ask = options.ask;
    var wanted = options.wanted || function () { return true; };
    var delay = options.interval;
    var timer = null;
    var asking = false;
    var stopped = false;

    function ready() {
      return !stopped && !asking && !document.hidden && wanted();
    }

    function schedule(wait) {
      window.clearTimeout(timer);
      timer = null;
      if (ready()) timer = window.setTimeout(run, wait);
    }

    function run() {
      timer = null;
      if (!ready()) return;
      asking = true;
      Promise.resolve()
        .then(ask)
        .then(
          function () { delay = options.interval; },
          function () { delay = Math.min(delay * 2, options.maxDelay); }
        )
        .finally(function () {
          asking = false;
          schedule(delay);
        });
    }

    document.addEventListener("visibilitychange", function () {
      if (document.hidden) {
        window.clearTimeout(timer);
        timer = null;
      } else {
        schedule(0);
      }
    });

    schedule(options.interval);
    return {
      stop: function () {
        stopped = true;
        window.clearTimeout(timer);
        timer = null;
      },
    };
  };

  // A suspended account's session answers the page's own requests 403 with the page
  // that says why (accounts/banned.py): the whole page goes there. Resolves to whether
  // it did; any other answer is left to the caller, unread.
  window.SoraPollLoop.leaveIfSuspended = function (response) {
    if (response.status !== 403) return Promise.resolve(false);
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!data.location) return false;
      window.location.assign(data.location);
      return true;
    });
  };
})();
