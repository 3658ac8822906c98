// The create form: offer only the sizes and lengths the chosen model makes, and show
// what the chosen length costs from today's quota. The server validates regardless.
(function () {
  "use strict";
  var data = document.getElementById("model-capabilities");
  var form = document.getElementById("video-form");
  if (!data || !form) return;
  var capabilities = JSON.parse(data.textContent);
  var model = form.querySelector("[name=model]");
  var size = form.querySelector("[name=size]");
  var seconds = form.querySelector("[name=seconds]");
  var cost = document.getElementById("cost-seconds");

  function restrict(select, allowed) {
    var firstAllowed = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var ok = allowed.indexOf(option.value) !== -1;
      option.disabled = !ok;
      option.hidden = !ok;
      if (ok && firstAllowed === null) firstAllowed = option.value;
    });
    if (select.selectedOptions.length && select.selectedOptions[0].disabled && firstAllowed) {
      select.value = firstAllowed;
    }
  }

  function refresh() {
    var caps = capabilities[model.value];
    if (caps) {
      restrict(size, caps.sizes);
      restrict(seconds, caps.seconds.map(String));
    }
    if (cost) cost.textContent = seconds.value;
  }

  model.addEventListener("change", refresh);
  seconds.addEventListener("change", refresh);
  refresh();
})();
