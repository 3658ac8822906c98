// The create form: offer only the sizes and lengths the chosen model makes (some
// lengths only at some sizes, or with a reference image), describe the model, and show
// what the chosen length costs from today's quota and, when known, in money. The
// server validates regardless.
(function () {
  "use strict";
  var data = document.getElementById("model-capabilities");
  var form = document.getElementById("video-form");
  if (!data || !form) return;
  var capabilities = JSON.parse(data.textContent);
  var model = form.querySelector("[name=model]");
  var size = form.querySelector("[name=size]");
  var seconds = form.querySelector("[name=seconds]");
  var reference = form.querySelector("[name=input_reference]");
  var cost = document.getElementById("cost-seconds");
  var money = document.getElementById("cost-money");
  var moneyLine = document.getElementById("cost-money-line");
  var description = document.getElementById("model-description");
  var labels = JSON.parse((document.getElementById("reference-labels") || {}).textContent || "{}");
  var referenceLabel = reference && form.querySelector("label[for='" + reference.id + "']");

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

  function allowedSeconds(caps) {
    var allowed = caps.seconds;
    var bySize = caps.seconds_by_size[size.value];
    if (bySize) allowed = allowed.filter(function (s) { return bySize.indexOf(s) !== -1; });
    var withReference = caps.seconds_with_reference;
    if (reference && reference.files && reference.files.length && withReference.length) {
      allowed = allowed.filter(function (s) { return withReference.indexOf(s) !== -1; });
    }
    return allowed.map(String);
  }

  function refresh() {
    var caps = capabilities[model.value];
    if (caps) {
      restrict(size, caps.sizes);
      restrict(seconds, allowedSeconds(caps));
      if (description) description.textContent = caps.description;
      if (reference) reference.disabled = caps.reference_image === "none";
      if (referenceLabel && labels[caps.reference_image]) {
        referenceLabel.textContent = labels[caps.reference_image] + ":";
      }
    }
    if (cost) cost.textContent = seconds.value;
    if (money && moneyLine) {
      var price = caps && caps.price_per_second !== null ? parseFloat(caps.price_per_second) : NaN;
      moneyLine.hidden = isNaN(price);
      if (!isNaN(price)) money.textContent = (price * parseInt(seconds.value, 10)).toFixed(2);
    }
  }

  model.addEventListener("change", refresh);
  size.addEventListener("change", refresh);
  seconds.addEventListener("change", refresh);
  if (reference) reference.addEventListener("change", refresh);
  refresh();
})();
