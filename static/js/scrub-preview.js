// Scrub previews on the list page: moving the pointer across a finished video's poster
// (or dragging a finger sideways on a phone) steps through its spritesheet, one tile
// per place. Without this script the poster simply stays, and the link still works.
(function () {
  "use strict";

  function tileAt(thumb, clientX) {
    var box = thumb.getBoundingClientRect();
    var fraction = Math.min(Math.max((clientX - box.left) / box.width, 0), 0.9999);
    return Math.floor(fraction * Number(thumb.dataset.scrubCount));
  }

  function show(thumb, frame, index) {
    var columns = Number(thumb.dataset.scrubColumns);
    var rows = Number(thumb.dataset.scrubRows);
    var column = index % columns;
    var row = Math.floor(index / columns);
    if (!frame.style.backgroundImage) {
      frame.style.backgroundImage = "url(\"" + thumb.dataset.scrubSrc + "\")";
      frame.style.backgroundSize = columns * 100 + "% " + rows * 100 + "%";
    }
    frame.style.backgroundPosition =
      (columns > 1 ? (column / (columns - 1)) * 100 : 0) + "% " +
      (rows > 1 ? (row / (rows - 1)) * 100 : 0) + "%";
    frame.hidden = false;
    thumb.dataset.scrubIndex = index;
  }

  function hide(thumb, frame) {
    frame.hidden = true;
    delete thumb.dataset.scrubIndex;
  }

  // Listens on the document, so a card the list's live updates swap in (a video that
  // just finished) scrubs too, without binding anything per card.
  function scrubbable(event) {
    var thumb = event.target.closest && event.target.closest(".thumb[data-scrub-src]");
    if (!thumb || !Number(thumb.dataset.scrubCount)) return null;
    var frame = thumb.querySelector(".scrub-frame");
    return frame ? { thumb: thumb, frame: frame } : null;
  }

  document.addEventListener("pointermove", function (event) {
    var found = scrubbable(event);
    if (found) show(found.thumb, found.frame, tileAt(found.thumb, event.clientX));
  });
  // pointerleave does not bubble; pointerout does (and fires when moving onto a child,
  // so only leaving the thumb itself hides the preview).
  document.addEventListener("pointerout", function (event) {
    var found = scrubbable(event);
    if (found && !found.thumb.contains(event.relatedTarget)) hide(found.thumb, found.frame);
  });
  document.addEventListener("pointercancel", function (event) {
    var found = scrubbable(event);
    if (found) hide(found.thumb, found.frame);
  });
  document.addEventListener("pointerup", function (event) {
    var found = scrubbable(event);
    if (found && event.pointerType !== "mouse") hide(found.thumb, found.frame);
  });
})();
