// "Copy prompt" and the like: a button with data-copy-text puts that text on the
// clipboard and says so on the button for a moment. Listens on the document, so
// buttons in panels swapped in later (video-status.js) work too.
(function () {
  "use strict";

  function confirm(button, label) {
    var original = button.dataset.originalLabel || button.textContent;
    button.dataset.originalLabel = original;
    button.textContent = label;
    window.setTimeout(function () {
      button.textContent = original;
    }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-text]");
    if (!button) return;
    var text = button.dataset.copyText;
    if (!navigator.clipboard) {
      confirm(button, "Copy is not available here");
      return;
    }
    navigator.clipboard.writeText(text).then(
      function () {
        confirm(button, button.dataset.copiedLabel || "Copied");
      },
      function () {
        confirm(button, "Could not copy");
      }
    );
  });
})();
