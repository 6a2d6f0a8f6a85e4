// The composer form: prompt counter, type switch, image pickers with drag and drop,
// previews and removal, a live price estimate, and Ctrl/Cmd+Enter to submit.
// Everything is delegated from `document`, so a form swapped in by htmx works at once;
// `htmx:load` only refreshes what is drawn. The server checks everything again.
(function () {
  "use strict";

  const FORM = "#composer-form";
  const objectUrls = new WeakMap(); // <li> → object URL to revoke on removal

  function config(form) {
    if (!form._composerConfig) {
      const node = form.querySelector("#composer-config");
      form._composerConfig = node ? JSON.parse(node.textContent) : null;
    }
    return form._composerConfig;
  }

  const nf = new Intl.NumberFormat("en-US");

  function say(form, text) {
    const status = form.querySelector("[data-composer-status]");
    if (!status) return;
    // Clear first so the same message twice is announced twice.
    status.textContent = "";
    window.setTimeout(() => { status.textContent = text; }, 30);
  }

  function currentType(form) {
    const checked = form.querySelector('input[name="type"]:checked');
    return checked ? checked.value : "image";
  }

  function prettyBytes(n) {
    const mb = 1024 * 1024;
    if (n >= mb) return (n / mb).toFixed(1).replace(/\.0$/, "") + " MB";
    if (n >= 1024) return (n / 1024).toFixed(1).replace(/\.0$/, "") + " KB";
    return nf.format(n) + " bytes";
  }

  // --- prompt counter -----------------------------------------------------------------

  function updateCounter(form) {
    const textarea = form.querySelector('textarea[name="prompt"]');
    const counter = form.querySelector("[data-counter]");
    const cfg = config(form);
    if (!textarea || !counter || !cfg) return;
    // Count code points, as the server does (an emoji is one character, not two).
    const length = Array.from(textarea.value.replace(/\r\n/g, "\n")).length;
    const max = cfg.prompt_max;
    const over = length - max;
    counter.textContent = nf.format(length) + " / " + nf.format(max) +
      (over > 0 ? " (" + nf.format(over) + " too many)" : "");
    counter.classList.toggle("over", over > 0);
    counter.classList.toggle("near", over <= 0 && length > max * 0.9);
  }

  // --- references: count, limit and price ---------------------------------------------

  function urlLines(form) {
    const area = form.querySelector('textarea[name="image_ref_url"]');
    if (!area) return 0;
    return area.value.split(/\r?\n/).filter((line) => line.trim() !== "").length;
  }

  // The positions of the chosen files this page marked bad (too big, not an image): they
  // are neither priced nor sent.
  function badIndexes(form, name) {
    const list = form.querySelector('[data-thumbs="' + name + '"]');
    if (!list) return new Set();
    return new Set(Array.from(list.querySelectorAll("li.bad[data-new]"), (li) => li.dataset.index));
  }

  function refCount(form) {
    const kept = form.querySelectorAll('input[name="kept_ref"]').length;
    const input = form.querySelector('input[name="image_ref"]');
    const files = input && input.files ? input.files.length : 0;
    return kept + files - badIndexes(form, "image_ref").size + urlLines(form);
  }

  function updateSummary(form) {
    const cfg = config(form);
    if (!cfg) return;
    const type = currentType(form);
    const modelSelect = form.querySelector('[name="model"]');
    const model = modelSelect ? modelSelect.value : "uni-1";
    const max = cfg.max_refs[type] || 0;
    const count = refCount(form);

    const countNode = form.querySelector("[data-ref-count]");
    const maxNode = form.querySelector("[data-ref-max]");
    if (countNode) countNode.textContent = String(count);
    if (maxNode) maxNode.textContent = String(max);
    const wrap = form.querySelector("[data-ref-count-wrap]");
    if (wrap) {
      wrap.classList.toggle("over", count > max);
      wrap.title = count > max ? "Too many: remove " + (count - max) : "";
    }

    const table = cfg.prices[model] && cfg.prices[model][type];
    const price = form.querySelector("[data-price]");
    if (table && price) {
      const each = table[Math.min(count, table.length - 1)];
      const text = "$" + each;
      if (price.textContent !== text) price.textContent = text;
      showBatchPrice(form, each);
    }
  }

  // A batch costs its size times the price of one image: shown as "× 4 images = $…".
  // In ten-thousandths of a dollar, as the server's Decimal keeps it, so no float drifts;
  // the sum in cents (half up), as every total is written, the price of one image in full.
  function showBatchPrice(form, each) {
    const input = form.querySelector('[name="count"]');
    const times = form.querySelector("[data-price-times]");
    if (!input || !times) return;
    const max = parseInt(input.getAttribute("max") || "1", 10);
    const images = Math.min(Math.max(parseInt(input.value, 10) || 1, 1), max);
    const cents = Math.round((Math.round(parseFloat(each) * 10000) * images) / 100);
    times.hidden = images === 1;
    times.querySelector("[data-price-count]").textContent = String(images);
    times.querySelector("[data-price-total]").textContent = "$" + (cents / 100).toFixed(2);
  }

  // --- previews -----------------------------------------------------------------------

  function thumbsFor(form, name) {
    return form.querySelector('[data-thumbs="' + name + '"]');
  }

  function problemWith(form, file) {
    const cfg = config(form);
    if (!cfg) return "";
    if (file.type && cfg.media_types.indexOf(file.type) === -1) {
      return "not a JPEG, PNG or WebP image";
    }
    if (file.size > cfg.max_bytes) {
      return prettyBytes(file.size) + " is over the " + prettyBytes(cfg.max_bytes) + " limit";
    }
    return "";
  }

  function placeholder() {
    const ph = document.createElement("span");
    ph.className = "thumb-placeholder";
    ph.setAttribute("aria-hidden", "true");
    ph.textContent = "?";
    return ph;
  }

  function markProblem(li, fileName, problem) {
    if (li.classList.contains("bad")) return;
    li.classList.add("bad");
    const note = document.createElement("span");
    note.className = "thumb-problem";
    note.textContent = problem;
    const remove = li.querySelector(".thumb-remove");
    li.insertBefore(note, remove);
    li.title = fileName + ": " + problem;
    const form = li.closest(FORM);
    if (form) updateSummary(form);
  }

  // Submitting leaves the bad files out (the page already said why), and their thumbnails.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches || !form.matches(FORM)) return;
    form.querySelectorAll('input[type="file"]').forEach((input) => {
      const bad = badIndexes(form, input.name);
      if (!bad.size) return;
      setFiles(input, Array.from(input.files).filter((file, i) => !bad.has(String(i))));
      drawNewFiles(form, input);
      updateSummary(form);
      say(form, bad.size === 1 ? "1 unusable file was left out." : bad.size + " unusable files were left out.");
    });
  }, true);

  function drawNewFiles(form, input) {
    const list = thumbsFor(form, input.name);
    if (!list) return;
    list.querySelectorAll("[data-new]").forEach((li) => {
      const url = objectUrls.get(li);
      if (url) URL.revokeObjectURL(url);
      li.remove();
    });
    Array.from(input.files || []).forEach((file, index) => {
      const li = document.createElement("li");
      li.className = "thumb new";
      li.dataset.new = "";
      li.dataset.index = String(index);
      const problem = problemWith(form, file);
      if (file.type && file.type.startsWith("image/") && !problem) {
        const img = document.createElement("img");
        const url = URL.createObjectURL(file);
        objectUrls.set(li, url);
        img.alt = "";
        // The browser cannot draw it: most likely not an image at all, whatever its name.
        img.addEventListener("error", () => {
          const ph = placeholder();
          img.replaceWith(ph);
          markProblem(li, file.name, "cannot be read as an image");
        }, { once: true });
        img.src = url;
        li.appendChild(img);
      } else {
        li.appendChild(placeholder());
      }
      const name = document.createElement("span");
      name.className = "thumb-name";
      name.textContent = file.name;
      li.appendChild(name);
      if (problem) markProblem(li, file.name, problem);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "thumb-remove";
      remove.dataset.remove = "";
      remove.setAttribute("aria-label", "Remove " + file.name);
      remove.textContent = "×";
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  function setFiles(input, files) {
    const dt = new DataTransfer();
    files.forEach((file) => dt.items.add(file));
    input.files = dt.files;
  }

  function filesChanged(form, input) {
    if (input.name === "source" && input.files && input.files.length) {
      // A new source replaces a kept one; the server would prefer the new one anyway.
      const list = thumbsFor(form, "source");
      if (list) list.querySelectorAll("[data-kept]").forEach((li) => li.remove());
    }
    drawNewFiles(form, input);
    updateSummary(form);
    updateLabels(form);
    const n = input.files ? input.files.length : 0;
    if (n) say(form, n === 1 ? "1 image chosen." : n + " images chosen.");
  }

  function dropNote(form, input, text) {
    const note = form.querySelector('[data-drop-note="' + input.name + '"]');
    if (!note) return;
    note.textContent = text;
    note.hidden = !text;
  }

  function addFiles(form, input, dropped) {
    const incoming = Array.from(dropped);
    if (!incoming.length) return;
    if (input.multiple) {
      setFiles(input, Array.from(input.files || []).concat(incoming));
    } else {
      setFiles(input, incoming.slice(0, 1));
    }
    filesChanged(form, input);
    // One source only: say which file was used rather than dropping the rest silently.
    if (!input.multiple && incoming.length > 1) {
      const text = incoming.length + " files were dropped; only one source image can be used: " +
        incoming[0].name + ".";
      dropNote(form, input, text);
      say(form, text);
    } else {
      dropNote(form, input, "");
    }
  }

  // --- labels that follow the choices -------------------------------------------------

  function updateLabels(form) {
    const label = form.querySelector(".submit-label");
    if (label) label.textContent = currentType(form) === "image_edit" ? "Edit" : "Generate";
    const source = form.querySelector('input[name="source"]');
    const title = form.querySelector('[data-drop="source"] .dropzone-text strong');
    const chosen = (source && source.files && source.files.length) ||
      form.querySelector('[data-thumbs="source"] .thumb');
    if (title) title.textContent = chosen ? "Replace the source image" : "Choose the image to edit";
  }

  // --- the draft: prompt and settings kept in this browser until a submit succeeds ----
  // A session that ends mid-work sends the page to the login page (HX-Redirect); what was
  // typed must be there after signing in again.

  const DRAFT = "studio.composer-draft";
  const NOT_DRAFTED = ["csrfmiddlewaretoken", "kept_source", "kept_ref", "drop_kept", "derived_from", "derived_kind"];

  function saveDraft(form) {
    const draft = {};
    Array.from(form.elements).forEach((el) => {
      if (!el.name || el.type === "file" || NOT_DRAFTED.indexOf(el.name) !== -1) return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      draft[el.name] = el.type === "checkbox" ? true : el.value;
    });
    try { window.localStorage.setItem(DRAFT, JSON.stringify(draft)); } catch (e) { /* private mode */ }
  }

  function clearDraft() {
    try { window.localStorage.removeItem(DRAFT); } catch (e) { /* private mode */ }
  }

  function restoreDraft(form) {
    let draft = null;
    try { draft = JSON.parse(window.localStorage.getItem(DRAFT) || "null"); } catch (e) { draft = null; }
    if (!draft) return;
    Array.from(form.elements).forEach((el) => {
      if (!el.name || el.type === "file" || NOT_DRAFTED.indexOf(el.name) !== -1) return;
      if (el.type === "radio") el.checked = draft[el.name] === el.value;
      else if (el.type === "checkbox") el.checked = !!draft[el.name];
      else if (el.name in draft) el.value = draft[el.name];
    });
  }

  function removeThumb(form, button) {
    const li = button.closest(".thumb");
    const list = li && li.closest("[data-thumbs]");
    if (!li || !list) return;
    const name = (li.querySelector(".thumb-name") || {}).textContent || "image";
    if (li.hasAttribute("data-new")) {
      const input = form.querySelector('input[type="file"][name="' + list.dataset.thumbs + '"]');
      if (input) {
        const skip = Number(li.dataset.index);
        setFiles(input, Array.from(input.files || []).filter((_, i) => i !== skip));
        drawNewFiles(form, input);
      }
    } else {
      li.remove(); // takes its hidden kept_* input with it
    }
    updateSummary(form);
    updateLabels(form);
    say(form, name + " removed.");
    // Keep keyboard focus in the list, or fall back to the drop zone.
    const next = list.querySelector(".thumb-remove") ||
      form.querySelector('[data-drop="' + list.dataset.thumbs + '"] .dropzone');
    if (next) next.focus();
  }

  // --- refresh and focus after load or swap -------------------------------------------

  function refresh(form) {
    // Only a blank form takes the draft: a form with errors, a Remix or an Edit shows
    // what the server drew.
    if (form.hasAttribute("data-restore-draft")) {
      form.removeAttribute("data-restore-draft");
      restoreDraft(form);
    }
    updateLabels(form);
    // Removing a kept image needs this script; without it the buttons stay hidden.
    form.querySelectorAll("[data-remove][hidden]").forEach((button) => { button.hidden = false; });
    updateCounter(form);
    updateSummary(form);
    form.querySelectorAll('input[type="file"]').forEach((input) => {
      if (input.files && input.files.length) drawNewFiles(form, input);
    });
    const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
    const kbd = form.querySelector(".shortcut");
    if (kbd && isMac) kbd.textContent = "⌘ ↵";
  }

  function init(root) {
    const forms = [];
    // Something swapped into a form (a kept reference from "Use as reference", viewer.js):
    // its counts, price and remove buttons follow.
    const owner = root.closest && !root.matches(FORM) && root.closest(FORM);
    if (owner) { refresh(owner); return; }
    if (root.matches && root.matches(FORM)) forms.push(root);
    if (root.querySelectorAll) root.querySelectorAll(FORM).forEach((f) => forms.push(f));
    forms.forEach((form) => {
      refresh(form);
      const summary = form.querySelector("[data-error-summary]");
      if (summary) summary.focus();
    });
  }

  // --- delegated events ---------------------------------------------------------------

  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest(FORM);
    if (!form) return;
    if (event.target.name === "prompt") updateCounter(form);
    if (event.target.name === "image_ref_url" || event.target.name === "count") updateSummary(form);
    saveDraft(form);
  });

  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest(FORM);
    if (!form) return;
    const target = event.target;
    if (target.type === "file") filesChanged(form, target);
    else if (target.name === "type" || target.name === "model") updateSummary(form);
    updateLabels(form);
    saveDraft(form);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-remove]");
    const form = button && button.closest(FORM);
    if (form) removeThumb(form, button);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (event.repeat) { event.preventDefault(); return; } // a held key submits once
    const form = event.target.closest && event.target.closest(FORM);
    if (!form) return;
    event.preventDefault();
    // One submit at a time: a held or repeated Ctrl+Enter must not pay twice.
    const button = form.querySelector('button[type="submit"]');
    if (form.classList.contains("htmx-request") || (button && button.disabled)) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  });

  // The price / Generate bar sticks to the bottom of the window: a control focused behind
  // it (the last row of aspect ratios, reached with the arrow keys) is scrolled above it.
  document.addEventListener("focusin", (event) => {
    const form = event.target.closest && event.target.closest(FORM);
    const footer = form && form.querySelector(".composer-footer");
    if (!footer || footer.contains(event.target)) return;
    const control = event.target.closest(".ratio, .segment, .drop") || event.target;
    const hidden = control.getBoundingClientRect().bottom - footer.getBoundingClientRect().top;
    if (hidden > 0) window.scrollBy(0, hidden + 8);
  });

  // Drag and drop onto a [data-drop] zone (or its whole block).
  // Dropped anywhere else on the form, images become references (rather than the
  // browser leaving the page to show the file).
  function dropTarget(event) {
    const form = event.target.closest && event.target.closest(FORM);
    if (!form) return null;
    const block = event.target.closest(".images-block");
    return (block || form).querySelector(block ? "[data-drop]" : '[data-drop="image_ref"]');
  }

  function hasFiles(event) {
    return event.dataTransfer && Array.from(event.dataTransfer.types || []).indexOf("Files") !== -1;
  }

  ["dragenter", "dragover"].forEach((type) => {
    document.addEventListener(type, (event) => {
      const zone = dropTarget(event);
      if (!zone || !hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      const form = zone.closest(FORM);
      form.querySelectorAll(".dragging").forEach((el) => el !== zone && el.classList.remove("dragging"));
      zone.classList.add("dragging");
    });
  });

  document.addEventListener("dragleave", (event) => {
    const zone = dropTarget(event);
    const form = zone && zone.closest(FORM);
    if (form && !(event.relatedTarget && form.contains(event.relatedTarget))) {
      form.querySelectorAll(".dragging").forEach((el) => el.classList.remove("dragging"));
    }
  });

  document.addEventListener("drop", (event) => {
    const zone = dropTarget(event);
    if (!zone || !hasFiles(event)) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    const form = zone.closest(FORM);
    const input = zone.querySelector('input[type="file"]');
    if (form && input) addFiles(form, input, event.dataTransfer.files);
  });

  // After a successful htmx submit the form stays as it is (people iterate), but the
  // errors of an earlier failed attempt no longer apply.
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!form.matches || !form.matches(FORM) || !event.detail.successful) return;
    if (event.detail.xhr.getResponseHeader("HX-Retarget")) return; // the form came back with errors
    clearDraft();
    form.querySelectorAll("[data-error-summary], .errorlist").forEach((el) => el.remove());
    form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
  });

  // Each accepted submit brings the form's next one-time key (HX-Trigger
  // "studio:submission-key"). It goes in only once a repeat of the last click can no longer
  // come: a double click or a second Ctrl+Enter sends the used key, which the server
  // answers without a second job. Changing the form puts it in at once.
  const KEY_DELAY_MS = 1500;
  let nextKey = null;
  let keyTimer = null;
  function applyNextKey() {
    clearTimeout(keyTimer);
    const field = document.querySelector(FORM + " [data-submission-key]");
    if (nextKey && field) field.value = nextKey;
    nextKey = null;
  }
  document.addEventListener("studio:submission-key", (event) => {
    nextKey = event.detail && event.detail.value;
    clearTimeout(keyTimer);
    keyTimer = setTimeout(applyNextKey, KEY_DELAY_MS);
  });
  ["input", "change"].forEach((type) => {
    document.addEventListener(type, (event) => {
      if (nextKey && event.target.closest && event.target.closest(FORM)) applyNextKey();
    });
  });

  // htmx re-renders the form after a failed submit: redraw and move focus to the errors.
  document.addEventListener("htmx:load", (event) => init(event.target));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document);
  }
})();

// A refused submission (a `count` out of range: 400; over the rate limit: 429) comes back
// as the form with its message, retargeted at #composer-form by the server: swap it in
// although the status is an error (htmx swaps no 4xx by default, and the message belongs
// in the form, not a toast).
document.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget") === "#composer-form") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
