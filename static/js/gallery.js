// The gallery-level poll asks only about cards still in flight, and not at all once
// everything is done. Done here, not in an hx-trigger filter or js: hx-vals: those need
// eval, which the Content-Security-Policy forbids (htmx runs with allowEval off).
// Each card says which version of its row it shows: the server answers 204 when none moved.
function studioInFlightCards() {
  return Array.from(
    document.querySelectorAll('#gallery [data-state="pending"], #gallery [data-state="queued"], #gallery [data-state="processing"]'),
  );
}

document.addEventListener("htmx:configRequest", (event) => {
  if (!event.detail.elt || event.detail.elt.id !== "gallery-poller") return;
  const cards = studioInFlightCards();
  if (cards.length === 0) {
    event.preventDefault();
    return;
  }
  event.detail.parameters.ids = cards.map((el) => el.dataset.generationId).join(",");
  event.detail.parameters.versions = cards.map((el) => el.dataset.version || "").join(",");
});

// On a phone the gallery sits below the long form: bring a newly added card into view.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && target.id === "gallery" && window.matchMedia("(max-width: 860px)").matches) {
    const card = target.querySelector("[data-generation-id]");
    if (card && event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
      card.scrollIntoView({ behavior: "smooth", block: "center" });
    }
  }
});

// htmx swaps nothing on an error status or a dropped connection: say so instead of silence.
(function () {
  function toast(text) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(() => { box.hidden = true; }, 10000);
  }
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    const body = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain") ? xhr.responseText : "";
    toast(body || `The studio answered with an error (HTTP ${xhr.status}). Nothing you typed was lost: try again.`);
  });
  // "Use as reference" adds the image to the form; on a phone the form is on the other tab,
  // so say where it went.
  document.addEventListener("htmx:afterSwap", (event) => {
    const elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!elt || !elt.matches || !elt.matches("[data-use-reference]")) return;
    const panel = document.getElementById("composer-panel");
    const box = panel && panel.getBoundingClientRect();
    const seen = box && box.width > 0 && box.bottom > 0 && box.top < window.innerHeight;
    if (!seen) toast("Added to the reference images: they are in the Create tab.");
  });
  document.addEventListener("htmx:sendError", () => {
    toast("The studio could not be reached. Check the connection; nothing you typed was lost.");
  });
})();

// Starring swaps the whole card: focus goes back to the same place in the new card (the
// star when it was the star; the prompt link when `f` was pressed there, so Enter still
// opens the card instead of un-starring it).
(function () {
  const PLACES = [".star", ".prompt a", ".card-media", "[data-select]"];
  let before = null; // { card: id, place: selector or "" for the card itself }
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt;
    if (!form || !form.classList || !form.classList.contains("star-form")) return;
    const card = form.closest("[data-generation-id]");
    const active = document.activeElement;
    let place = ".star";
    if (card && active && card.contains(active)) {
      place = PLACES.find((selector) => active.matches(selector)) || (active === card ? "" : ".star");
    }
    before = card ? { card: card.id, place: place } : null;
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    const form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!form || !form.classList || !form.classList.contains("star-form") || !before) return;
    const card = document.getElementById(before.card);
    const target = card && (before.place ? card.querySelector(before.place) : card);
    before = null;
    if (target) target.focus({ preventScroll: true });
  });
})();

// "Load more" from the keyboard: the button is replaced by the new cards, so focus would
// fall to <body>. Move it to the first new card instead.
(function () {
  let pending = null; // { elt: the Load more link, count: cards before it }
  document.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("#load-more")) {
      pending = { elt: elt, count: document.querySelectorAll("#gallery [data-generation-id]").length };
    }
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!pending || !event.detail.requestConfig || event.detail.requestConfig.elt !== pending.elt) return;
    const card = document.querySelectorAll("#gallery [data-generation-id]")[pending.count];
    pending = null;
    const link = card && card.querySelector(".prompt a");
    if (link) link.focus();
  });
})();

// Back from a detail page: the address (with `through=`) redraws every loaded card; bring
// the card that was opened into view and give it focus.
(function () {
  const KEY = "studio.opened-card";
  document.addEventListener("click", (event) => {
    const card = event.target.closest && event.target.closest("#gallery [data-generation-id]");
    if (card && event.target.closest("a")) {
      try { sessionStorage.setItem(KEY, JSON.stringify({ url: location.pathname + location.search, id: card.id })); } catch (e) { /* private mode */ }
    }
  });
  window.addEventListener("pageshow", () => {
    let opened = null;
    try { opened = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { opened = null; }
    if (!opened || opened.url !== location.pathname + location.search) return;
    const nav = performance.getEntriesByType("navigation")[0];
    if (nav && nav.type !== "back_forward") return;
    const card = document.getElementById(opened.id);
    if (!card) return;
    const box = card.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) card.scrollIntoView({ block: "center" });
    const link = card.querySelector(".prompt a");
    if (link) link.focus({ preventScroll: true });
  });
})();

// Times in the person's own time zone (the server writes UTC into <time datetime>), and a
// card's elapsed seconds ticking between polls (counted from what the server last drew,
// so a wrong clock here does not matter).
(function () {
  // The server's one format ("7 Dec 2026, 14:05 UTC"), in this reader's zone, named.
  const parts = { day: "numeric", month: "short", year: "numeric", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
  const format = new Intl.DateTimeFormat("en-GB", parts);
  const withSeconds = new Intl.DateTimeFormat("en-GB", { ...parts, second: "2-digit" });
  const seen = new WeakMap();
  function localise(root) {
    root.querySelectorAll("time[data-local-time]").forEach((node) => {
      const when = new Date(node.getAttribute("datetime"));
      const shown = node.hasAttribute("data-seconds") ? withSeconds : format;
      if (!isNaN(when)) node.textContent = shown.format(when);
    });
  }
  function tick() {
    document.querySelectorAll(".elapsed[data-started]").forEach((node) => {
      let start = seen.get(node);
      if (!start) {
        start = { base: parseInt(node.textContent, 10) || 0, at: Date.now() };
        seen.set(node, start);
      }
      node.textContent = (start.base + Math.floor((Date.now() - start.at) / 1000)) + " s";
    });
  }
  document.addEventListener("htmx:load", (event) => localise(event.target));
  document.addEventListener("DOMContentLoaded", () => { localise(document); tick(); });
  window.setInterval(tick, 1000);
})();
