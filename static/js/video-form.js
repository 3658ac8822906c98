// The create form: offer only the sizes and lengths the chosen model makes (some
// lengths only at some sizes, or with a reference image), describe the model, show
// what the chosen length costs from today's quota and, when known, in money, and
// disable "Generate video" (saying why) when the length does not fit in what is left.
// It counts the prompt's characters, previews the reference image and checks its size,
// and shows "Submitting…" so a second press sends nothing. The server validates
// regardless, with the same words (they come from the form, in #form-messages).
(function () {
  "use strict";
  var data = document.getElementById("model-capabilities");
  var form = document.getElementById("video-form");
  if (!data || !form) return;
  var capabilities = JSON.parse(data.textContent);
  var labels = readJSON("reference-labels");
  var descriptions = readJSON("model-descriptions");
  var messages = readJSON("form-messages");
  var model = form.querySelector("[name=model]");
  var size = form.querySelector("[name=size]");
  var seconds = form.querySelector("[name=seconds]");
  var prompt = form.querySelector("[name=prompt]");
  var reference = form.querySelector("[name=input_reference]");
  var cost = document.getElementById("cost-seconds");
  var money = document.getElementById("cost-money");
  var moneyLine = document.getElementById("cost-money-line");
  var modelHelp = document.getElementById(model.id + "_helptext");
  var referenceLabel = reference && form.querySelector("label[for='" + reference.id + "']");
  var button = document.getElementById("generate-button");
  var reason = document.getElementById("quota-reason");
  var counter = document.getElementById("prompt-count");
  var counterValue = document.getElementById("prompt-count-value");
  var counterStatus = document.getElementById("prompt-count-status");
  var referenceCheck = document.getElementById("reference-check");
  var preview = document.getElementById("reference-preview");
  var previewImage = document.getElementById("reference-preview-image");
  var previewCaption = document.getElementById("reference-preview-caption");

  var buttonText = button ? button.textContent : "";
  var secondsLeft = reason ? parseInt(reason.dataset.secondsLeft, 10) : NaN;
  var quota = reason ? parseInt(reason.dataset.quota, 10) : NaN;
  var submitting = false;

  function readJSON(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : {};
  }

  // Python's str.format for the fields the messages use: {name} and {name:.1f}.
  function format(template, values) {
    return template.replace(/\{(\w+)(?::\.(\d+)f)?\}/g, function (match, key, digits) {
      var value = values[key];
      return digits ? Number(value).toFixed(parseInt(digits, 10)) : String(value);
    });
  }

  function describedBy(control, id, on) {
    var ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    var at = ids.indexOf(id);
    if (on && at === -1) ids.push(id);
    if (!on && at !== -1) ids.splice(at, 1);
    if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
    else control.removeAttribute("aria-describedby");
  }

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

  // The quota: the same sentence the page was rendered with, for the length chosen now.
  function quotaProblem(length) {
    if (isNaN(secondsLeft) || isNaN(length) || length <= secondsLeft) return "";
    var why = secondsLeft <= 0
      ? format(messages.quota_used_up, { quota: quota })
      : format(messages.quota_too_short, { seconds: length, left: secondsLeft });
    return why + " " + messages.quota_starts_over;
  }

  function updateButton() {
    if (!button) return;
    var problem = quotaProblem(parseInt(seconds.value, 10));
    // Only a changed sentence is written, so the live region speaks only on a change.
    if (reason && reason.textContent !== problem) reason.textContent = problem;
    button.disabled = submitting || problem !== "";
    button.textContent = submitting ? "Submitting…" : buttonText;
    form.setAttribute("aria-busy", submitting ? "true" : "false");
  }

  // The counter is read with the prompt (aria-describedby); a screen reader hears it
  // by itself only near the limit, once per hundred characters, not at every key.
  var lastAnnounced = null;
  function updateCounter() {
    if (!counter || !prompt) return;
    var limit = parseInt(prompt.getAttribute("maxlength"), 10);
    var length = Array.from(prompt.value).length;
    var left = limit - length;
    var near = length >= limit * 0.9;
    counterValue.textContent = String(length);
    counter.classList.toggle("char-count-near", near);
    var step = near ? Math.max(Math.ceil(left / 100) * 100, 0) : null;
    if (step === lastAnnounced) return;
    lastAnnounced = step;
    if (step === null) counterStatus.textContent = "";
    else if (left <= 0) counterStatus.textContent = "Character limit reached: " + limit + ".";
    else counterStatus.textContent = left + " characters left of " + limit + ".";
  }

  // The reference image: read in the page (a data: URL, which the CSP allows), shown,
  // and its pixels compared with the chosen size before anything is uploaded.
  var referenceSize = null;
  var referenceProblem = "";
  var reading = 0;
  var invalidFromServer = Boolean(reference) && reference.getAttribute("aria-invalid") === "true";

  function readReference() {
    var file = reference.files && reference.files[0];
    var current = ++reading;
    invalidFromServer = false; // the server spoke of the file chosen before
    referenceSize = null;
    referenceProblem = "";
    preview.hidden = true;
    previewImage.removeAttribute("src");
    if (!file) return checkReference();
    if (file.size > parseInt(referenceCheck.dataset.maxBytes, 10)) {
      referenceProblem = format(messages.reference_too_large, { size: file.size / 1024 / 1024 });
      return checkReference();
    }
    var reader = new FileReader();
    reader.addEventListener("load", function () {
      if (current === reading) previewImage.src = reader.result;
    });
    reader.addEventListener("error", function () {
      if (current !== reading) return;
      referenceProblem = messages.reference_unreadable;
      checkReference();
    });
    reader.readAsDataURL(file);
    checkReference();
  }

  function previewLoaded() {
    referenceSize = [previewImage.naturalWidth, previewImage.naturalHeight];
    previewCaption.textContent = referenceSize[0] + "×" + referenceSize[1] + " pixels";
    checkReference();
  }

  function previewFailed() {
    if (!previewImage.getAttribute("src")) return;
    referenceProblem = messages.reference_unreadable;
    checkReference();
  }

  function checkReference() {
    if (!reference || !referenceCheck) return;
    var message = reference.disabled ? "" : referenceProblem;
    if (!message && referenceSize && !reference.disabled) {
      var expected = size.value.split("x").map(Number);
      if (referenceSize[0] !== expected[0] || referenceSize[1] !== expected[1]) {
        message = format(messages.reference_wrong_size, {
          width: referenceSize[0],
          height: referenceSize[1],
          expected_width: expected[0],
          expected_height: expected[1],
        });
      }
    }
    preview.hidden = !referenceSize || reference.disabled;
    referenceCheck.textContent = message;
    referenceCheck.hidden = !message;
    describedBy(reference, referenceCheck.id, Boolean(message));
    if (message || invalidFromServer) reference.setAttribute("aria-invalid", "true");
    else reference.removeAttribute("aria-invalid");
  }

  function refresh() {
    var caps = capabilities[model.value];
    if (caps) {
      restrict(size, caps.sizes);
      restrict(seconds, allowedSeconds(caps));
      if (modelHelp) modelHelp.textContent = descriptions[model.value] || caps.description;
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
    updateButton();
    checkReference();
  }

  model.addEventListener("change", refresh);
  size.addEventListener("change", refresh);
  seconds.addEventListener("change", refresh);
  if (reference && referenceCheck && preview) {
    reference.addEventListener("change", readReference);
    previewImage.addEventListener("load", previewLoaded);
    previewImage.addEventListener("error", previewFailed);
  }
  if (reference) reference.addEventListener("change", refresh);
  if (prompt && counter) {
    counter.hidden = false;
    describedBy(prompt, counter.id, true);
    prompt.addEventListener("input", updateCounter);
    updateCounter();
  }

  // One press sends the form once: the button is disabled and says so until the next
  // page. A page restored from the back/forward cache gets its button back.
  form.addEventListener("submit", function (event) {
    if (submitting || (button && button.disabled)) {
      event.preventDefault();
      return;
    }
    submitting = true;
    updateButton();
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    submitting = false;
    refresh();
  });
  refresh();
})();
