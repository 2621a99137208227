// Sunshare game pages: the tips carousel's buttons (the slides also scroll by touch).
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
