/*! Dexem dynamic number insertion (SPEC §13). No dependency, no cookie. Until the site calls
dexem("consent", true) nothing is stored on the device and no identifier is sent: only the
source (utm_source, utm_medium, the referrer's origin) to get the source's number. With consent
a random visit token lives in sessionStorage and the visit holds its own number, renewed while
the page is open. Our server unreachable: the page keeps the number it was written with. */
(function (w, d) {
  "use strict";
  var me = d.currentScript || d.querySelector("script[data-client]");
  if (!me || !w.fetch) return;
  var client = me.getAttribute("data-client"),
    api = new URL(me.src, location.href).origin + "/dni/v1/visits/",
    KEY = "dexem_visit",
    CAMPAIGN = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "msclkid"],
    consent = false,
    timer = 0,
    shown = null,
    asked = 0;

  function store(op, value) {
    try {
      var s = w.sessionStorage;
      return op === "get" ? s.getItem(KEY) : op === "set" ? s.setItem(KEY, value) : s.removeItem(KEY);
    } catch (e) { return null; }
  }

  function swap() {
    if (!shown) return;
    var els = d.querySelectorAll("[data-dexem-number]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i], href = el.getAttribute("href");
      el.textContent = shown.display;
      if (href && /^tel:/i.test(href)) el.setAttribute("href", "tel:" + shown.number);
    }
  }

  function body() {
    var q = new URLSearchParams(location.search), b = { client: client, consent: consent }, kept = [];
    var ref = "";
    try { ref = d.referrer ? new URL(d.referrer).origin + "/" : ""; } catch (e) {}
    if (consent) {
      for (var i = 0; i < CAMPAIGN.length; i++) {
        var v = q.get(CAMPAIGN[i]);
        if (v) { b[CAMPAIGN[i]] = v; kept.push(CAMPAIGN[i] + "=" + encodeURIComponent(v)); }
      }
      b.landing_url = location.pathname + (kept.length ? "?" + kept.join("&") : "");
      b.referrer = ref;
      var token = store("get");
      if (token) b.visit = token;
    } else {
      // The source alone: nothing that tells this visitor apart from another.
      if (q.get("utm_source")) b.utm_source = q.get("utm_source");
      if (q.get("utm_medium")) b.utm_medium = q.get("utm_medium");
      b.referrer = ref;
    }
    return b;
  }

  function ask() {
    var mine = ++asked, ctl = w.AbortController ? new AbortController() : null;
    var t = ctl && setTimeout(function () { ctl.abort(); }, 5000);
    fetch(api, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body()),
      signal: ctl ? ctl.signal : undefined
    }).then(function (r) {
      if (!r.ok) throw r.status;
      return r.json();
    }).then(function (a) {
      if (mine !== asked) return; // a later answer (consent changed) wins
      if (consent && a.visit) {
        store("set", a.visit);
        clearTimeout(timer);
        // Renew well before the lease ends, while the page stays open.
        timer = setTimeout(ask, Math.max(30, Math.min(600, (a.expires_in || 1800) / 3)) * 1000);
      }
      if (a.number) { shown = a; swap(); }
    })["catch"](function () {
      // Unreachable or refused: the number written in the page stays (never a blank).
      if (consent) { clearTimeout(timer); timer = setTimeout(ask, 60000); }
    }).then(function () { if (t) clearTimeout(t); });
  }

  function dexem(command, value) {
    if (command !== "consent") return;
    var was = consent;
    consent = value === true;
    if (!consent) { store("remove"); clearTimeout(timer); }
    if (consent !== was) ask();
  }

  var queued = (w.dexem && w.dexem.q) || [];
  w.dexem = dexem;
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", swap);
  ask();
  for (var i = 0; i < queued.length; i++) dexem.apply(null, queued[i]);
})(window, document);
