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

  Array.prototype.forEach.call(document.querySelectorAll(".thumb[data-scrub-src]"), function (thumb) {
    var frame = thumb.querySelector(".scrub-frame");
    if (!frame || !Number(thumb.dataset.scrubCount)) return;
    thumb.addEventListener("pointermove", function (event) {
      show(thumb, frame, tileAt(thumb, event.clientX));
    });
    thumb.addEventListener("pointerleave", function () { hide(thumb, frame); });
    thumb.addEventListener("pointercancel", function () { hide(thumb, frame); });
    thumb.addEventListener("pointerup", function (event) {
      if (event.pointerType !== "mouse") hide(thumb, frame);
    });
  });
})();
