// Sunshare game pages: the tips carousel's buttons (the slides also scroll by touch),
// confirmations and copy buttons. Loaded as a file: the CSP allows no inline script.
"use strict";
document.querySelectorAll("[data-carousel]").forEach((carousel) => {
  const slides = carousel.querySelector(".slides");
  const counter = carousel.querySelector(".counter");
  const count = slides.children.length;
  const current = () => Math.round(slides.scrollLeft / Math.max(slides.clientWidth, 1));
  const show = (index) => {
    const target = (index + count) % count;
    slides.scrollTo({ left: target * slides.clientWidth, behavior: "smooth" });
  };
  const update = () => {
    if (counter) counter.textContent = `${current() + 1} / ${count}`;
  };
  carousel.querySelector("[data-prev]")?.addEventListener("click", () => show(current() - 1));
  carousel.querySelector("[data-next]")?.addEventListener("click", () => show(current() + 1));
  slides.addEventListener("scroll", update, { passive: true });
  update();
});
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});
// A copy button (data-copy="ID") copies the value of the field with that id, e.g. the
// team invite link; the status next to it says whether it worked. The Clipboard API
// needs a secure context (HTTPS or localhost): elsewhere the selection is copied.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector("[role=status]");
  if (!field) return;
  field.addEventListener("focus", () => field.select());
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      field.focus();
      field.select();
      try {
        copied = document.execCommand("copy");
      } catch {
        copied = false;
      }
    }
    if (status) status.textContent = copied ? button.dataset.copied : button.dataset.copyFailed;
  });
});
