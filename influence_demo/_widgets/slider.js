/* Slider over precomputed frames of influence_demo.interactive.slider.
 *
 * Every frame is already drawn (one <g class="idw-frame"> each); the slider only shows one
 * and hides the others, and writes that frame's precomputed numbers into the readouts.
 * The root element's data-state attribute holds the current frame as JSON.
 */
(function () {
  "use strict";
  var NS = (window.InfluenceDemo = window.InfluenceDemo || {});
  if (NS.slider) {
    return;
  }

  function init(root) {
    var frames = JSON.parse(root.getAttribute("data-frames"));
    var input = root.querySelector("input.idw-range");
    var groups = Array.prototype.slice.call(root.querySelectorAll(".idw-frame"));
    var label = root.querySelector("[data-out='label']");
    var cells = Array.prototype.slice.call(root.querySelectorAll("[data-stat]"));

    function show(k) {
      var f = frames[k];
      groups.forEach(function (g, j) {
        g.setAttribute("visibility", j === k ? "visible" : "hidden");
      });
      label.textContent = f.label;
      cells.forEach(function (c) {
        c.textContent = f.shown[c.getAttribute("data-stat")];
      });
      input.setAttribute("aria-valuetext", f.label);
      root.setAttribute("data-state", JSON.stringify({
        index: k, label: f.label, value: f.value, stats: f.stats
      }));
    }

    input.addEventListener("input", function () {
      show(parseInt(input.value, 10));
    });
    root.classList.add("idw-live");
    show(parseInt(input.value, 10));
  }

  NS.slider = { init: init };
})();
