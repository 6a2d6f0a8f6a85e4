// An edit's detail page: the source and its result one over the other, and a slider (a
// range input, so arrows, Home and End work) that shows the source left of a line and
// the result right of it. Without this file the two stand side by side. Set through the
// CSSOM: the Content-Security-Policy forbids style attributes in markup, not this.
(function () {
  function set(figure, value) {
    const result = figure.querySelector("[data-before-after-result]");
    const line = figure.querySelector("[data-before-after-line]");
    const range = figure.querySelector("[data-before-after-range]");
    result.style.clipPath = "inset(0 0 0 " + value + "%)";
    line.style.left = value + "%";
    range.setAttribute("aria-valuetext", value + "% source, " + (100 - value) + "% result");
  }

  function init(root) {
    root.querySelectorAll("[data-before-after]:not(.is-slider)").forEach((figure) => {
      const range = figure.querySelector("[data-before-after-range]");
      if (!range) return;
      figure.classList.add("is-slider");
      figure.querySelector("[data-before-after-control]").hidden = false;
      set(figure, Number(range.value));
      range.addEventListener("input", () => set(figure, Number(range.value)));
    });
  }

  document.addEventListener("htmx:load", (event) => init(event.target));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document);
  }
})();
