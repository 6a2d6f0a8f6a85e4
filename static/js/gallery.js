// The gallery-level poll asks only about cards still in flight, and not at all once
// everything is done. Done here, not in an hx-trigger filter or js: hx-vals: those need
// eval, which the Content-Security-Policy forbids (htmx runs with allowEval off).
function studioInFlightIds() {
  return Array.from(
    document.querySelectorAll('#gallery [data-state="pending"], #gallery [data-state="queued"], #gallery [data-state="processing"]'),
    (el) => el.dataset.generationId,
  );
}

document.addEventListener("htmx:configRequest", (event) => {
  if (!event.detail.elt || event.detail.elt.id !== "gallery-poller") return;
  const ids = studioInFlightIds();
  if (ids.length === 0) {
    event.preventDefault();
    return;
  }
  event.detail.parameters.ids = ids.join(",");
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
  document.addEventListener("htmx:sendError", () => {
    toast("The studio could not be reached. Check the connection; nothing you typed was lost.");
  });
})();

// Starring swaps the whole card: give keyboard focus back to the new star.
document.addEventListener("htmx:afterSwap", (event) => {
  const form = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (!form || !form.classList || !form.classList.contains("star-form")) return;
  const card = document.getElementById(event.detail.target.id);
  const star = card && card.querySelector(".star");
  if (star) star.focus();
});
