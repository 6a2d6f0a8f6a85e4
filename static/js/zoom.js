// Zoom and pan in the viewer (static/js/viewer.js draws the image): the wheel and a pinch
// zoom around the pointer, a double click or double tap toggles 1× / 2.5×, the keys + − 0
// zoom in, out and back to fit, and a drag pans a zoomed image. The buttons in the
// viewer's bar do the same for people who use neither. The transform is set through the
// CSSOM (the Content-Security-Policy forbids style attributes in markup, not this).
(function () {
  const MIN = 1;
  const MAX = 8;
  const STEP = 1.5;
  const state = { scale: 1, x: 0, y: 0 };
  const pointers = new Map();
  let pinch = null;
  let drag = null;

  function box() { return document.getElementById("viewer"); }
  function frame() { const b = box(); return b && b.querySelector("[data-viewer-frame]"); }
  function image() { const b = box(); return b && b.querySelector("[data-viewer-image]"); }

  // Keep the picture over the frame: a zoomed image may not be dragged out of sight.
  function clamp() {
    const f = frame();
    if (!f) return;
    const maxX = (f.clientWidth * (state.scale - 1)) / 2;
    const maxY = (f.clientHeight * (state.scale - 1)) / 2;
    state.x = Math.min(maxX, Math.max(-maxX, state.x));
    state.y = Math.min(maxY, Math.max(-maxY, state.y));
  }

  function apply() {
    const img = image();
    const b = box();
    if (!img || !b) return;
    clamp();
    const zoomed = state.scale > 1.001;
    img.style.transform = zoomed
      ? "translate(" + state.x + "px, " + state.y + "px) scale(" + state.scale + ")"
      : "";
    b.classList.toggle("is-zoomed", zoomed);
    if (zoomed) b.dataset.zoomed = ""; else delete b.dataset.zoomed;
    const level = b.querySelector("[data-zoom-level]");
    if (level) level.textContent = Math.round(state.scale * 100) + "%";
    const out = b.querySelector('[data-zoom="out"]');
    const reset = b.querySelector('[data-zoom="reset"]');
    const into = b.querySelector('[data-zoom="in"]');
    if (out) out.disabled = !zoomed;
    if (reset) reset.disabled = !zoomed;
    if (into) into.disabled = state.scale >= MAX;
  }

  function reset() {
    state.scale = 1; state.x = 0; state.y = 0;
    apply();
  }

  // Zoom to `scale`, keeping the point (cx, cy) of the screen where it is.
  function zoomTo(scale, cx, cy) {
    const f = frame();
    if (!f) return;
    const next = Math.min(MAX, Math.max(MIN, scale));
    const rect = f.getBoundingClientRect();
    const px = (cx === undefined ? rect.left + rect.width / 2 : cx) - (rect.left + rect.width / 2);
    const py = (cy === undefined ? rect.top + rect.height / 2 : cy) - (rect.top + rect.height / 2);
    const ratio = next / state.scale;
    state.x = px - (px - state.x) * ratio;
    state.y = py - (py - state.y) * ratio;
    state.scale = next;
    if (next === MIN) { state.x = 0; state.y = 0; }
    apply();
  }

  function isOpen() { const b = box(); return !!(b && b.open); }
  function inFrame(target) { const f = frame(); return !!(f && target && f.contains(target)); }

  document.addEventListener("wheel", (event) => {
    if (!isOpen() || !inFrame(event.target)) return;
    event.preventDefault();
    const factor = Math.exp(-event.deltaY / 300);
    zoomTo(state.scale * factor, event.clientX, event.clientY);
  }, { passive: false });

  document.addEventListener("dblclick", (event) => {
    if (!isOpen() || !inFrame(event.target)) return;
    event.preventDefault();
    if (state.scale > 1.001) reset(); else zoomTo(2.5, event.clientX, event.clientY);
  });

  document.addEventListener("keydown", (event) => {
    if (!isOpen() || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    if (event.key === "+" || event.key === "=") zoomTo(state.scale * STEP);
    else if (event.key === "-" || event.key === "_" || event.key === "−") zoomTo(state.scale / STEP);
    else if (event.key === "0") reset();
    else return;
    event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("#viewer [data-zoom]");
    if (!button) return;
    const how = button.dataset.zoom;
    if (how === "in") zoomTo(state.scale * STEP);
    else if (how === "out") zoomTo(state.scale / STEP);
    else reset();
  });

  // Pointers: two on the frame pinch, one drags a zoomed image.
  document.addEventListener("pointerdown", (event) => {
    if (!isOpen() || !inFrame(event.target)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2) {
      const [a, b] = Array.from(pointers.values());
      pinch = { distance: Math.hypot(a.x - b.x, a.y - b.y) || 1, scale: state.scale };
      drag = null;
    } else if (pointers.size === 1 && state.scale > 1.001) {
      drag = { x: event.clientX - state.x, y: event.clientY - state.y };
      event.preventDefault();
    }
  });

  document.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && pointers.size === 2) {
      const [a, b] = Array.from(pointers.values());
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      zoomTo(pinch.scale * (distance / pinch.distance), (a.x + b.x) / 2, (a.y + b.y) / 2);
    } else if (drag) {
      state.x = event.clientX - drag.x;
      state.y = event.clientY - drag.y;
      apply();
    }
  });

  function lift(event) {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size === 0) drag = null;
  }
  document.addEventListener("pointerup", lift);
  document.addEventListener("pointercancel", lift);

  // Another image, or the viewer closed: back to fit.
  document.addEventListener("load", (event) => {
    if (event.target.matches && event.target.matches("[data-viewer-image]")) reset();
  }, true);
  document.addEventListener("close", (event) => {
    if (event.target.id === "viewer") reset();
  }, true);
})();
