/*
 * The shop's one script. Each page names itself in <body data-page>; the script runs that page's part.
 * It talks to the shop's own JSON API and to Stripe.js (the real one, or the stand-in's emulation in
 * local test mode: the same calls either way). Client secrets stay in memory and sessionStorage, never
 * in a URL the shop serves; ids from the query string reach the DOM only as text.
 */
"use strict";
(function () {
  var page = document.body.dataset.page;
  var params = new URLSearchParams(location.search);
  var $ = function (selector) { return document.querySelector(selector); };

  function money(amount, currency) {
    try {
      var format = new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() });
      var digits = format.resolvedOptions().maximumFractionDigits;
      return format.format(amount / Math.pow(10, digits));
    } catch (e) {
      return amount + " " + currency.toUpperCase();
    }
  }

  function api(method, path, data, headers) {
    var options = { method: method, headers: Object.assign({ "Accept": "application/json" }, headers || {}) };
    // Every POST is JSON, body or not: the API refuses other content types.
    if (data === undefined && method === "POST") { data = {}; }
    if (data !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(data);
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var error = new Error((json.error && json.error.message) || ("The server answered " + response.status + "."));
          error.status = response.status;
          error.info = json.error || {};
          throw error;
        }
        return json;
      });
    });
  }

  function say(text, isError) {
    var box = $("#message");
    if (!box) { return; }
    box.textContent = text;
    box.className = isError ? "notice error" : "notice";
    box.hidden = !text;
  }

  var pageForFlow = { payment_intent: "/checkout", checkout_session: "/checkout/embedded", invoice: "/invoice" };

  function orderURL(flow, orderId) { return pageForFlow[flow] + "?order_id=" + encodeURIComponent(orderId); }

  // The client secret stays in this tab only; a new tab or a retry asks the API again.
  function remember(orderId, flow, secret) {
    try { sessionStorage.setItem("pay:" + orderId, JSON.stringify({ flow: flow, secret: secret })); } catch (e) { }
  }
  function forget(orderId) { try { sessionStorage.removeItem("pay:" + orderId); } catch (e) { } }

  // The order's token: the API hands it out once, at creation (or in the pay-again link of an email), and
  // asks for it before it gives the payment out again. Kept for the tab, like the client secret, but
  // past the payment, so the error page's "Try again" still works.
  function rememberToken(orderId, token) {
    if (!token) { return; }
    try { sessionStorage.setItem("tok:" + orderId, token); } catch (e) { }
  }
  function tokenFor(orderId) {
    try { return sessionStorage.getItem("tok:" + orderId); } catch (e) { return null; }
  }
  function recall(orderId, flow) {
    try {
      var saved = JSON.parse(sessionStorage.getItem("pay:" + orderId) || "null");
      return saved && saved.flow === flow ? saved.secret : null;
    } catch (e) { return null; }
  }

  function clientSecret(orderId, flow) {
    var saved = recall(orderId, flow);
    if (saved) { return Promise.resolve(saved); }
    var token = tokenFor(orderId);
    if (!token) {
      return Promise.reject(new Error("This page cannot take the payment: open the link in your email, or place the order again from the shop."));
    }
    return api("POST", "/api/orders/" + encodeURIComponent(orderId) + "/payment", undefined, { "Order-Token": token }).then(function (reply) {
      if (reply.flow && reply.flow !== flow) {
        location.replace(orderURL(reply.flow, orderId));
        return new Promise(function () { });
      }
      remember(orderId, flow, reply.client_secret);
      return reply.client_secret;
    });
  }

  var configPromise = null;
  function config() {
    if (!configPromise) {
      configPromise = api("GET", "/config").then(function (cfg) {
        if (cfg.mode && cfg.mode !== "live") {
          var badge = $("#mode");
          badge.textContent = cfg.mode === "emulator" ? "offline test mode: card 4242 4242 4242 4242" : "test mode: card 4242 4242 4242 4242";
          badge.hidden = false;
        }
        return cfg;
      });
    }
    return configPromise;
  }

  function stripeFor(cfg) {
    if (typeof Stripe !== "function") { throw new Error("The payment form could not be loaded. Check your connection and reload."); }
    return Stripe(cfg.publishableKey);
  }

  function cell(row, text) { var td = document.createElement("td"); td.textContent = text; row.appendChild(td); }

  function showOrder(order) {
    var box = $("#summary");
    if (!box) { return; }
    var table = document.createElement("table");
    order.items.forEach(function (line) {
      var row = table.insertRow();
      cell(row, line.quantity + " × " + line.name);
      cell(row, money(line.amount, order.currency));
    });
    var sum = table.insertRow();
    sum.className = "sum";
    cell(sum, "Total");
    cell(sum, money(order.amount, order.currency));
    var ref = document.createElement("p");
    ref.className = "muted";
    ref.textContent = "Order " + order.order_id;
    box.replaceChildren(table, ref);
  }

  var statusText = {
    awaiting_payment: ["Waiting for payment", "We have not received the payment yet."],
    processing: ["Processing", "Your payment is processing. We will email you when it completes."],
    paid: ["Paid", "Payment received. We are preparing your order."],
    fulfilled: ["Confirmed", "Paid and on its way. A receipt is in your inbox."],
    payment_failed: ["Payment failed", "The payment did not go through. You can try again."],
    canceled: ["Canceled", "This order was canceled."],
    expired: ["Expired", "This order expired before it was paid."],
    needs_review: ["In review", "Payment received; we are checking the order and will contact you."],
    partially_refunded: ["Partly refunded", "Part of your payment was refunded to you."],
    refunded: ["Refunded", "Your payment was refunded to you."]
  };
  var good = { paid: true, fulfilled: true, processing: true };
  var bad = { payment_failed: true, canceled: true, expired: true };
  var settled = { fulfilled: true, canceled: true, expired: true, needs_review: true };

  function showStatus(status) {
    var box = $("#status");
    var text = statusText[status] || [status, ""];
    var badge = document.createElement("span");
    badge.className = "badge" + (good[status] ? " good" : bad[status] ? " bad" : "");
    badge.textContent = text[0];
    box.replaceChildren(badge, document.createTextNode(text[1]));
  }

  // Follows the order's status live (every 2 s, for up to 10 minutes or until it settles).
  function follow(orderId, onStatus) {
    var started = Date.now();
    function tick() {
      api("GET", "/api/orders/" + encodeURIComponent(orderId)).then(function (order) {
        showOrder(order);
        showStatus(order.status);
        if (onStatus) { onStatus(order); }
        if (!settled[order.status] && Date.now() - started < 600000) { setTimeout(tick, 2000); }
      }).catch(function (error) {
        $("#status").textContent = error.status === 404 ? "We cannot find this order." : "Status unavailable right now; retrying…";
        if (error.status !== 404 && Date.now() - started < 600000) { setTimeout(tick, 4000); }
      });
    }
    tick();
  }

  function needOrderId() {
    var orderId = params.get("order_id");
    if (!orderId) { say("No order given. Start again from the shop.", true); }
    return orderId;
  }

  // The product page: catalog, quantities, email, three ways to pay.
  function home() {
    var form = $("#order-form");
    var list = $("#products");
    var products = [];
    var idempotencyKey = null;
    config().catch(function () { });

    function items() {
      var chosen = [];
      list.querySelectorAll("input[data-sku]").forEach(function (input) {
        var quantity = parseInt(input.value, 10);
        if (quantity > 0) { chosen.push({ sku: input.dataset.sku, quantity: quantity }); }
      });
      return chosen;
    }
    function updateTotal() {
      idempotencyKey = null;
      var byId = {};
      products.forEach(function (p) { byId[p.sku] = p; });
      var chosen = items();
      if (!chosen.length) { $("#total").textContent = ""; return; }
      var total = 0, currency = byId[chosen[0].sku].currency, mixed = false;
      chosen.forEach(function (item) {
        total += byId[item.sku].unit_amount * item.quantity;
        mixed = mixed || byId[item.sku].currency !== currency;
      });
      $("#total").textContent = mixed ? "Items priced in different currencies must be ordered separately."
        : "Total: " + money(total, currency);
    }

    api("GET", "/api/catalog").then(function (catalog) {
      products = catalog.products;
      list.replaceChildren();
      if (!products.length) { list.textContent = "Nothing is on sale right now."; }
      products.forEach(function (p, i) {
        var card = document.createElement("article");
        card.className = "product";
        var name = document.createElement("h2");
        name.textContent = p.name;
        var price = document.createElement("p");
        price.className = "price";
        price.textContent = money(p.unit_amount, p.currency);
        var info = document.createElement("p");
        info.textContent = (p.description ? p.description + " · " : "") + (p.available > 0 ? p.available + " in stock" : "sold out");
        var label = document.createElement("label");
        label.textContent = "Quantity";
        var input = document.createElement("input");
        input.type = "number";
        input.inputMode = "numeric";
        input.min = "0";
        input.max = String(Math.max(0, Math.min(p.available, 1000)));
        input.value = i === 0 && p.available > 0 ? "1" : "0";
        input.dataset.sku = p.sku;
        input.disabled = p.available <= 0;
        input.addEventListener("input", updateTotal);
        label.appendChild(input);
        card.append(name, label, price, info);
        list.appendChild(card);
      });
      updateTotal();
    }).catch(function (error) {
      list.replaceChildren();
      say("The catalog is unavailable: " + error.message, true);
    });
    $("#email").addEventListener("input", function () { idempotencyKey = null; });

    var endpoints = { payment_intent: "/api/orders", checkout_session: "/api/checkout/sessions", invoice: "/api/invoices" };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var flow = (event.submitter && event.submitter.dataset.flow) || "payment_intent";
      var chosen = items();
      if (!chosen.length) { say("Choose at least one product.", true); return; }
      var email = $("#email").value.trim();
      if (!email || email.indexOf("@") < 1) { say("Enter your email address for the receipt.", true); $("#email").focus(); return; }
      // One key per cart: a double click or a retry after a network error returns the same order.
      if (!idempotencyKey) { idempotencyKey = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()); }
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      say("Creating your order…", false);
      api("POST", endpoints[flow], { items: chosen, email: email }, { "Idempotency-Key": idempotencyKey }).then(function (reply) {
        rememberToken(reply.order_id, reply.order_token);
        remember(reply.order_id, flow, reply.client_secret);
        location.assign(orderURL(flow, reply.order_id));
      }).catch(function (error) {
        // The order may exist even though its payment could not be prepared: keep its token for later.
        if (error.info && error.info.order_id) { rememberToken(error.info.order_id, error.info.order_token); }
        buttons.forEach(function (b) { b.disabled = false; });
        say(error.message, true);
      });
    });
  }

  // Orders in these states can still be paid; any other state has nothing left to pay.
  var payable = { awaiting_payment: true, payment_failed: true };

  // Shown instead of a payment form when the order cannot be paid (already paid, expired...),
  // for example after the back button from the success page.
  function notPayable(order) {
    var text = (statusText[order.status] || [order.status, ""])[1] || "This order cannot be paid now.";
    say(text, !good[order.status]);
    var link = document.createElement("a");
    link.className = "button secondary";
    link.href = "/order/success?order_id=" + encodeURIComponent(order.order_id);
    link.textContent = "See the order";
    $("#payment-form").replaceChildren($("#message"), link);
  }

  // The Payment Element, for a PaymentIntent or an invoice's PaymentIntent. The amount is the
  // server's: the page only shows it, and Stripe charges what the PaymentIntent says.
  function paymentElement(flow) {
    var orderId = needOrderId();
    if (!orderId) { return; }
    var button = $("#pay");
    var busy = false;
    api("GET", "/api/orders/" + encodeURIComponent(orderId)).then(function (order) {
      showOrder(order);
      if (!payable[order.status]) { notPayable(order); return; }
      button.textContent = (flow === "invoice" ? "Pay invoice " : "Pay ") + money(order.amount, order.currency);
      return Promise.all([config(), clientSecret(orderId, flow)]).then(function (values) {
        var stripe = stripeFor(values[0]);
        var elements = stripe.elements({ clientSecret: values[1], appearance: { theme: "stripe" } });
        var element = elements.create("payment");
        element.on("ready", function () { button.disabled = false; });
        element.on("loaderror", function (event) {
          say((event.error && event.error.message) || "The payment form could not be loaded.", true);
        });
        element.mount("#payment-element");
        $("#payment-form").addEventListener("submit", function (event) {
          event.preventDefault();
          // One confirmation at a time: a double click must not charge twice.
          if (busy) { return; }
          busy = true;
          button.disabled = true;
          say("", false);
          stripe.confirmPayment({ elements: elements, confirmParams: { return_url: document.body.dataset.returnUrl } }).then(function (result) {
            // Only reached when confirmation failed before any redirect (declined card, invalid
            // details, failed authentication): the customer may correct it and pay again here.
            if (result.error) {
              say(result.error.message || "The payment did not go through.", true);
            }
            busy = false;
            button.disabled = false;
          });
        });
      });
    }).catch(function (error) {
      say(error.status === 409 ? "This order cannot be paid any more: " + error.message : error.message, true);
    });
  }

  // Embedded Checkout: the ui_mode name and the Stripe.js call changed with API version 2026-03-25.dahlia.
  function embedded() {
    var orderId = needOrderId();
    if (!orderId) { return; }
    config().then(function (cfg) {
      var stripe = stripeFor(cfg);
      var options = { fetchClientSecret: function () { return clientSecret(orderId, "checkout_session"); } };
      var create = cfg.checkoutUiMode === "embedded_page" && stripe.createEmbeddedCheckoutPage
        ? stripe.createEmbeddedCheckoutPage(options)
        : stripe.initEmbeddedCheckout(options);
      return Promise.resolve(create).then(function (checkout) { checkout.mount("#checkout"); });
    }).catch(function (error) {
      say(error.message, true);
    });
  }

  var reasons = {
    payment_failed: "The payment did not go through. No money was taken. You can try again with another card.",
    authentication_required: "Your bank asked for confirmation, which was not completed. You can try again.",
    canceled: "The payment was canceled.",
    expired: "The checkout expired before the payment was made.",
    invalid_return: "We could not match this page to a payment. If you paid, your order will be confirmed by email.",
    verification_unavailable: "We could not confirm the payment just now. If it went through, your order will be confirmed by email."
  };

  function success() {
    var orderId = needOrderId();
    if (orderId) { forget(orderId); follow(orderId); } else { $("#status").textContent = "No order given."; }
  }

  function error() {
    var orderId = params.get("order_id");
    $("#reason").textContent = reasons[params.get("reason")] || "Something went wrong with the payment.";
    if (!orderId) { return; }
    forget(orderId);
    var retry = $("#retry");
    retry.href = "/order/pay?order_id=" + encodeURIComponent(orderId);
    follow(orderId, function (order) {
      retry.hidden = !(order.status === "awaiting_payment" || order.status === "payment_failed");
    });
  }

  // Pay again: back to the right payment page for the order's flow, which asks for the payment again.
  function payAgain() {
    var orderId = needOrderId();
    if (!orderId) { $("#status").textContent = ""; return; }
    // The link in a customer's email carries a token in its fragment (never sent to any server): keep it
    // for this tab, and take it out of the address bar.
    var fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("token")) {
      rememberToken(orderId, fragment.get("token"));
      history.replaceState(null, "", location.pathname + location.search);
    }
    forget(orderId);
    api("GET", "/api/orders/" + encodeURIComponent(orderId)).then(function (order) {
      if (order.status === "awaiting_payment" || order.status === "payment_failed") {
        location.replace(orderURL(order.flow, orderId));
      } else {
        $("#status").textContent = (statusText[order.status] || [order.status, ""])[1] || "This order cannot be paid now.";
      }
    }).catch(function (error) {
      $("#status").textContent = "";
      say(error.message, true);
    });
  }

  var pages = {
    home: home,
    checkout: function () { paymentElement("payment_intent"); },
    invoice: function () { paymentElement("invoice"); },
    embedded: embedded,
    success: success,
    error: error,
    pay: payAgain
  };
  if (pages[page]) { pages[page](); }
})();
