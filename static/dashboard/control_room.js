/* Live control room: applies live events from the websocket, and re-reads what it missed after a drop.
   Rendering uses textContent only (comment text is untrusted). */
(function () {
  "use strict";
  var root = document.getElementById("control-room");
  if (!root) return;
  var liveId = Number(root.dataset.liveId);
  var lastCommentId = Number(root.dataset.lastCommentId || 0);
  var feed = document.getElementById("feed");
  var conn = document.getElementById("connection");
  var reviewList = document.getElementById("review");
  var labels = JSON.parse(document.getElementById("intent-labels").textContent);
  var chart = JSON.parse(document.getElementById("chart-data").textContent);
  var csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  var recovering = false, buffered = [], retries = 0, refreshTimer = null;
  var FEED_MAX = 200;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function setConn(state) {
    conn.dataset.state = state;
    conn.textContent = state === "open" ? conn.dataset.labelOpen : conn.dataset.labelClosed;
  }

  /* ---- feed ---- */
  function commentItem(rawId) {
    var id = Number(rawId);
    var li = feed.querySelector('[data-comment-id="' + id + '"]');
    if (li) return li;
    li = el("li", "comment intent-pending");
    li.dataset.commentId = id;
    li.append(el("span", "who"), " ", el("span", "text"), el("span", "decision"));
    var after = null;
    for (var child = feed.firstElementChild; child; child = child.nextElementSibling) {
      if (Number(child.dataset.commentId) < id) { after = child; break; }
    }
    feed.insertBefore(li, after);
    while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
    if (id > lastCommentId) lastCommentId = id;
    return li;
  }
  function renderDecision(li, d) {
    var intent = d.intent || "pending";
    li.className = "comment intent-" + intent;
    var box = li.querySelector(".decision");
    box.replaceChildren(el("span", "badge label-" + intent, labels[intent] || intent));
    if (d.engine) box.append(" ", el("small", "engine", d.engine));
    (d.items || []).forEach(function (item) {
      var text = item.code + " " + (item.variant_label || "") + (item.status ? " · " + item.status : "");
      box.append(" ", el("small", "item", text));
    });
    if (d.needs_review) box.append(" ", el("span", "badge warn", labels.review));
  }
  function applyComment(c) {
    if (Number(c.live_id) !== liveId) return;
    var li = commentItem(c.id);
    li.querySelector(".who").textContent = c.author_name || "?";
    li.querySelector(".text").textContent = c.text || "";
    if ("intent" in c && c.intent) renderDecision(li, c);
    if (c.needs_review) addReview(c.id);
  }
  function applyDecision(d) {
    if (Number(d.live_id) !== liveId) return;
    var li = commentItem(d.comment_id);
    renderDecision(li, d);
    (d.items || []).forEach(function (item) {
      bumpLive(item.code, item.variant_label, "reserved_in_live", item.reserved || 0);
      bumpLive(item.code, item.variant_label, "waitlisted_in_live", item.waitlisted || 0);
    });
    if (d.needs_review) addReview(d.comment_id); else removeReview(d.comment_id);
    if (d.intent === "purchase") { bumpChart(new Date(), "claims"); drawChart(); }
    refreshTotalsSoon();
  }

  /* ---- stock ---- */
  function bumpLive(code, label, field, delta) {
    if (!delta) return;
    var card = root.querySelector('.stock-card[data-code="' + CSS.escape(code) + '"]');
    var row = card && card.querySelector('tr[data-label="' + CSS.escape(label || "") + '"]');
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
  }
  function alertSoldOut(what) {
    var alerts = document.getElementById("alerts");
    var p = el("p", "", labels.sold_out + ": " + what);
    alerts.prepend(p);
    setTimeout(function () { p.remove(); }, 15000);
  }

  /* ---- review ---- */
  function addReview(id) {
    if (reviewList.querySelector('[data-comment-id="' + id + '"]')) return;
    var item = document.getElementById("review-template").content.firstElementChild.cloneNode(true);
    var source = feed.querySelector('[data-comment-id="' + id + '"]');
    item.dataset.commentId = id;
    item.querySelector(".who").textContent = source ? source.querySelector(".who").textContent : "";
    item.querySelector(".text").textContent = source ? source.querySelector(".text").textContent : "";
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
        return response.text().then(function (text) {
          var error = form.querySelector(".error") || form.appendChild(el("span", "error"));
          error.setAttribute("role", "alert");
          error.textContent = text;
        });
      });
  });

  /* ---- messages, featured, totals, chart ---- */
  function applyMessage(m) {
    var list = document.getElementById("messages");
    var li = list.querySelector('[data-message-id="' + m.id + '"]');
    if (!li) {
      li = el("li");
      li.dataset.messageId = m.id;
      li.append(el("span", "kind", m.kind), " → ", el("span", "to", m.recipient_id), " ", el("span", "badge"));
      list.prepend(li);
    }
    var badge = li.querySelector(".badge");
    badge.className = "badge msg-" + m.status;
    badge.textContent = m.status + (m.last_error_code ? " · " + m.last_error_code : "");
  }
  function applyFeatured(f) {
    if (Number(f.live_id) !== liveId) return;
    var id = f.product_id === null ? "" : String(f.product_id);
    document.querySelectorAll("#featured-switch .feature-btn").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.productId === id ? "true" : "false");
    });
  }
  function refreshTotalsSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () { document.body.dispatchEvent(new Event("refresh-totals")); }, 300);
  }
  function minuteKey(date) { return new Date(date).toISOString().slice(0, 16); }
  function bumpChart(date, field) {
    var key = minuteKey(date);
    var last = chart[chart.length - 1];
    if (!last || minuteKey(last.minute) !== key) { last = { minute: date.toISOString(), claims: 0, sales: 0 }; chart.push(last); }
    last[field] += 1;
  }
  function drawChart() {
    var svg = document.getElementById("chart");
    var points = chart.slice(-30);
    var max = Math.max(1, ...points.map(function (p) { return Math.max(p.claims, p.sales); }));
    var ns = "http://www.w3.org/2000/svg";
    svg.replaceChildren();
    points.forEach(function (p, i) {
      ["claims", "sales"].forEach(function (field, j) {
        var h = (p[field] / max) * 76;
        var rect = document.createElementNS(ns, "rect");
        rect.setAttribute("class", field);
        rect.setAttribute("x", String(i * 10 + j * 4.5));
        rect.setAttribute("y", String(78 - h));
        rect.setAttribute("width", "4");
        rect.setAttribute("height", String(h));
        var title = document.createElementNS(ns, "title");
        title.textContent = minuteKey(p.minute).slice(11) + " " + field + ": " + p[field];
        rect.append(title);
        svg.append(rect);
      });
    });
  }

  /* ---- events and recovery ---- */
  var handlers = {
    comment: applyComment,
    decision: applyDecision,
    stock: function (p) { (p.variants || []).forEach(applyVariant); },
    message: applyMessage,
    order: function () { refreshTotalsSoon(); },
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
        state.comments.forEach(applyComment);
        state.variants.forEach(applyVariant);
        state.messages.slice().reverse().forEach(applyMessage);
        Array.prototype.forEach.call(reviewList.querySelectorAll("[data-comment-id]"), function (item) {
          if (state.review_ids.indexOf(Number(item.dataset.commentId)) < 0) item.remove();
        });
        state.review_ids.forEach(addReview);
        countReview();
        applyFeatured({ live_id: liveId, product_id: state.live.featured_product_id });
        chart = state.chart; drawChart();
        refreshTotalsSoon();
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
      if (event.code === 4403) { conn.textContent = labels.refused; return; }
      retries += 1;
      setTimeout(connect, Math.min(5000, 250 * Math.pow(2, retries)));
    };
  }

  /* ---- keyboard: 1-9 feature the nth product, 0 features nothing ---- */
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, [contenteditable]")) return;
    var button = document.querySelector('#featured-switch [data-shortcut="' + event.key + '"]');
    if (button) { event.preventDefault(); button.click(); button.focus(); }
  });

  drawChart();
  connect();
  window.liveControlRoom = { lastCommentId: function () { return lastCommentId; } };
})();
