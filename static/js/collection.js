// A collection's page, for its editors: reorder the cards by dragging one onto another, or
// with a card's ← / → buttons (Alt+← / Alt+→ anywhere in a focused card). The order is
// saved by POST to the page's move URL; without script the buttons post their form and
// the page reloads in the new order.
(function () {
  "use strict";
  const page = document.querySelector("[data-collection-move]");
  if (!page) return;
  const moveUrl = page.dataset.collectionMove;
  const gallery = page.querySelector("#gallery");
  const announcer = document.getElementById("announcer");

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  function cards() {
    return Array.from(gallery.querySelectorAll("article.card[data-generation-id]"));
  }

  function say(text) {
    if (announcer) announcer.textContent = text;
  }

  function save(card, before) {
    const body = new FormData();
    body.append("id", card.dataset.generationId);
    body.append("before", before ? before.dataset.generationId : "");
    return fetch(moveUrl, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrf(), "HX-Request": "true" },
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) {
          say(text || "The new order could not be saved.");
          window.location.reload();
        });
      }
      const at = cards().indexOf(card) + 1;
      say("Moved to place " + at + ".");
    });
  }

  // Only the cards shown move: "before" is the card now after it, or none when it is
  // last of those loaded and no more follow ("Load more" would show later ones).
  function place(card, before) {
    if (before) {
      gallery.insertBefore(card, before);
    } else {
      const last = cards().pop();
      last.after(card);
    }
    return save(card, before || null);
  }

  function prepare(card) {
    if (card.dataset.dragReady) return;
    card.dataset.dragReady = "1";
    card.draggable = true;
    card.classList.add("is-draggable");
  }

  function prepareAll() {
    cards().forEach(prepare);
  }
  prepareAll();
  document.body.addEventListener("htmx:afterSettle", prepareAll);

  let dragged = null;
  gallery.addEventListener("dragstart", function (event) {
    const card = event.target.closest && event.target.closest("article.card");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.generationId);
  });
  gallery.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    cards().forEach(function (c) {
      c.classList.remove("drop-before", "drop-after");
    });
    dragged = null;
  });
  function after(card, event) {
    const box = card.getBoundingClientRect();
    return event.clientX > box.left + box.width / 2;
  }
  gallery.addEventListener("dragover", function (event) {
    const card = event.target.closest && event.target.closest("article.card");
    if (!dragged || !card || card === dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const later = after(card, event);
    card.classList.toggle("drop-after", later);
    card.classList.toggle("drop-before", !later);
  });
  gallery.addEventListener("dragleave", function (event) {
    const card = event.target.closest && event.target.closest("article.card");
    if (card) card.classList.remove("drop-before", "drop-after");
  });
  gallery.addEventListener("drop", function (event) {
    const card = event.target.closest && event.target.closest("article.card");
    if (!dragged || !card || card === dragged) return;
    event.preventDefault();
    card.classList.remove("drop-before", "drop-after");
    const list = cards();
    let before = after(card, event) ? list[list.indexOf(card) + 1] : card;
    if (before === dragged) before = list[list.indexOf(dragged) + 1];
    place(dragged, before || null);
  });

  function step(card, by) {
    const list = cards();
    const at = list.indexOf(card);
    const to = at + by;
    if (to < 0 || to >= list.length) return;
    const before = by < 0 ? list[to] : list[to + 1];
    place(card, before || null).then(function () {
      const button = card.querySelector('[data-move-step="' + by + '"]');
      if (button) button.focus();
    });
  }

  gallery.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-move-step]");
    if (!button) return;
    event.preventDefault();
    step(button.closest("article.card"), Number(button.dataset.moveStep));
  });
  gallery.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    const card = event.target.closest && event.target.closest("article.card");
    if (!card) return;
    event.preventDefault();
    event.stopPropagation();
    step(card, event.key === "ArrowLeft" ? -1 : 1);
  });
})();
