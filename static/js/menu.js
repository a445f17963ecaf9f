// The main navigation's menu button on narrow screens (static/css/app.css shows the button and
// hides the navigation below 760px once this script has run; without it the navigation stays).
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("topbar");
  const button = bar && bar.querySelector(".menubutton");
  if (!button) return;
  button.hidden = false;
  bar.classList.add("has-menu");
  button.addEventListener("click", () => {
    const open = bar.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
});
