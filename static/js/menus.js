// The cards' pop-up menus (More, Share: <details class="card-menu">). A card clips what
// leaves it (overflow: hidden, for its rounded picture), and a card near the edge of the
// screen would push a menu out of view: an open menu's panel is placed in viewport
// coordinates (position: fixed, through the .is-placed class) and kept inside the viewport.
// One menu is open at a time; a click outside or Esc closes it. The viewer's copy of a
// card's actions shows its menus flat, so they are left alone there.
(function () {
  const MARGIN = 8;

  function panelOf(menu) {
    return menu.querySelector(":scope > :not(summary)");
  }

  function managed(menu) {
    return menu && menu.matches("details.card-menu") && !menu.closest(".viewer-actions");
  }

  function place(menu) {
    const panel = panelOf(menu);
    if (!panel) return;
    panel.classList.add("is-placed");
    const anchor = menu.querySelector("summary").getBoundingClientRect();
    const width = panel.offsetWidth;
    const height = panel.offsetHeight;
    const vw = document.documentElement.clientWidth;
    const vh = window.innerHeight;
    // Right-aligned with its button, above it when there is room, else below.
    let left = anchor.right - width;
    left = Math.min(Math.max(left, MARGIN), vw - width - MARGIN);
    let top = anchor.top - height - 5;
    if (top < MARGIN) top = anchor.bottom + 5;
    if (top + height > vh - MARGIN) top = Math.max(MARGIN, vh - height - MARGIN);
    panel.style.left = `${Math.max(left, MARGIN)}px`;
    panel.style.top = `${top}px`;
  }

  function openMenus() {
    return Array.from(document.querySelectorAll("details.card-menu[open]")).filter(managed);
  }

  function close(menu, focusSummary) {
    menu.open = false;
    const panel = panelOf(menu);
    if (panel) panel.classList.remove("is-placed");
    if (focusSummary) menu.querySelector("summary").focus();
  }

  // `toggle` does not bubble: listen in the capture phase.
  document.addEventListener("toggle", (event) => {
    const menu = event.target;
    if (!managed(menu)) return;
    if (menu.open) {
      openMenus().forEach((other) => { if (other !== menu) close(other, false); });
      place(menu);
    } else {
      const panel = panelOf(menu);
      if (panel) panel.classList.remove("is-placed");
    }
  }, true);

  document.addEventListener("click", (event) => {
    openMenus().forEach((menu) => {
      if (!menu.contains(event.target)) close(menu, false);
    });
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = openMenus();
    if (open.length === 0) return;
    const inside = open.find((menu) => menu.contains(document.activeElement));
    open.forEach((menu) => close(menu, menu === inside));
    // Esc closed a menu: it must not also leave selection mode or close a dialog.
    event.stopPropagation();
    event.preventDefault();
  }, true);

  const replace = () => openMenus().forEach(place);
  window.addEventListener("resize", replace);
  window.addEventListener("scroll", replace, { capture: true, passive: true });
})();

// The top bar's menus (the team switcher, the account menu): one open at a time, closed by
// a click elsewhere or Esc (focus back on its button).
(function () {
  const open = () => Array.from(document.querySelectorAll("details.nav-menu[open]"));
  document.addEventListener("toggle", (event) => {
    const menu = event.target;
    if (!menu.matches || !menu.matches("details.nav-menu") || !menu.open) return;
    open().forEach((other) => { if (other !== menu) other.open = false; });
  }, true);
  document.addEventListener("click", (event) => {
    open().forEach((menu) => { if (!menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const menus = open();
    if (menus.length === 0) return;
    menus.forEach((menu) => {
      const inside = menu.contains(document.activeElement);
      menu.open = false;
      if (inside) menu.querySelector("summary").focus();
    });
    event.stopPropagation();
  }, true);
})();
