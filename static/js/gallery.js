// The gallery-level poll asks only while some card on the page is still in flight: its
// hx-trigger filter calls this, so no request at all goes out once everything is done.
window.studioInFlightIds = function () {
  return Array.from(
    document.querySelectorAll('#gallery [data-state="pending"], #gallery [data-state="queued"], #gallery [data-state="processing"]'),
    (el) => el.dataset.generationId,
  );
};
