// The call list's filters fill a phone's first screen: their <details> is closed there, unless
// a filter is set or wrong (data-keep-open). Open on a desktop, as the page sends it.
(function () {
  "use strict";
  var box = document.getElementById("call-filters");
  if (box && !box.hasAttribute("data-keep-open") && window.matchMedia("(max-width: 640px)").matches) {
    box.open = false;
  }
})();
