// Public links (the "Public link" panel, /settings/links/): Copy puts a link's address on
// the clipboard and says so; Revoke asks first. Without this script the address is a
// read-only field to copy by hand and Revoke posts at once, as every action must work.
(() => {
  // The panel may be drawn again by the detail page's poll (its script tag with it).
  if (window.studioLinks) return;
  window.studioLinks = true;

  const reveal = (root) => {
    root.querySelectorAll("[data-copy-link][hidden]").forEach((b) => { b.hidden = false; });
  };
  reveal(document);
  document.addEventListener("htmx:afterSwap", (event) => reveal(event.target));

  const say = (text) => {
    const status = document.getElementById("copy-status");
    if (status) status.textContent = text;
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("[data-copy-link]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copyLink);
    if (!field) return;
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch (_) {
      field.select();
      try { copied = document.execCommand("copy"); } catch (_) { copied = false; }
    }
    if (copied) {
      button.textContent = "Copied";
      say("The link's address is copied.");
    } else {
      field.focus();
      field.select();
      say("Copying was refused: the address is selected, press Ctrl+C (⌘C) to copy it.");
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    const question = form instanceof HTMLFormElement ? form.dataset.linkConfirm : undefined;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
