// A form with data-confirm asks before it is sent (Remove, Leave, Revoke, Delete the team on
// the members page); without JavaScript the form is simply sent, as every action must work.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
