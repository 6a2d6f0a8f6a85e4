// The theme toggle's htmx answer carries a `theme-changed` event (HX-Trigger): draw the page in
// the chosen theme at once. Without JavaScript the form posts and the page comes back drawn
// in it by the server (<html data-theme>).
document.addEventListener("theme-changed", (event) => {
  const theme = event.detail && event.detail.theme;
  if (theme) document.documentElement.dataset.theme = theme;
});
