// Copy buttons: <button data-copy="element-id" data-copied="Copied"> copies that element's text
// and says so in the page's language.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var text = document.getElementById(button.dataset.copy).textContent;
    navigator.clipboard.writeText(text).then(function () {
      button.textContent = "✓ " + (button.dataset.copied || "");
    });
  });
});
