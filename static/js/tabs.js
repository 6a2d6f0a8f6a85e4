// On a phone (the single-column layout, up to 860 px) the studio shows "Create" and "Gallery"
// as two tabs, so the gallery is not three screens below the form. An ARIA tablist: arrows,
// Home and End move between the tabs; the choice is kept in sessionStorage. Wider screens
// (and a browser without JavaScript) keep both side by side, or stacked, as before.
(function () {
  const KEY = "studio-tab";
  const PHONE = window.matchMedia("(max-width: 860px)");
  // A prefilled or refused form (Remix, Edit this image, Use as reference, errors) is what
  // the person came for, whatever tab was chosen before.
  const query = new URLSearchParams(window.location.search);
  const prefilled = query.has("remix") || query.has("settings") || query.has("edit") || query.has("reference") || document.querySelector("[data-error-summary]") !== null;

  function parts() {
    const list = document.querySelector("[data-studio-tabs]");
    if (!list) return null;
    const tabs = Array.from(list.querySelectorAll('[role="tab"]'));
    const panels = tabs.map((tab) => document.getElementById(tab.getAttribute("aria-controls")));
    return { list, tabs, panels };
  }

  function remembered(p) {
    if (prefilled) return "create";
    let name = null;
    try { name = sessionStorage.getItem(KEY); } catch (e) { /* storage off: the first tab */ }
    return p.tabs.some((t) => t.dataset.tab === name) ? name : p.tabs[0].dataset.tab;
  }

  function show(name, { focus = false, remember = true } = {}) {
    const p = parts();
    if (!p) return;
    const phone = PHONE.matches;
    p.list.hidden = false;
    p.tabs.forEach((tab, i) => {
      const on = tab.dataset.tab === name;
      const panel = p.panels[i];
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      if (!panel) return;
      if (!panel.dataset.labelledby) panel.dataset.labelledby = panel.getAttribute("aria-labelledby") || "";
      if (phone) {
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", tab.id);
        panel.hidden = !on;
      } else {
        panel.removeAttribute("role");
        panel.setAttribute("aria-labelledby", panel.dataset.labelledby);
        panel.hidden = false;
      }
      if (on && focus) tab.focus();
    });
    p.list.dataset.current = name;
    if (remember) {
      try { sessionStorage.setItem(KEY, name); } catch (e) { /* storage off */ }
    }
  }

  function start() {
    const p = parts();
    if (p) show(remembered(p), { remember: false });
  }

  document.addEventListener("click", (event) => {
    const tab = event.target.closest && event.target.closest('[data-studio-tabs] [role="tab"]');
    if (tab) show(tab.dataset.tab);
  });

  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest && event.target.closest('[data-studio-tabs] [role="tab"]');
    if (!tab) return;
    const tabs = parts().tabs;
    const i = tabs.indexOf(tab);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    show(tabs[(to + tabs.length) % tabs.length].dataset.tab, { focus: true });
  });

  // After a submit the new card is in the gallery: show it there.
  document.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    if (!elt || elt.id !== "composer-form" || !event.detail.successful || !PHONE.matches) return;
    show("gallery");
    const p = parts();
    if (p) p.list.scrollIntoView({ block: "start" });
  });
  // "Show it in the gallery" beside Generate.
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("[data-show-card]") && PHONE.matches) show("gallery");
  }, true);

  PHONE.addEventListener("change", () => {
    const p = parts();
    if (p) show(p.list.dataset.current || remembered(p), { remember: false });
  });
  document.addEventListener("DOMContentLoaded", start);
})();
