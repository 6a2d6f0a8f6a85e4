// Selection mode and the keyboard in a gallery (the studio's and a team's).
// Selection mode is the <details id="bulk"> being open; CSS shows the cards' checkboxes
// then, so it works without this file. Here: the count, shift-click for a range, "select
// all loaded", one confirmation for a bulk delete, and keys: arrows move between cards,
// Enter opens, f stars, x selects, ? shows the shortcuts. No inline code: the CSP forbids it.
(function () {
  const CARD = "#gallery [data-generation-id]";
  // The selection by generation id: the poll swaps in-flight cards for fresh ones (their
  // boxes unticked), so the ticks are put back from here after every swap.
  const chosen = new Set();
  let lastClicked = null;

  function bulk() { return document.getElementById("bulk"); }
  function boxes() { return Array.from(document.querySelectorAll(CARD + " [data-select]")); }
  function selected() { return boxes().filter((b) => b.checked); }

  function setBox(box, on) {
    box.checked = on;
    if (on) chosen.add(box.value);
    else chosen.delete(box.value);
  }

  function updateCount() {
    boxes().forEach((box) => { box.checked = chosen.has(box.value); });
    const n = selected().length;
    const out = document.querySelector("[data-selected-count]");
    if (out) out.textContent = n === 1 ? "1 selected" : n + " selected";
    document.querySelectorAll(CARD).forEach((card) => {
      const box = card.querySelector("[data-select]");
      card.classList.toggle("is-selected", !!(box && box.checked));
    });
    const form = document.getElementById("bulk-form");
    if (form) form.querySelectorAll(".bulk-actions button").forEach((b) => { b.disabled = n === 0; });
  }

  function openSelection() {
    const details = bulk();
    if (details && !details.open) details.open = true;
  }

  // Shift-click: everything between the last box clicked and this one takes its state.
  document.addEventListener("click", (event) => {
    const box = event.target.closest && event.target.closest("[data-select]");
    if (!box) return;
    const all = boxes();
    if (event.shiftKey && lastClicked && all.includes(lastClicked)) {
      const [a, b] = [all.indexOf(lastClicked), all.indexOf(box)].sort((x, y) => x - y);
      all.slice(a, b + 1).forEach((other) => setBox(other, box.checked));
    }
    setBox(box, box.checked);
    lastClicked = box;
    updateCount();
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches("[data-select]")) {
      setBox(event.target, event.target.checked);
      updateCount();
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-select-all], [data-select-none]");
    if (!button) return;
    const on = button.hasAttribute("data-select-all");
    boxes().forEach((b) => setBox(b, on));
    updateCount();
  });

  // Closing selection mode clears it: hidden ticks must not be acted on later.
  document.addEventListener("toggle", (event) => {
    if (event.target.id !== "bulk") return;
    if (!event.target.open) chosen.clear();
    updateCount();
  }, true);

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches || !form.matches("[data-bulk-form]")) return;
    const submitter = event.submitter;
    // A filter or search changed the address without redrawing this bar: come back to the
    // gallery as it is now.
    const next = form.querySelector("[data-bulk-next]");
    if (next) next.value = location.pathname + location.search;
  });

  // Cards swapped in (poll, load more, a new submit) keep the count honest.
  document.addEventListener("htmx:afterSettle", updateCount);
  document.addEventListener("htmx:oobAfterSwap", updateCount);

  // --- keyboard -----------------------------------------------------------------------

  function cards() { return Array.from(document.querySelectorAll(CARD)); }

  function focusCard(card) {
    if (!card) return;
    const link = card.querySelector(".prompt a");
    (link || card).focus();
    card.scrollIntoView({ block: "nearest" });
  }

  function neighbour(card, key) {
    const all = cards();
    const i = all.indexOf(card);
    if (key === "ArrowRight") return all[i + 1];
    if (key === "ArrowLeft") return all[i - 1];
    // Up and down: the card in the row above or below nearest in x.
    const box = card.getBoundingClientRect();
    const down = key === "ArrowDown";
    let best = null;
    let bestScore = Infinity;
    all.forEach((other) => {
      if (other === card) return;
      const r = other.getBoundingClientRect();
      const dy = down ? r.top - box.top : box.top - r.top;
      if (dy < box.height / 2) return;
      const score = dy * 10 + Math.abs(r.left - box.left);
      if (score < bestScore) { best = other; bestScore = score; }
    });
    return best;
  }

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable], #composer-form");
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?" && !typing(event.target)) {
      const help = document.getElementById("shortcuts-help");
      if (help && help.togglePopover) { help.togglePopover(); event.preventDefault(); }
      return;
    }
    const card = event.target.closest && event.target.closest(CARD);
    if (!card || (typing(event.target) && !event.target.matches("[data-select]"))) return;
    if (event.key.startsWith("Arrow")) {
      const next = neighbour(card, event.key);
      if (next) { focusCard(next); event.preventDefault(); }
    } else if (event.key === "Enter" && event.target === card) {
      const link = card.querySelector(".prompt a");
      if (link) link.click();
    } else if (event.key === "f") {
      const star = card.querySelector("button.star");
      if (star) { star.click(); event.preventDefault(); }
    } else if (event.key === "x") {
      const box = card.querySelector("[data-select]");
      if (!box) return;
      openSelection();
      setBox(box, !box.checked);
      lastClicked = box;
      updateCount();
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", updateCount);
})();
