/*
 * The stand-in's frames: the Payment Element, embedded Checkout, and the 3-D Secure challenge.
 *
 * Each runs on the stand-in's origin inside a frame that the emulated Stripe.js (stripe.js beside this
 * file) mounts on the shop's page. The frame's configuration (publishable key, client secret, the
 * parent's origin) arrives in the URL fragment, which no server ever sees. Card details stay in this
 * frame: they go to the stand-in's API, same origin, and only outcomes go back to the parent page,
 * by postMessage to the parent's origin alone. `<body data-frame>` names the frame to run.
 */
(function () {
  "use strict";

  var config = {};
  try { config = JSON.parse(decodeURIComponent(location.hash.slice(1)) || "{}") || {}; } catch (e) { config = {}; }
  var parentOrigin = typeof config.origin === "string" ? config.origin : null;
  var $ = function (selector) { return document.querySelector(selector); };

  // ---------------------------------------------------------------------------------------------
  // Talking to the parent page and to the API
  // ---------------------------------------------------------------------------------------------

  function post(message) {
    if (!parentOrigin || window.parent === window) { return; }
    message.__stripeEmulator = true;
    message.frame = config.id;
    window.parent.postMessage(message, parentOrigin);
  }

  /** Answers the parent's requests (`{type: "request", op, rid}`) with `handlers[op]`'s result. */
  function serve(handlers) {
    window.addEventListener("message", function (event) {
      var m = event.data;
      if (event.origin !== parentOrigin || event.source !== window.parent) { return; }
      if (!m || m.__stripeEmulator !== true || m.type !== "request") { return; }
      var handler = handlers[m.op];
      Promise.resolve(handler ? handler(m.payload || {}) : {}).then(function (result) {
        post({ type: "reply", rid: m.rid, result: result || {} });
      });
    });
  }

  /** Tells the parent the frame's height whenever it changes, so the frame never scrolls. */
  function followSize() {
    var last = -1;
    function report() {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== last) { last = height; post({ type: "resize", height: height }); }
    }
    if (typeof ResizeObserver === "function") { new ResizeObserver(report).observe(document.documentElement); }
    report();
  }

  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  function encodeForm(params, prefix, out) {
    out = out || [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      var name = prefix ? prefix + "[" + key + "]" : key;
      if (value === undefined || value === null || value === "") { return; }
      if (isObject(value)) { encodeForm(value, name, out); return; }
      out.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(value)));
    });
    return out.join("&");
  }

  function api(method, path, params) {
    var query = encodeForm(params || {});
    var options = { method: method, credentials: "omit" };
    if (method !== "GET") {
      options.headers = { "Content-Type": "application/x-www-form-urlencoded" };
      options.body = query;
    }
    return fetch(path + (method === "GET" ? "?" + query : ""), options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) { return { status: response.status, body: body }; });
    }, function () {
      return { status: 0, body: { error: { type: "api_connection_error", message: "We could not reach the payment server. Try again." } } };
    });
  }

  function deepMerge(target, source) {
    Object.keys(source || {}).forEach(function (key) {
      if (isObject(source[key]) && isObject(target[key])) { deepMerge(target[key], source[key]); }
      else { target[key] = source[key]; }
    });
    return target;
  }

  // ---------------------------------------------------------------------------------------------
  // Card fields: formatting and the checks Stripe's forms make before anything is sent
  // ---------------------------------------------------------------------------------------------

  function digits(text) { return String(text || "").replace(/\D/g, ""); }
  function isAmex(number) { return /^3[47]/.test(digits(number)); }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = +number[number.length - 1 - i];
      if (i % 2 === 1) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return sum % 10 === 0;
  }

  var format = {
    number: function (value) {
      var d = digits(value).slice(0, 19);
      return d.replace(/(\d{4})(?=\d)/g, "$1 ");
    },
    expiry: function (value) {
      var d = digits(value).slice(0, 4);
      if (d.length === 1 && d > "1") { d = "0" + d; }
      return d.length > 2 ? d.slice(0, 2) + " / " + d.slice(2) : d;
    },
    cvc: function (value) { return digits(value).slice(0, 4); }
  };

  /** Each check returns null or `[code, message]` with Stripe's wording. */
  var checks = {
    number: function (value) {
      var d = digits(value);
      if (d.length < (isAmex(d) ? 15 : 16)) { return ["incomplete_number", "Your card number is incomplete."]; }
      if (!luhn(d)) { return ["invalid_number", "Your card number is invalid."]; }
      return null;
    },
    expiry: function (value) {
      var d = digits(value);
      if (d.length < 4) { return ["incomplete_expiry", "Your card's expiration date is incomplete."]; }
      var month = +d.slice(0, 2), year = 2000 + +d.slice(2, 4), now = new Date();
      if (month < 1 || month > 12) { return ["invalid_expiry_month", "Your card's expiration date is invalid."]; }
      if (year < now.getFullYear()) { return ["invalid_expiry_year_past", "Your card's expiration year is in the past."]; }
      if (year === now.getFullYear() && month < now.getMonth() + 1) { return ["invalid_expiry_month_past", "Your card's expiration date is in the past."]; }
      if (year > now.getFullYear() + 50) { return ["invalid_expiry_year", "Your card's expiration year is invalid."]; }
      return null;
    },
    cvc: function (value, number) {
      return digits(value).length < (isAmex(number) ? 4 : 3) ? ["incomplete_cvc", "Your card's security code is incomplete."] : null;
    },
    postalCode: function (value) {
      return String(value || "").trim().length < 5 ? ["incomplete_zip", "Your ZIP is incomplete."] : null;
    },
    name: function (value) {
      return String(value || "").trim() ? null : ["incomplete_name", "Please provide your full name."];
    },
    email: function (value) {
      var v = String(value || "").trim();
      if (!v) { return ["incomplete_email", "Your email address is incomplete."]; }
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? null : ["invalid_email", "Your email address is invalid."];
    }
  };

  /** Shows or clears a field's message; the message element is the input's `aria-describedby`. */
  function showProblem(input, problem) {
    var box = document.getElementById(input.getAttribute("aria-describedby"));
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    input.classList.toggle("invalid", !!problem);
    if (box) { box.textContent = problem ? problem[1] : ""; }
  }

  /**
   * Wires formatting and on-blur checks to `fields` (`{check name: input}`); returns a function that
   * checks them all and shows every problem, resolving to the first `[code, message, param]` or null.
   */
  function cardForm(fields) {
    function problemOf(kind) {
      var input = fields[kind];
      return checks[kind](input.value, fields.number ? fields.number.value : "");
    }
    Object.keys(fields).forEach(function (kind) {
      var input = fields[kind];
      input.addEventListener("input", function () {
        if (format[kind]) {
          var formatted = format[kind](input.value);
          if (formatted !== input.value) { input.value = formatted; }
        }
        // A fixed field clears its message at once; a new problem waits for blur, as Stripe's forms do.
        if (input.getAttribute("aria-invalid") === "true" && !problemOf(kind)) { showProblem(input, null); }
      });
      input.addEventListener("blur", function () {
        if (input.value) { showProblem(input, problemOf(kind)); }
      });
    });
    return function validate() {
      var first = null;
      Object.keys(fields).forEach(function (kind) {
        var problem = problemOf(kind);
        showProblem(fields[kind], problem);
        if (problem && !first) { first = [problem[0], problem[1], kind]; fields[kind].focus(); }
      });
      return first;
    };
  }

  function cardData(number, expiry, cvc) {
    var e = digits(expiry);
    return { number: digits(number), exp_month: +e.slice(0, 2), exp_year: 2000 + +e.slice(2, 4), cvc: digits(cvc) };
  }

  function validationError(problem) {
    return { type: "validation_error", code: problem[0], message: problem[1], param: problem[2] };
  }

  function applyAppearance(appearance) {
    appearance = isObject(appearance) ? appearance : {};
    document.body.classList.toggle("theme-night", appearance.theme === "night");
    document.body.classList.toggle("theme-flat", appearance.theme === "flat");
    var variables = isObject(appearance.variables) ? appearance.variables : {};
    var map = { colorPrimary: "--primary", colorBackground: "--background", colorText: "--text", colorDanger: "--danger",
      borderRadius: "--radius", fontFamily: "--font" };
    Object.keys(map).forEach(function (name) {
      if (typeof variables[name] === "string") { document.documentElement.style.setProperty(map[name], variables[name]); }
      else { document.documentElement.style.removeProperty(map[name]); }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The Payment Element
  // ---------------------------------------------------------------------------------------------

  function paymentElement() {
    var secret = config.clientSecret || "";
    var id = secret.split("_secret_")[0];
    var selected = "card";
    var confirming = null;
    var inputs = {
      number: $("[name=number]"), expiry: $("[name=expiry]"), cvc: $("[name=cvc]"), postalCode: $("[name=postalCode]"),
      name: $("[name=name]"), email: $("[name=email]")
    };
    var validators = {
      card: cardForm({ number: inputs.number, expiry: inputs.expiry, cvc: inputs.cvc, postalCode: inputs.postalCode }),
      us_bank_account: cardForm({ name: inputs.name, email: inputs.email })
    };
    applyAppearance(config.appearance);

    function complete() {
      if (selected === "card") {
        return !checks.number(inputs.number.value) && !checks.expiry(inputs.expiry.value)
          && !checks.cvc(inputs.cvc.value, inputs.number.value) && !checks.postalCode(inputs.postalCode.value);
      }
      return !checks.name(inputs.name.value) && !checks.email(inputs.email.value);
    }
    function empty() {
      var names = selected === "card" ? ["number", "expiry", "cvc", "postalCode"] : ["name", "email"];
      return names.every(function (n) { return !inputs[n].value; });
    }
    function changed() {
      post({ type: "change", event: { complete: complete(), empty: empty(), collapsed: false, value: { type: selected } } });
    }

    function select(type) {
      selected = type;
      document.querySelectorAll("[role=tab]").forEach(function (tab) {
        var on = tab.dataset.type === type;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
      });
      changed();
    }

    function setBusy(busy) {
      document.querySelectorAll("input, button").forEach(function (el) { el.disabled = busy; });
    }

    document.querySelectorAll("[role=tab]").forEach(function (tab, i, all) {
      tab.addEventListener("click", function () { select(tab.dataset.type); });
      tab.addEventListener("keydown", function (event) {
        if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") { return; }
        var visible = Array.prototype.filter.call(all, function (t) { return !t.hidden; });
        var next = visible[(visible.indexOf(tab) + (event.key === "ArrowRight" ? 1 : visible.length - 1)) % visible.length];
        next.focus();
        select(next.dataset.type);
      });
    });
    document.addEventListener("input", changed);
    document.addEventListener("focusin", function (event) {
      if (!event.relatedTarget) { post({ type: "focus" }); }
    });
    document.addEventListener("focusout", function (event) {
      if (!event.relatedTarget) { post({ type: "blur" }); }
    });
    $("#element").addEventListener("submit", function (event) { event.preventDefault(); });

    function validate() {
      var problem = validators[selected]();
      return problem ? { error: validationError(problem) } : {};
    }

    function confirm(payload) {
      // A second confirmation while one is in flight (a double click) gets the same answer: one charge.
      if (confirming) { return confirming; }
      var checked = validate();
      if (checked.error) { return Promise.resolve(checked); }
      var data = { type: selected, billing_details: {} };
      if (selected === "card") {
        data.card = cardData(inputs.number.value, inputs.expiry.value, inputs.cvc.value);
        data.billing_details.address = { postal_code: inputs.postalCode.value.trim() };
      } else {
        data.billing_details.name = inputs.name.value.trim();
        data.billing_details.email = inputs.email.value.trim();
      }
      if (isObject(payload.paymentMethodData)) { deepMerge(data, payload.paymentMethodData); }
      var params = { key: config.key, client_secret: payload.clientSecret || secret, use_stripe_sdk: "true",
        payment_method_data: data };
      if (payload.returnUrl) { params.return_url = payload.returnUrl; }
      setBusy(true);
      confirming = api("POST", "/v1/payment_intents/" + encodeURIComponent(id) + "/confirm", params).then(function (result) {
        confirming = null;
        setBusy(false);
        return result;
      });
      return confirming;
    }

    serve({
      validate: validate,
      confirm: confirm,
      update: function (payload) { applyAppearance(payload.appearance); return {}; },
      focus: function () { (selected === "card" ? inputs.number : inputs.name).focus(); return {}; },
      blur: function () { if (document.activeElement) { document.activeElement.blur(); } return {}; },
      clear: function () {
        Object.keys(inputs).forEach(function (k) { inputs[k].value = ""; showProblem(inputs[k], null); });
        changed();
        return {};
      }
    });

    api("GET", "/v1/payment_intents/" + encodeURIComponent(id), { key: config.key, client_secret: secret }).then(function (result) {
      if (result.status !== 200) {
        var error = result.body.error || { type: "api_error", message: "The payment form could not be loaded." };
        $("#element").hidden = true;
        $("#load-error").textContent = error.message;
        $("#load-error").hidden = false;
        followSize();
        post({ type: "loaderror", error: error });
        return;
      }
      var types = (result.body.payment_method_types || ["card"]).filter(function (t) { return t === "card" || t === "us_bank_account"; });
      if (types.indexOf("card") < 0) { types.unshift("card"); }
      $("#tab-us_bank_account").hidden = types.indexOf("us_bank_account") < 0;
      $(".tabs").hidden = types.length < 2;
      var billing = isObject(config.defaultValues) && isObject(config.defaultValues.billingDetails) ? config.defaultValues.billingDetails : {};
      if (typeof billing.name === "string") { inputs.name.value = billing.name; }
      if (typeof billing.email === "string") { inputs.email.value = billing.email; }
      select("card");
      followSize();
      post({ type: "ready" });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Embedded Checkout
  // ---------------------------------------------------------------------------------------------

  function money(amount, currency) {
    try {
      var f = new Intl.NumberFormat(undefined, { style: "currency", currency: String(currency).toUpperCase() });
      return f.format(amount / Math.pow(10, f.resolvedOptions().maximumFractionDigits));
    } catch (e) { return amount + " " + String(currency).toUpperCase(); }
  }

  function checkoutPage() {
    var secret = config.clientSecret || "";
    var id = secret.split("_secret_")[0];
    var form = $("#checkout-form");
    var state = $("#state");
    var button = $("[data-testid=hosted-payment-submit-button]");
    var fields = { number: $("#cardNumber"), expiry: $("#cardExpiry"), cvc: $("#cardCvc") };
    var validateCard = cardForm(fields);
    var validateOther = cardForm({ email: $("#email"), name: $("#billingName") });
    var busy = false;
    followSize();

    function say(text) { state.textContent = text; state.hidden = !text; }
    function formError(text) { $("#form-error").textContent = text || ""; $("#form-error").hidden = !text; }

    function show(session) {
      var table = $("#lines");
      table.replaceChildren();
      (session.line_items || []).forEach(function (line) {
        var row = table.insertRow();
        row.insertCell().textContent = line.quantity + " × " + line.description;
        row.insertCell().textContent = money(line.amount_total, line.currency || session.currency);
      });
      var sum = table.insertRow();
      sum.className = "sum";
      sum.insertCell().textContent = "Total due";
      sum.insertCell().textContent = money(session.amount_total, session.currency);
      $("#order-total").textContent = money(session.amount_total, session.currency);
      if (session.status === "expired") {
        form.hidden = true;
        say("This checkout session has expired. Go back to the shop to start a new one.");
        state.className = "state bad";
        return;
      }
      if (session.status === "complete") {
        form.hidden = true;
        state.className = "state good";
        say(session.payment_status === "paid" ? "Payment complete. Thank you!" : "Payment submitted: your bank is processing it.");
        post({ type: "complete", returnUrl: session.return_url, redirectOnCompletion: session.redirect_on_completion });
        return;
      }
      say("");
      form.hidden = false;
      if (!$("#email").value && session.customer_email) { $("#email").value = session.customer_email; }
    }

    function load() {
      return api("POST", "/v1/payment_pages/" + encodeURIComponent(id) + "/init", { key: config.key, client_secret: secret }).then(function (r) {
        if (r.status !== 200) {
          form.hidden = true;
          state.className = "state bad";
          say((r.body.error && r.body.error.message) || "This checkout could not be loaded.");
          return null;
        }
        show(r.body.checkout_session);
        return r.body.checkout_session;
      });
    }

    function setBusy(on) {
      busy = on;
      form.querySelectorAll("input, button").forEach(function (el) { el.disabled = on; });
      button.textContent = on ? "Processing…" : "Pay";
    }

    function runChallenge(pi) {
      return new Promise(function (resolve) {
        var box = $("#challenge");
        var frame = document.createElement("iframe");
        var frameId = "challenge-" + Date.now();
        frame.title = "3D Secure authentication";
        frame.src = "/elements/3ds-challenge.html#" + encodeURIComponent(JSON.stringify({
          paymentIntent: pi.id, clientSecret: pi.client_secret, origin: location.origin, id: frameId }));
        function listen(event) {
          var m = event.data;
          if (event.origin !== location.origin || event.source !== frame.contentWindow) { return; }
          if (!m || m.__stripeEmulator !== true || m.type !== "challenge-complete") { return; }
          window.removeEventListener("message", listen);
          box.replaceChildren();
          box.hidden = true;
          resolve(m.success === true);
        }
        window.addEventListener("message", listen);
        box.replaceChildren(frame);
        box.hidden = false;
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) { return; }
      formError("");
      var problem = validateOther() || validateCard();
      if (problem) { return; }
      setBusy(true);
      var email = $("#email").value.trim();
      var data = { type: "card", card: cardData(fields.number.value, fields.expiry.value, fields.cvc.value),
        billing_details: { name: $("#billingName").value.trim(), email: email } };
      api("POST", "/v1/payment_pages/" + encodeURIComponent(id) + "/confirm",
        { key: config.key, client_secret: secret, email: email, payment_method_data: data }).then(function (r) {
        if (r.status !== 200) {
          setBusy(false);
          formError((r.body.error && r.body.error.message) || "Your payment could not be processed.");
          return;
        }
        var pi = r.body.payment_intent;
        if (pi && pi.status === "requires_action") {
          return runChallenge(pi).then(load).then(function (session) {
            setBusy(false);
            if (session && session.status === "open") {
              formError("We are unable to authenticate your payment method. Please choose a different payment method and try again.");
            }
          });
        }
        setBusy(false);
        show(r.body.checkout_session);
      });
    });

    load();
  }

  // ---------------------------------------------------------------------------------------------
  // The 3-D Secure challenge: in a modal frame (Stripe.js, embedded Checkout) or as a full page (a
  // `redirect_to_url` next action, /3ds/{id}), which returns to the shop's return_url afterwards.
  // ---------------------------------------------------------------------------------------------

  function challengePage() {
    var standalone = !config.paymentIntent;
    var id = config.paymentIntent || decodeURIComponent(location.pathname.split("/").pop() || "");
    var buttons = document.querySelectorAll(".acs-actions button");

    function finish(success) {
      buttons.forEach(function (b) { b.disabled = true; });
      var params = { success: success ? "true" : "false" };
      if (config.clientSecret) { params.client_secret = config.clientSecret; }
      api("POST", "/_emulator/payment_intents/" + encodeURIComponent(id) + "/authenticate", params).then(function (r) {
        if (standalone) {
          if (r.status === 200 && r.body.redirect_url) { location.replace(r.body.redirect_url); return; }
          var box = $("#challenge-error");
          box.textContent = (r.body.error && r.body.error.message) || "This authentication is finished. You can close this page.";
          box.hidden = false;
          return;
        }
        post({ type: "challenge-complete", success: r.status === 200 && success });
      });
    }
    $("#test-source-authorize-3ds").addEventListener("click", function () { finish(true); });
    $("#test-source-fail-3ds").addEventListener("click", function () { finish(false); });
    $("#test-source-authorize-3ds").focus();
  }

  var kinds = { payment: paymentElement, checkout: checkoutPage, challenge: challengePage };
  var kind = document.body.dataset.frame;
  if (kinds[kind]) { kinds[kind](); }
})();
