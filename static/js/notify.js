// Browser notifications when a job of yours ends while this tab is hidden (issue: people
// leave the tab during a 10-90 s job). The person turns them on with the "Notify me" button;
// the browser's permission is asked only then, after that click. One notification per job,
// or one per batch ("4 images ready"), once every card of the batch has ended. Clicking it
// brings the tab forward and opens the card. While notifications are on, a hidden tab keeps
// the gallery's poll at one check every 15 s and nothing more.
(function () {
  const KEY = "studio.notify";
  const HIDDEN_CHECK_MS = 15000;
  const FINAL = new Set(["completed", "failed"]);
  const known = new Map(); // generation id -> the state last seen
  const waiting = new Map(); // batch id -> true while some of its cards ended hidden
  let lastHiddenCheck = 0;

  function supported() {
    return "Notification" in window;
  }
  function on() {
    try { return supported() && localStorage.getItem(KEY) === "on" && Notification.permission === "granted"; } catch (e) { return false; }
  }
  function ownGallery() {
    const poller = document.getElementById("gallery-poller");
    return poller && !(poller.getAttribute("hx-get") || "").includes("team=");
  }

  function label(button) {
    const active = on();
    button.setAttribute("aria-pressed", active ? "true" : "false");
    button.textContent = active ? "Notifications on" : "Notify me when jobs end";
    button.title = Notification.permission === "denied"
      ? "Notifications are blocked for this site in your browser's settings."
      : "";
  }

  function addButton() {
    const head = document.querySelector("#gallery-panel .gallery-head");
    if (!head || !supported() || !ownGallery() || document.getElementById("notify-toggle")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.id = "notify-toggle";
    button.className = "small";
    label(button);
    button.addEventListener("click", () => {
      if (on()) {
        try { localStorage.setItem(KEY, "off"); } catch (e) { /* private mode */ }
        label(button);
        return;
      }
      Notification.requestPermission().then((answer) => {
        if (answer === "granted") {
          try { localStorage.setItem(KEY, "on"); } catch (e) { /* private mode */ }
        }
        label(button);
      });
    });
    head.querySelector("h2").after(button);
  }

  function cards() {
    return Array.from(document.querySelectorAll("#gallery [data-generation-id]"));
  }

  function prompt(card) {
    const el = card.querySelector(".prompt");
    return el ? el.textContent.trim().slice(0, 120) : "";
  }

  function openCard(id) {
    window.focus();
    const card = document.getElementById("gen-" + id);
    if (!card) return;
    card.scrollIntoView({ block: "center" });
    const media = card.querySelector("a.card-media[data-viewer-src]");
    const link = card.querySelector(".prompt a");
    if (media) media.click();
    else if (link) link.focus();
  }

  function show(title, body, id, tag) {
    const n = new Notification(title, { body: body, tag: tag });
    n.onclick = () => { n.close(); openCard(id); };
  }

  function notifyOne(card) {
    const failed = card.dataset.state === "failed";
    const reason = card.querySelector(".failure");
    show(
      failed ? "Your image failed" : "Your image is ready",
      failed ? (reason ? reason.textContent.trim() : card.dataset.failureCode || "") : prompt(card),
      card.dataset.generationId,
      "studio-gen-" + card.dataset.generationId,
    );
  }

  function notifyBatch(batchId) {
    const members = cards().filter((c) => c.dataset.batchId === batchId);
    const ready = members.filter((c) => c.dataset.state === "completed");
    const failed = members.length - ready.length;
    let title = ready.length === 1 ? "1 image ready" : ready.length + " images ready";
    if (failed) title += ", " + failed + " failed";
    const first = members.slice().sort((a, b) => a.dataset.batchPosition - b.dataset.batchPosition)[0];
    const reason = members.map((c) => c.querySelector(".failure")).find(Boolean);
    show(title, failed && reason ? reason.textContent.trim() : prompt(first), first.dataset.generationId, "studio-batch-" + batchId);
  }

  // Compare every card with the state last seen: those that just ended are told about (if the
  // tab is hidden and notifications are on); a batch once its last card has ended.
  function scan() {
    const ended = [];
    for (const card of cards()) {
      const id = card.dataset.generationId;
      const before = known.get(id);
      known.set(id, card.dataset.state);
      if (before && !FINAL.has(before) && FINAL.has(card.dataset.state)) ended.push(card);
    }
    if (!on()) return;
    for (const card of ended) {
      if (card.dataset.batchId) {
        if (document.hidden) waiting.set(card.dataset.batchId, true);
      } else if (document.hidden) {
        notifyOne(card);
      }
    }
    for (const batchId of Array.from(waiting.keys())) {
      const members = cards().filter((c) => c.dataset.batchId === batchId);
      if (members.every((c) => FINAL.has(c.dataset.state))) {
        waiting.delete(batchId);
        notifyBatch(batchId);
      }
    }
  }

  let pending = null;
  function soon() {
    clearTimeout(pending);
    pending = setTimeout(scan, 100);
  }

  // Hidden and notifying: the gallery's poll at most every 15 s (gallery.js sends it every 2 s).
  document.addEventListener("htmx:configRequest", (event) => {
    if (!event.detail.elt || event.detail.elt.id !== "gallery-poller") return;
    if (!document.hidden || !on()) return;
    const now = Date.now();
    if (now - lastHiddenCheck < HIDDEN_CHECK_MS) {
      event.preventDefault();
      return;
    }
    lastHiddenCheck = now;
  });

  document.addEventListener("DOMContentLoaded", () => {
    addButton();
    scan();
    const gallery = document.getElementById("gallery");
    if (gallery) {
      new MutationObserver(soon).observe(gallery, {
        subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"],
      });
    }
  });
})();
