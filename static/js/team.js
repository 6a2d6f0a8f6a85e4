// The team gallery asks for newly shared items at a slow interval, and only while the tab
// is visible: a hidden tab sends nothing; coming back asks once at once, then on the
// interval again. The request itself is htmx's (hx-get on #team-news, answered 204 when
// nothing is new), fired by the "team-news" event.
(function () {
  let timer = null;

  function check() {
    const el = document.getElementById("team-news");
    if (el && window.htmx && document.visibilityState === "visible") {
      window.htmx.trigger(el, "team-news");
    }
  }

  function start() {
    const el = document.getElementById("team-news");
    if (!el || timer !== null) return;
    const seconds = Number(el.dataset.every) || 15;
    timer = setInterval(check, seconds * 1000);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
  }

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
