/* Live control room: applies live events from the websocket, and re-reads what it missed after a drop.
   Rendering uses textContent only (comment text is untrusted). Codes are shown through the translated labels
   the page carries (#script-labels), never raw. */
(function () {
  "use strict";
  var root = document.getElementById("control-room");
  if (!root) return;
  var liveId = Number(root.dataset.liveId);
  var lastCommentId = Number(root.dataset.lastCommentId || 0);
  var feed = document.getElementById("feed");
  var conn = document.getElementById("connection");
  var connState = conn.querySelector(".conn-state");
  var reviewList = document.getElementById("review");
  var labels = JSON.parse(document.getElementById("script-labels").textContent);
  var text = labels.text;
  var chart = JSON.parse(document.getElementById("chart-data").textContent);
  var csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  var recovering = false, buffered = [], retries = 0, refreshTimers = {};
  var FEED_MAX = 200, CHART_MINUTES = 30;

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }
  function label(concept, code) {
    var mapping = labels[concept] || {};
    if (code in mapping) return mapping[code];
    return labels.fallback[concept] || code;
  }
  function setConn(state) {
    conn.dataset.state = state;
    connState.textContent = state === "open" ? conn.dataset.labelOpen : conn.dataset.labelClosed;
  }

  /* ---- feed ---- */
  function commentItem(rawId) {
    var id = Number(rawId);
    var li = feed.querySelector('[data-comment-id="' + id + '"]');
    if (li) return li;
    li = el("li", "comment intent-pending");
    li.dataset.commentId = id;
    li.append(el("span", "who"), " ", el("span", "text"), el("span", "decision"));
    li.querySelector(".decision").append(el("span", "badge label-pending", label("intent", "")));
    var after = null;
    for (var child = feed.firstElementChild; child; child = child.nextElementSibling) {
      if (Number(child.dataset.commentId) < id) { after = child; break; }
    }
    feed.insertBefore(li, after);
    while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
    if (id > lastCommentId) lastCommentId = id;
    return li;
  }
  function itemText(item) {
    var what = item.code + " " + (item.variant_label || "");
    if (!item.status) return what;
    var outcome = label("item_status", item.status);
    if (item.reason && (item.status === "rejected" || item.status === "partial")) {
      outcome += " (" + label("reject_reason", item.reason) + ")";
    }
    return what + " · " + outcome;
  }
  function renderDecision(li, d) {
    var intent = d.intent || "";
    li.className = "comment intent-" + (intent || "pending");
    var box = li.querySelector(".decision");
    box.replaceChildren(el("span", "badge label-" + (intent || "pending"), label("intent", intent)));
    if (d.engine) {
      var engine = el("small", "engine", label("engine", d.engine));
      engine.dataset.engine = d.engine;
      box.append(" ", engine);
    }
    (d.items || []).forEach(function (item) { box.append(" ", el("small", "item", itemText(item))); });
    if (d.needs_review) box.append(" ", el("span", "badge warn", text.review));
  }
  function applyComment(c) {
    if (Number(c.live_id) !== liveId) return;
    var li = commentItem(c.id);
    li.querySelector(".who").textContent = c.author_name || "?";
    li.querySelector(".text").textContent = c.text || "";
    if (c.intent) renderDecision(li, c);
    if (c.needs_review) addReview(c.id, c.review_reason);
  }
  function applyDecision(d) {
    if (Number(d.live_id) !== liveId) return;
    var li = commentItem(d.comment_id);
    renderDecision(li, d);
    (d.items || []).forEach(function (item) {
      bumpLive(item.code, item.variant_label, "reserved_in_live", item.reserved || 0);
      bumpLive(item.code, item.variant_label, "waitlisted_in_live", item.waitlisted || 0);
    });
    if (d.needs_review) addReview(d.comment_id, d.review_reason); else removeReview(d.comment_id);
    if (d.intent === "purchase") { bumpChart(new Date(), "claims"); drawChart(); }
    refreshSoon("refresh-totals");
  }

  /* ---- stock ---- */
  function bumpLive(code, variantLabel, field, delta) {
    if (!delta) return;
    var card = root.querySelector('.stock-card[data-code="' + CSS.escape(code) + '"]');
    var row = card && card.querySelector('tr[data-label="' + CSS.escape(variantLabel || "") + '"]');
    var cell = row && row.querySelector('[data-field="' + field + '"]');
    if (cell) cell.textContent = String(Number(cell.textContent) + delta);
  }
  function applyVariant(v) {
    var row = root.querySelector('tr[data-variant-id="' + v.variant_id + '"]');
    if (!row) return;
    ["available", "reserved_in_live", "waitlisted_in_live"].forEach(function (field) {
      var cell = row.querySelector('[data-field="' + field + '"]');
      if (cell && field in v && cell.textContent !== String(v[field])) {
        cell.textContent = String(v[field]);
        row.classList.remove("flash-change"); void row.offsetWidth; row.classList.add("flash-change");
      }
    });
    var wasOut = row.classList.contains("out");
    var out = Number(v.available) <= 0;
    row.classList.toggle("out", out);
    var card = row.closest(".stock-card");
    var allOut = Array.prototype.every.call(card.querySelectorAll("tr[data-variant-id]"), function (r) {
      return r.classList.contains("out");
    });
    card.classList.toggle("sold-out", allOut);
    if (out && !wasOut) alertSoldOut(card.dataset.code + " " + (row.dataset.label || ""));
    if ("available" in v) updateReviewOptions(v.variant_id, Number(v.available));
  }
  function optionText(option, available) {
    var outcome = available <= 0 ? text.sold_out_waitlist : format(text.available, { count: available });
    return option.dataset.name + " · " + outcome;
  }
  function updateReviewOptions(variantId, available) {
    var selector = 'option[data-variant-id="' + variantId + '"]';
    var template = document.getElementById("review-template").content;
    Array.from(reviewList.querySelectorAll(selector)).concat(Array.from(template.querySelectorAll(selector)))
      .forEach(function (option) {
        option.textContent = optionText(option, available);
        option.toggleAttribute("data-sold-out", available <= 0);
      });
  }
  function alertSoldOut(what) {
    var alerts = document.getElementById("alerts");
    var p = el("p", "", text.sold_out + ": " + what);
    alerts.prepend(p);
    setTimeout(function () { p.remove(); }, 15000);
  }

  /* ---- review ---- */
  function addReview(id, reason) {
    if (reviewList.querySelector('[data-comment-id="' + id + '"]')) return;
    var item = document.getElementById("review-template").content.firstElementChild.cloneNode(true);
    var source = feed.querySelector('[data-comment-id="' + id + '"]');
    item.dataset.commentId = id;
    item.querySelector(".who").textContent = source ? source.querySelector(".who").textContent : "";
    item.querySelector(".text").textContent = source ? source.querySelector(".text").textContent : "";
    item.querySelector(".reason small").textContent = label("review_reason", reason || "");
    item.querySelector("form").action = root.dataset.reviewUrl + id + "/resolve/";
    item.querySelector('[data-action="dismiss"]').formAction = root.dataset.reviewUrl + id + "/dismiss/";
    reviewList.append(item);
    countReview();
  }
  function removeReview(id) {
    var item = reviewList.querySelector('[data-comment-id="' + id + '"]');
    if (item) { item.remove(); countReview(); }
  }
  function countReview() {
    document.getElementById("review-count").textContent = String(reviewList.children.length);
  }
  reviewList.addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var button = event.submitter;
    var url = button && button.formAction && button.dataset.action === "dismiss" ? button.formAction : form.action;
    fetch(url, { method: "POST", body: new FormData(form), headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
      credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) { form.closest("li").remove(); countReview(); return null; }
        return response.text().then(function (message) {
          var error = form.querySelector(".error") || form.appendChild(el("span", "error"));
          error.setAttribute("role", "alert");
          error.textContent = message;
        });
      });
  });

  /* ---- featured, panels refreshed from the server, chart ---- */
  function applyFeatured(f) {
    if (Number(f.live_id) !== liveId) return;
    var id = f.product_id === null ? "" : String(f.product_id);
    document.querySelectorAll("#featured-switch .feature-btn").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.productId === id ? "true" : "false");
    });
  }
  /* At most one refresh of a server-rendered panel (totals, messages) in flight per 700 ms, and always one
     after the last event: a busy live never starves it. */
  function refreshSoon(eventName) {
    if (refreshTimers[eventName]) return;
    refreshTimers[eventName] = setTimeout(function () {
      refreshTimers[eventName] = null;
      document.body.dispatchEvent(new Event(eventName));
    }, 700);
  }
  function minuteKey(date) { return new Date(date).toISOString().slice(0, 16); }
  function bumpChart(date, field) {
    var key = minuteKey(date);
    var last = chart[chart.length - 1];
    if (!last || minuteKey(last.minute) !== key) { last = { minute: date.toISOString(), claims: 0, sales: 0 }; chart.push(last); }
    last[field] += 1;
  }
  /* The last CHART_MINUTES minutes up to the latest one with data, every minute present (zeros included). */
  function chartSeries() {
    if (!chart.length) return [];
    var byMinute = {};
    chart.forEach(function (p) { byMinute[minuteKey(p.minute)] = p; });
    var last = new Date(minuteKey(chart[chart.length - 1].minute) + ":00Z").getTime();
    var first = Math.max(new Date(minuteKey(chart[0].minute) + ":00Z").getTime(), last - (CHART_MINUTES - 1) * 60000);
    var series = [];
    for (var t = first; t <= last; t += 60000) {
      var key = new Date(t).toISOString().slice(0, 16);
      var point = byMinute[key] || { claims: 0, sales: 0 };
      series.push({ at: new Date(t), claims: point.claims, sales: point.sales });
    }
    return series;
  }
  function niceMax(value) {
    if (value <= 4) return 4;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * power >= value) return steps[i] * power; }
    return 10 * power;
  }
  function hhmm(date) {
    return date.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }
  function drawChart() {
    var svg = document.getElementById("chart");
    var ns = "http://www.w3.org/2000/svg";
    var W = 320, H = 170, left = 30, right = 8, top = 10, bottom = 30;
    var plotW = W - left - right, plotH = H - top - bottom;
    var series = chartSeries();
    function node(tag, attrs, content) {
      var n = document.createElementNS(ns, tag);
      Object.keys(attrs).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
      if (content !== undefined) n.textContent = String(content);
      return n;
    }
    svg.replaceChildren();
    var totalClaims = 0, totalSales = 0;
    series.forEach(function (p) { totalClaims += p.claims; totalSales += p.sales; });
    var max = niceMax(Math.max.apply(null, [1].concat(series.map(function (p) { return Math.max(p.claims, p.sales); }))));
    [0, max / 2, max].forEach(function (tick) {
      var y = top + plotH - (tick / max) * plotH;
      svg.append(node("line", { x1: left, x2: W - right, y1: y, y2: y, class: tick ? "grid" : "axis" }));
      svg.append(node("text", { x: left - 4, y: y + 4, "text-anchor": "end", class: "tick" }, tick));
    });
    svg.append(node("line", { x1: left, x2: left, y1: top, y2: top + plotH, class: "axis" }));
    if (!series.length) {
      svg.append(node("text", { x: left + plotW / 2, y: top + plotH / 2, "text-anchor": "middle", class: "empty" }, text.no_claims_yet));
      document.getElementById("chart-summary").textContent = text.no_claims_yet;
      return;
    }
    var slot = plotW / Math.max(series.length, 10);
    var bar = Math.max(1, slot * 0.4);
    series.forEach(function (p, i) {
      ["claims", "sales"].forEach(function (field, j) {
        var h = (p[field] / max) * plotH;
        var rect = node("rect", { class: field, x: left + i * slot + slot * 0.1 + j * bar, y: top + plotH - h, width: bar, height: h });
        rect.append(node("title", {}, hhmm(p.at) + " · " + (field === "claims" ? text.claims : text.sales) + ": " + p[field]));
        svg.append(rect);
      });
    });
    /* A time under every few bars, never closer than ~46 px: they do not overlap on a phone. */
    var every = Math.max(1, Math.ceil(46 / slot));
    for (var i = 0; i < series.length; i += every) {
      var x = Math.min(W - right - 15, Math.max(left + 15, left + i * slot + slot / 2));
      svg.append(node("text", { x: x, y: H - bottom + 16, "text-anchor": "middle", class: "tick" }, hhmm(series[i].at)));
    }
    document.getElementById("chart-summary").textContent = text.claims + ": " + totalClaims + " · " + text.sales + ": " +
      totalSales + " · " + format(text.since, { time: hhmm(series[0].at) });
  }

  /* ---- events and recovery ---- */
  var handlers = {
    comment: applyComment,
    decision: applyDecision,
    stock: function (p) { (p.variants || []).forEach(applyVariant); },
    message: function () { refreshSoon("refresh-messages"); },
    order: function () { refreshSoon("refresh-totals"); },
    featured: applyFeatured,
    live: function (p) { if (Number(p.live_id) === liveId) window.location.reload(); },
  };
  function dispatch(message) {
    var handler = handlers[message.event];
    if (handler) handler(message.payload || {});
  }
  function recover() {
    recovering = true;
    return fetch(root.dataset.stateUrl + "?after=" + lastCommentId, { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
      .then(function (state) {
        if (state.live.status !== document.getElementById("live-status").dataset.status) window.location.reload();
        state.comments.forEach(applyComment);
        state.variants.forEach(applyVariant);
        Array.prototype.forEach.call(reviewList.querySelectorAll("[data-comment-id]"), function (item) {
          if (state.review_ids.indexOf(Number(item.dataset.commentId)) < 0) item.remove();
        });
        state.review_ids.forEach(function (id) { addReview(id, (state.review_reasons || {})[id] || ""); });
        countReview();
        applyFeatured({ live_id: liveId, product_id: state.live.featured_product_id });
        chart = state.chart; drawChart();
        refreshSoon("refresh-totals");
        refreshSoon("refresh-messages");
      })
      .catch(function () { /* the next reconnect tries again */ })
      .finally(function () {
        recovering = false;
        var pending = buffered; buffered = [];
        pending.forEach(dispatch);
      });
  }
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
    socket.onopen = function () { retries = 0; setConn("open"); recover(); };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (recovering) buffered.push(message); else dispatch(message);
    };
    socket.onclose = function (event) {
      setConn("closed");
      if (event.code === 4403) { connState.textContent = text.refused; return; }
      retries += 1;
      setTimeout(connect, Math.min(5000, 250 * Math.pow(2, retries)));
    };
  }

  /* ---- keyboard: 1-9 feature the nth product, 0 features nothing ---- */
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, [contenteditable], dialog")) return;
    var button = document.querySelector('#featured-switch [data-shortcut="' + event.key + '"]');
    if (button) { event.preventDefault(); button.click(); button.focus(); }
  });

  drawChart();
  connect();
  window.liveControlRoom = { lastCommentId: function () { return lastCommentId; } };
})();
