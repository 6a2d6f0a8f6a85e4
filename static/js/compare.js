// The compare page of a batch: ← and → go through its images (on a phone the grid is a
// swipeable strip, so the image is scrolled into view as well as focused).
(function () {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const grid = document.querySelector("[data-compare-grid]");
    if (!grid || (event.target.closest && event.target.closest("input, textarea, select"))) return;
    const items = Array.from(grid.querySelectorAll(".compare-item"));
    if (items.length === 0) return;
    const current = items.findIndex((item) => item.contains(document.activeElement));
    const step = event.key === "ArrowRight" ? 1 : -1;
    const start = current === -1 ? (step === 1 ? -1 : items.length) : current;
    const next = items[Math.min(Math.max(start + step, 0), items.length - 1)];
    next.focus();
    next.scrollIntoView({ behavior: "smooth", block: "nearest", inline: "center" });
    event.preventDefault();
  });
})();
