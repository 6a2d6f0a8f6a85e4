// The full-screen viewer of a gallery (the studio's and a team's), "Use as reference" and
// "Copy prompt" (issue 7). A completed card's image link opens the <dialog id="viewer">
// instead of the detail page it points at (so it still works without this file); ← / →
// and a swipe move through the cards loaded in that gallery, Esc closes and gives focus
// back to the card. No inline code or eval: the Content-Security-Policy forbids both.
(function () {
  const CARD = "#gallery [data-generation-id]";
  let currentId = null;

  function viewer() { return document.getElementById("viewer"); }
  function cardOf(id) { return document.getElementById("gen-" + id); }
  function viewable() {
    return Array.from(document.querySelectorAll(CARD)).filter((c) => c.querySelector("[data-viewer-src]"));
  }
  function promptOf(card) {
    const copy = card.querySelector("[data-copy-prompt]");
    const text = card.querySelector(".prompt");
    return copy ? copy.dataset.copyPrompt : (text ? text.textContent.trim() : "");
  }

  // The card's own actions, live: a copy whose ids are renamed (the card keeps its own),
  // handed to htmx so that its forms post as the card's do.
  function drawActions(box, card) {
    const slot = box.querySelector("[data-viewer-actions]");
    slot.replaceChildren();
    const actions = card.querySelector(".card-actions");
    if (!actions) return;
    const copy = actions.cloneNode(true);
    copy.querySelectorAll("[id]").forEach((el) => { el.id = "viewer-" + el.id; });
    copy.querySelectorAll("label[for]").forEach((el) => { el.htmlFor = "viewer-" + el.htmlFor; });
    copy.querySelectorAll(".card-more").forEach((menu) => { menu.open = true; });
    copy.querySelectorAll("[data-copy-prompt]").forEach((b) => { b.textContent = "Copy prompt"; b.classList.remove("copied"); });
    slot.appendChild(copy);
    if (window.htmx) window.htmx.process(copy);
    unhideCopyButtons(copy);
  }

  function show(card) {
    const box = viewer();
    const link = card && card.querySelector("[data-viewer-src]");
    if (!box || !link) return;
    currentId = card.dataset.generationId;
    const all = viewable();
    const index = all.indexOf(card);
    // Made here, not in the page: an <img> without a source is no image to show.
    let img = box.querySelector("[data-viewer-image]");
    if (!img) {
      img = document.createElement("img");
      img.className = "viewer-image";
      img.setAttribute("data-viewer-image", "");
      box.querySelector("[data-viewer-frame]").appendChild(img);
    }
    img.src = link.dataset.viewerSrc;
    img.width = Number(link.dataset.viewerWidth) || 0;
    img.height = Number(link.dataset.viewerHeight) || 0;
    img.alt = promptOf(card);
    box.dataset.generationId = currentId;
    box.querySelector("[data-viewer-prompt]").textContent = promptOf(card);
    box.querySelector("[data-viewer-position]").textContent = (index + 1) + " of " + all.length;
    box.querySelector("[data-viewer-detail]").href = link.getAttribute("href");
    box.querySelector('[data-viewer-step="-1"]').disabled = index <= 0;
    box.querySelector('[data-viewer-step="1"]').disabled = index >= all.length - 1;
    drawActions(box, card);
    if (!box.open) {
      box.showModal();
      box.querySelector("[data-viewer-close]").focus();
    }
  }

  function move(step) {
    const all = viewable();
    const index = all.indexOf(cardOf(currentId));
    const next = all[index + step];
    if (index !== -1 && next) show(next);
  }

  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest && event.target.closest(CARD + " [data-viewer-src]");
    if (!link || !viewer()) return;
    event.preventDefault();
    show(link.closest("[data-generation-id]"));
  });

  document.addEventListener("click", (event) => {
    const box = viewer();
    if (!box || !box.open) return;
    const step = event.target.closest && event.target.closest("[data-viewer-step]");
    if (step) move(Number(step.dataset.viewerStep));
    else if (event.target === box || (event.target.closest && event.target.closest("[data-viewer-close]"))) closeViewer();
  });

  document.addEventListener("keydown", (event) => {
    const box = viewer();
    if (!box || !box.open || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      move(event.key === "ArrowLeft" ? -1 : 1);
      event.preventDefault();
    }
  });

  // Swipe left / right on a touch screen.
  let touch = null;
  document.addEventListener("touchstart", (event) => {
    const box = viewer();
    // A zoomed image is panned by a drag (static/js/zoom.js), not swiped past.
    if (!box || !box.open || event.touches.length !== 1 || "zoomed" in box.dataset) return;
    touch = { x: event.touches[0].clientX, y: event.touches[0].clientY };
  }, { passive: true });
  document.addEventListener("touchend", (event) => {
    if (!touch || !event.changedTouches.length) return;
    const dx = event.changedTouches[0].clientX - touch.x;
    const dy = event.changedTouches[0].clientY - touch.y;
    touch = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) move(dx < 0 ? 1 : -1);
  });

  // Closed (Esc, the button, the backdrop): focus goes back to the card last shown. Done
  // right after close(), which itself gives focus back to what had it at showModal() (the
  // card first opened), so that it is the card's the moment the viewer is gone.
  function closeViewer() {
    const box = viewer();
    if (!box) return;
    if (box.open) box.close();
    const card = cardOf(currentId);
    const link = card && (card.querySelector("[data-viewer-src]") || card.querySelector(".prompt a"));
    if (link) {
      link.focus({ preventScroll: true });
      card.scrollIntoView({ block: "nearest" });
    }
    const img = box.querySelector("[data-viewer-image]");
    if (img) img.remove();
  }

  document.addEventListener("cancel", (event) => {
    if (event.target !== viewer() || !event.cancelable) return;
    event.preventDefault(); // Esc: closed here, focus and all
    closeViewer();
  }, true);
  // Closed by the browser itself (an Esc it would not let be cancelled): the same, a task later.
  document.addEventListener("close", (event) => {
    const box = viewer();
    if (event.target !== box) return;
    const card = cardOf(currentId);
    if (box.querySelector("[data-viewer-image]") || (card && !card.contains(document.activeElement))) closeViewer();
  }, true);

  // A card redrawn while it is shown (a star from the viewer, the poll): redraw the
  // actions from it, keeping focus on the same control; a card that left, closes.
  document.addEventListener("htmx:afterSettle", () => {
    const box = viewer();
    if (!box || !box.open) return;
    const card = cardOf(currentId);
    if (!card || !card.querySelector("[data-viewer-src]")) { closeViewer(); return; }
    const focused = document.activeElement;
    const wasStar = focused && box.contains(focused) && focused.closest(".star-form");
    drawActions(box, card);
    const star = box.querySelector("button.star");
    if (wasStar || (star && !box.contains(document.activeElement))) star.focus();
  });

  // --- Use as reference ---------------------------------------------------------------
  // The server is told what the composer holds now, so it can refuse past the limit.
  document.addEventListener("htmx:configRequest", (event) => {
    const elt = event.detail.elt;
    if (!elt || !elt.matches || !elt.matches("[data-use-reference]")) return;
    const form = document.getElementById("composer-form");
    if (!form) return;
    const type = form.querySelector('input[name="type"]:checked');
    const files = form.querySelector('input[name="image_ref"]');
    const urls = form.querySelector('textarea[name="image_ref_url"]');
    const lines = urls ? urls.value.split(/\r?\n/).filter((l) => l.trim() !== "").length : 0;
    event.detail.parameters.kept_ref = Array.from(form.querySelectorAll('input[name="kept_ref"]'), (i) => i.value);
    event.detail.parameters.type = type ? type.value : "image";
    event.detail.parameters.other_refs = String(lines + (files && files.files ? files.files.length : 0));
  });

  // --- Copy prompt --------------------------------------------------------------------
  function unhideCopyButtons(root) {
    if (!navigator.clipboard || !root.querySelectorAll) return;
    root.querySelectorAll("[data-copy-prompt][hidden]").forEach((b) => { b.hidden = false; });
  }

  function say(button, text) {
    // Inside the open viewer the page behind is inert: its own status region speaks.
    const box = viewer();
    const inViewer = box && box.open && box.contains(button);
    const status = inViewer ? box.querySelector("[data-copy-status]") : document.getElementById("copy-status");
    if (!status) return;
    status.textContent = "";
    window.setTimeout(() => { status.textContent = text; }, 50);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-copy-prompt]");
    if (!button) return;
    navigator.clipboard.writeText(button.dataset.copyPrompt).then(() => {
      button.textContent = "Copied ✓";
      button.classList.add("copied");
      say(button, "Prompt copied to the clipboard.");
      window.setTimeout(() => { button.textContent = "Copy prompt"; button.classList.remove("copied"); }, 2500);
    }, () => {
      say(button, "The prompt could not be copied: select it on the detail page and copy it there.");
    });
  });

  document.addEventListener("htmx:load", (event) => unhideCopyButtons(event.target));
  document.addEventListener("DOMContentLoaded", () => unhideCopyButtons(document));
})();
