// A gallery asks for news (rows shared with the team, or made elsewhere: the API, another
// tab) at a slow interval, and only while the tab is visible: a hidden tab sends nothing;
// coming back asks once at once, then on the interval again. The request itself is htmx's
// (hx-get on #team-news or #studio-news, answered 204 when nothing is new), fired by the
// "news" event, with the filter form's current values. The studio's check also names the
// cards already at the top of the page (`have`), so a card this tab drew itself is not sent
// again.
(function () {
  let timer = null;

  function checker() {
    return document.querySelector("#team-news, #studio-news");
  }

  function check() {
    const el = checker();
    if (el && window.htmx && document.visibilityState === "visible") {
      window.htmx.trigger(el, "news");
    }
  }

  function start() {
    const el = checker();
    if (!el || timer !== null) return;
    const seconds = Number(el.dataset.every) || 15;
    timer = setInterval(check, seconds * 1000);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
  }

  document.addEventListener("htmx:configRequest", (event) => {
    const elt = event.detail.elt;
    if (!elt || (elt.id !== "studio-news" && elt.id !== "team-news")) return;
    // The filters in effect now (the form's: the gallery may have been filtered since it
    // was drawn), so that only cards the filtered gallery would show come in.
    const form = document.querySelector("#gallery-panel form.filters");
    if (form) {
      new FormData(form).forEach((value, name) => {
        if (value !== "") event.detail.parameters[name] = value;
      });
    }
    if (elt.id !== "studio-news") return;
    const cards = Array.from(document.querySelectorAll("#gallery [data-generation-id]")).slice(0, 100);
    event.detail.parameters.have = cards.map((card) => card.dataset.generationId).join(",");
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      check();
      start();
    } else {
      stop();
    }
  });
  document.addEventListener("DOMContentLoaded", () => {
    if (document.visibilityState === "visible") start();
  });
})();
