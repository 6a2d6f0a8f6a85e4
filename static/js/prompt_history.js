// Prompt history: the person's recent prompts (the server derives them from their own
// generations, newest first), offered in the prompt box. In an empty box ↑ recalls the last
// prompt, ↑ again the one before, ↓ the newer one and then the empty box again; once the
// recalled text is edited the arrows move the caret as usual. The "Recent prompts" menu
// lists the same prompts: ↑ ↓ Home End move, Enter picks, Esc closes.
(function () {
  function setup(box) {
    if (box.dataset.promptHistoryReady) return;
    box.dataset.promptHistoryReady = "1";
    const form = box.closest("form");
    const textarea = form && form.querySelector('textarea[name="prompt"]');
    const toggle = box.querySelector("[data-prompt-history-toggle]");
    const menu = box.querySelector("[data-prompt-history-menu]");
    if (!textarea || !toggle || !menu) return;
    const url = box.dataset.promptHistory;
    let prompts = null;
    let loading = null;
    let index = -1; // which prompt the box shows as recalled; -1: none

    function load() {
      if (prompts) return Promise.resolve(prompts);
      if (!loading) {
        loading = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then((answer) => (answer.ok ? answer.json() : { prompts: [] }))
          .then((data) => { prompts = Array.isArray(data.prompts) ? data.prompts : []; return prompts; })
          .catch(() => [])
          .finally(() => { loading = null; });
      }
      return loading;
    }

    function fill(text) {
      textarea.value = text;
      textarea.setSelectionRange(text.length, text.length);
      // The counter and the kept draft follow the box (composer.js listens for input).
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function showsRecalled() {
      return index >= 0 && prompts !== null && textarea.value === prompts[index];
    }

    // +1: an older prompt, -1: a newer one. Decided once the list is there, in key order.
    function step(direction) {
      load().then((list) => {
        if (!showsRecalled()) {
          if (textarea.value !== "" || direction < 0) return;
          index = -1;
        }
        const next = index + direction;
        if (next >= list.length) return;
        index = next;
        fill(next >= 0 ? list[next] : "");
      });
    }

    textarea.addEventListener("focus", () => { load(); });
    textarea.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (textarea.value !== "" && !showsRecalled()) return;
      if (event.key === "ArrowDown" && !showsRecalled()) return;
      event.preventDefault();
      step(event.key === "ArrowUp" ? 1 : -1);
    });

    // --- the menu -----------------------------------------------------------------------
    function items() {
      return Array.from(menu.querySelectorAll('[role="menuitem"]'));
    }

    function close(focusToggle) {
      if (menu.hidden) return;
      menu.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      if (focusToggle) toggle.focus();
    }

    function open(focusLast) {
      load().then((list) => {
        menu.replaceChildren();
        if (!list.length) {
          const none = document.createElement("li");
          none.setAttribute("role", "none");
          none.className = "prompt-history-empty";
          none.textContent = "No prompts yet: the ones you use appear here.";
          menu.append(none);
        }
        list.forEach((text, i) => {
          const li = document.createElement("li");
          li.setAttribute("role", "none");
          const item = document.createElement("button");
          item.type = "button";
          item.setAttribute("role", "menuitem");
          item.tabIndex = -1;
          item.textContent = text;
          item.title = text;
          item.addEventListener("click", () => {
            index = i;
            fill(text);
            close(false);
            textarea.focus();
          });
          li.append(item);
          menu.append(li);
        });
        menu.hidden = false;
        toggle.setAttribute("aria-expanded", "true");
        const all = items();
        if (all.length) all[focusLast ? all.length - 1 : 0].focus();
      });
    }

    toggle.addEventListener("click", () => {
      if (menu.hidden) open(false); else close(false);
    });
    toggle.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        open(event.key === "ArrowUp");
      }
    });
    menu.addEventListener("keydown", (event) => {
      const all = items();
      const at = all.indexOf(document.activeElement);
      let to = null;
      if (event.key === "ArrowDown") to = (at + 1) % all.length;
      else if (event.key === "ArrowUp") to = (at - 1 + all.length) % all.length;
      else if (event.key === "Home") to = 0;
      else if (event.key === "End") to = all.length - 1;
      else if (event.key === "Escape") { event.preventDefault(); close(true); return; }
      else if (event.key === "Tab") { close(false); return; }
      if (to !== null && all.length) {
        event.preventDefault();
        all[to].focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (!box.contains(event.target)) close(false);
    });

    // A successful submit adds a prompt: ask again next time.
    form.addEventListener("htmx:afterRequest", (event) => {
      if (event.detail.elt === form && event.detail.successful) {
        prompts = null;
        index = -1;
      }
    });
  }

  // The page's form, and a form htmx swaps in again (a refused submit draws it anew).
  function setupIn(root) {
    if (root.querySelectorAll) root.querySelectorAll("[data-prompt-history]").forEach(setup);
  }
  document.addEventListener("DOMContentLoaded", () => setupIn(document));
  document.addEventListener("htmx:load", (event) => setupIn(event.target));
})();
