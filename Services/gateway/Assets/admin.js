// The operator console's only script: confirmations before an action. Every form works without it
// (a required "I confirm" box stands in); with it, the box is hidden and the browser asks instead.
"use strict";
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".noscript-confirm input")) {
    box.required = false;
    box.checked = true;
  }
  for (const form of document.querySelectorAll("form.refund")) {
    form.addEventListener("submit", (event) => {
      const amount = form.elements.amount.value.trim();
      const currency = (form.dataset.currency || "").toUpperCase();
      const what = amount === "" ? "everything not yet refunded" : `${amount} minor units of ${currency}`;
      if (!window.confirm(`Refund ${what} of order ${form.dataset.order}? Stripe sends the money back; this cannot be undone.`)) {
        event.preventDefault();
      }
    });
  }
  for (const form of document.querySelectorAll("form.cancel")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(`Cancel order ${form.dataset.order}? Its payment is made unpayable and its stock released.`)) {
        event.preventDefault();
      }
    });
  }
  for (const form of document.querySelectorAll("form.replay")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm("Deliver this event again?")) event.preventDefault();
    });
  }
});
