// Settings recall on the studio page: "Use these settings" (a card, the viewer) fills the
// composer with a generation's settings and leaves the prompt as typed; an image of this
// studio dropped on the composer does the same (recognised by the SHA-256 of its original,
// asked of the server), and so does a parameters file (.json, as "Download parameters"
// and the zips give). Anything else dropped goes on to composer.js as before (an image
// becomes a reference). Without the composer on the page the links open the studio
// with the settings (/?settings=<id>).
(function () {
  "use strict";
  const FORM = "#composer-form";
  const RECALL_URL = "/generations/recall/";
  const FORMAT = "studio.parameters";
  const KEEP = ["prompt"];

  function form() {
    return document.querySelector(FORM);
  }

  function say(text) {
    const status = document.querySelector("[data-composer-status]");
    if (status) status.textContent = text;
    const notice = document.getElementById("submit-notice");
    if (notice) notice.textContent = text;
  }

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  function setField(f, name, value) {
    const field = f.elements.namedItem(name);
    if (!field) return;
    const list = field instanceof RadioNodeList ? Array.from(field) : [field];
    list.forEach(function (el) {
      if (el.type === "radio") {
        const on = String(value) === el.value;
        if (el.checked === on) return;
        el.checked = on;
      } else if (el.type === "checkbox") {
        if (el.checked === !!value) return;
        el.checked = !!value;
      } else {
        if (el.value === String(value)) return;
        el.value = String(value);
      }
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function apply(parameters, label) {
    const f = form();
    if (!f) return false;
    Object.keys(parameters).forEach(function (name) {
      if (KEEP.indexOf(name) === -1) setField(f, name, parameters[name]);
    });
    const tab = document.getElementById("tab-create");
    const tabs = document.querySelector("[data-studio-tabs]");
    if (tab && tabs && !tabs.hidden) tab.click();
    say("Settings of “" + label + "” applied; your prompt is unchanged.");
    return true;
  }

  function shorten(text) {
    text = text || "";
    return text.length > 60 ? text.slice(0, 59) + "…" : text;
  }

  // "Use these settings": the generation's parameters document.
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("[data-use-settings]");
    if (!link || !form() || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    fetch(link.dataset.useSettings, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (doc) {
        const viewer = document.getElementById("viewer");
        if (viewer && viewer.open) viewer.close();
        const menu = link.closest("details");
        if (menu) menu.open = false;
        apply(doc.parameters, shorten(doc.parameters.prompt));
      })
      .catch(function () {
        window.location.href = link.href; // the studio opens with them, server-side
      });
  });

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer))
      .map(function (b) {
        return b.toString(16).padStart(2, "0");
      })
      .join("");
  }

  // The browser hashes where it can (a secure context); elsewhere the file is posted.
  function lookUp(file) {
    if (window.crypto && window.crypto.subtle) {
      return file
        .arrayBuffer()
        .then(function (bytes) {
          return window.crypto.subtle.digest("SHA-256", bytes);
        })
        .then(function (digest) {
          return fetch(RECALL_URL + "?sha256=" + hex(digest), { credentials: "same-origin" });
        });
    }
    const body = new FormData();
    body.append("image", file);
    return fetch(RECALL_URL, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrf() },
      credentials: "same-origin",
    });
  }

  function passOn(target, files) {
    // Not one of ours: hand the drop to composer.js as if it had not been stopped.
    const transfer = new DataTransfer();
    files.forEach(function (file) {
      transfer.items.add(file);
    });
    const again = new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: transfer });
    again.studioRecallDone = true;
    target.dispatchEvent(again);
  }

  function isJson(file) {
    return file.type === "application/json" || /\.json$/i.test(file.name);
  }

  document.addEventListener(
    "drop",
    function (event) {
      if (event.studioRecallDone || !event.dataTransfer) return;
      const f = event.target.closest && event.target.closest(FORM);
      // The edit's source zone takes an image as the image to edit, as before.
      if (!f || event.target.closest('[data-drop="source"]')) return;
      const files = Array.from(event.dataTransfer.files || []);
      if (files.length !== 1) return;
      const file = files[0];
      const target = event.target;
      event.preventDefault();
      event.stopImmediatePropagation();
      f.querySelectorAll(".dragging").forEach(function (el) {
        el.classList.remove("dragging");
      });
      if (isJson(file)) {
        file.text().then(function (text) {
          let doc = null;
          try {
            doc = JSON.parse(text);
          } catch (e) {
            doc = null;
          }
          if (doc && doc.format === FORMAT && doc.parameters) {
            apply(doc.parameters, shorten(doc.parameters.prompt || file.name));
          } else {
            say(file.name + " is not a parameters file of this studio.");
          }
        });
        return;
      }
      lookUp(file)
        .then(function (r) {
          if (!r.ok) throw new Error(String(r.status));
          return r.json();
        })
        .then(function (found) {
          apply(found.parameters, shorten(found.prompt));
        })
        .catch(function () {
          passOn(target, files);
        });
    },
    true,
  );
})();
