/*
 * Emulated Stripe.js (v3) for the local Stripe stand-in, stripe-emulator.
 *
 * Written by this project from Stripe's documented behaviour (docs/STRIPE-EMULATOR.md lists the surface
 * and what is not emulated). It runs on the shop's page; card fields live in frames served from the
 * stand-in's own origin, and talk to this script only through postMessage, so the shop's page never
 * sees a card number. The stand-in's origin is the origin this script was loaded from.
 */
(function () {
  "use strict";
  if (typeof window.Stripe === "function" && window.Stripe.emulated) { return; }

  var script = document.currentScript;
  var scriptURL = new URL(script ? script.src : "/js.stripe.com/v3/", location.href);
  var BASE = scriptURL.origin;
  var frameCounter = 0;
  var DAHLIA = "2026-03-25";

  // ---------------------------------------------------------------------------------------------
  // Errors and small helpers
  // ---------------------------------------------------------------------------------------------

  /** Stripe.js throws IntegrationError for mistakes in the integration (not for declines). */
  function IntegrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  /** Stripe's form encoding: nested keys in brackets, arrays indexed. */
  function encodeForm(params, prefix, out) {
    out = out || [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      var name = prefix ? prefix + "[" + key + "]" : key;
      if (value === undefined || value === null) { return; }
      if (Array.isArray(value)) {
        value.forEach(function (item, i) {
          if (isObject(item)) { encodeForm(item, name + "[" + i + "]", out); }
          else { out.push(encodeURIComponent(name + "[" + i + "]") + "=" + encodeURIComponent(String(item))); }
        });
      } else if (isObject(value)) {
        encodeForm(value, name, out);
      } else {
        out.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(value)));
      }
    });
    return out.join("&");
  }

  /** A `/v1/` call with the publishable key: resolves `{status, body}`, never rejects on an HTTP error. */
  function api(method, path, key, params) {
    var query = encodeForm(Object.assign({ key: key }, params || {}));
    var url = BASE + path + (method === "GET" ? "?" + query : "");
    var options = { method: method, credentials: "omit", mode: "cors" };
    if (method !== "GET") {
      options.headers = { "Content-Type": "application/x-www-form-urlencoded" };
      options.body = query;
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    }, function () {
      return { status: 0, body: { error: { type: "api_connection_error", message: "We could not reach Stripe. Check your connection and try again." } } };
    });
  }

  /** The id inside a client secret `pi_..._secret_...`, or null. */
  function intentId(clientSecret, prefix) {
    if (typeof clientSecret !== "string") { return null; }
    var at = clientSecret.indexOf("_secret_");
    var id = at > 0 ? clientSecret.slice(0, at) : "";
    return id.indexOf(prefix) === 0 ? id : null;
  }

  function resolveTarget(target, what) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node || node.nodeType !== 1) {
      throw IntegrationError("The selector you specified (" + String(target) + ") applies to no DOM elements that are currently on the page.\n"
        + "Make sure the element exists on the page before calling " + what + ".");
    }
    return node;
  }

  function makeFrame(page, config, title) {
    var iframe = document.createElement("iframe");
    var id = "__privateStripeFrame" + (++frameCounter);
    config.id = id;
    config.origin = location.origin;
    iframe.name = id;
    iframe.title = title;
    iframe.setAttribute("frameborder", "0");
    iframe.setAttribute("allowtransparency", "true");
    iframe.setAttribute("scrolling", "no");
    iframe.setAttribute("allow", "payment *");
    iframe.style.border = "0";
    iframe.style.width = "100%";
    iframe.style.display = "block";
    iframe.style.colorScheme = "normal";
    // The configuration, client secret included, travels in the fragment: never sent to any server.
    iframe.src = BASE + "/elements/" + page + "#" + encodeURIComponent(JSON.stringify(config));
    return { id: id, iframe: iframe };
  }

  // ---------------------------------------------------------------------------------------------
  // Messages from the frames: checked against the stand-in's origin and the frame's own window.
  // ---------------------------------------------------------------------------------------------

  var frames = {};     // frame id -> { iframe, onMessage }
  var pending = {};    // request id -> resolve
  var requestCounter = 0;

  window.addEventListener("message", function (event) {
    if (event.origin !== BASE || !isObject(event.data) || event.data.__stripeEmulator !== true) { return; }
    var entry = frames[event.data.frame];
    if (!entry || event.source !== entry.iframe.contentWindow) { return; }
    var message = event.data;
    if (message.type === "resize" && typeof message.height === "number") {
      entry.iframe.style.height = Math.max(0, Math.ceil(message.height)) + "px";
      return;
    }
    if (message.type === "reply" && pending[message.rid]) {
      var done = pending[message.rid];
      delete pending[message.rid];
      done(message.result);
      return;
    }
    if (entry.onMessage) { entry.onMessage(message); }
  });

  function register(frame, onMessage) { frames[frame.id] = { iframe: frame.iframe, onMessage: onMessage }; }
  function unregister(frame) { delete frames[frame.id]; }

  /** Sends `op` to a frame once it is ready; resolves with its reply. */
  function ask(frame, ready, op, payload) {
    return ready.then(function () {
      return new Promise(function (resolve) {
        var rid = "r" + (++requestCounter);
        pending[rid] = resolve;
        frame.iframe.contentWindow.postMessage({ __stripeEmulator: true, type: "request", op: op, rid: rid, payload: payload || {} }, BASE);
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // 3-D Secure: the bank's challenge in a modal frame of the stand-in.
  // ---------------------------------------------------------------------------------------------

  function challenge(paymentIntent) {
    return new Promise(function (resolve) {
      var overlay = document.createElement("div");
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      overlay.setAttribute("aria-label", "Confirm your payment with your bank");
      var s = overlay.style;
      s.position = "fixed"; s.inset = "0"; s.zIndex = "2147483647"; s.background = "rgba(10, 20, 40, 0.55)";
      s.display = "flex"; s.alignItems = "center"; s.justifyContent = "center"; s.padding = "16px";
      var frame = makeFrame("3ds-challenge.html", { paymentIntent: paymentIntent.id, clientSecret: paymentIntent.client_secret },
        "3D Secure authentication");
      frame.iframe.style.width = "min(500px, 100%)";
      frame.iframe.style.height = "420px";
      frame.iframe.style.background = "#fff";
      frame.iframe.style.borderRadius = "8px";
      frame.iframe.style.boxShadow = "0 8px 40px rgba(0, 0, 0, 0.35)";
      overlay.appendChild(frame.iframe);
      register(frame, function (message) {
        if (message.type !== "challenge-complete") { return; }
        unregister(frame);
        overlay.remove();
        resolve(message.success === true);
      });
      document.body.appendChild(overlay);
      frame.iframe.addEventListener("load", function () { frame.iframe.focus(); });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The Stripe object
  // ---------------------------------------------------------------------------------------------

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) { return new Stripe(key, options); }
    if (typeof key !== "string" || !key) {
      throw IntegrationError("Please call Stripe() with your publishable key. You used an empty string.");
    }
    if (/^(sk|rk)_/.test(key)) {
      throw IntegrationError("You should not use your secret key with Stripe.js.\nPlease pass a publishable key instead.");
    }
    if (key.indexOf("pk_live_") === 0) {
      throw IntegrationError("This is the local Stripe stand-in, which only does test mode: use a publishable test key (pk_test_...).");
    }
    if (key.indexOf("pk_test_") !== 0) {
      throw IntegrationError("Invalid value for Stripe(): apiKey should be a publishable key (pk_test_...). You specified: " + key.slice(0, 8) + "****.");
    }
    options = options || {};
    if (!isObject(options)) { throw IntegrationError("Invalid value for Stripe(): options should be an object."); }
    this._key = key;
    this._apiVersion = typeof options.apiVersion === "string" ? options.apiVersion : null;
    this._embedded = null;
  }
  Stripe.emulated = true;
  Stripe.version = 3;

  /** From API version 2026-03-25.dahlia the embedded Checkout call has its new name only. */
  Stripe.prototype._dahlia = function () {
    return this._apiVersion !== null && this._apiVersion.slice(0, 10) >= DAHLIA;
  };

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options || {});
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    var id = intentId(clientSecret, "pi_");
    if (!id) {
      return Promise.reject(IntegrationError("Invalid value for retrievePaymentIntent: clientSecret should be a client secret of the form ${id}_secret_${secret}."));
    }
    return api("GET", "/v1/payment_intents/" + encodeURIComponent(id), this._key, { client_secret: clientSecret }).then(function (r) {
      return r.status === 200 ? { paymentIntent: r.body } : { error: r.body.error || { type: "api_error", message: "Unexpected answer." } };
    });
  };

  /**
   * Confirms a PaymentIntent: with the Payment Element's details (`elements`), or with `clientSecret`
   * and `confirmParams.payment_method` / `payment_method_data`. Runs 3-D Secure in a modal, then
   * redirects to `return_url` (always, or only when needed with `redirect: 'if_required'`). A decline
   * or invalid details resolve with `{error}` and do not redirect.
   */
  Stripe.prototype.confirmPayment = function (options) {
    var stripe = this;
    if (!isObject(options)) { return Promise.reject(IntegrationError("stripe.confirmPayment(): expected an options object.")); }
    var params = options.confirmParams || {};
    var redirect = options.redirect === undefined ? "always" : options.redirect;
    if (redirect !== "always" && redirect !== "if_required") {
      return Promise.reject(IntegrationError("Invalid value for confirmPayment: redirect should be one of the following strings: always, if_required. You specified: " + redirect + "."));
    }
    if (redirect === "always" && !params.return_url) {
      return Promise.reject(IntegrationError("stripe.confirmPayment(): the `confirmParams.return_url` argument is required unless passing `redirect: 'if_required'`"));
    }
    var elements = options.elements;
    var clientSecret = options.clientSecret || (elements && elements._clientSecret);
    var id = intentId(clientSecret, "pi_");
    if (!id) {
      return Promise.reject(IntegrationError("stripe.confirmPayment(): expected `elements` created with a PaymentIntent's clientSecret, or a `clientSecret`."));
    }
    var confirmation;
    if (elements) {
      var element = elements._payment;
      if (!element || !element._mounted) {
        return Promise.reject(IntegrationError("stripe.confirmPayment(): the Payment Element of `elements` is not mounted."));
      }
      confirmation = element._ask("confirm", { clientSecret: clientSecret, returnUrl: params.return_url || null,
        paymentMethodData: params.payment_method_data || null });
    } else {
      if (!params.payment_method && !params.payment_method_data) {
        return Promise.reject(IntegrationError("stripe.confirmPayment(): without `elements`, pass `confirmParams.payment_method` or `confirmParams.payment_method_data`."));
      }
      var body = { client_secret: clientSecret, use_stripe_sdk: true, return_url: params.return_url };
      if (params.payment_method) { body.payment_method = params.payment_method; } else { body.payment_method_data = params.payment_method_data; }
      confirmation = api("POST", "/v1/payment_intents/" + encodeURIComponent(id) + "/confirm", stripe._key, body);
    }
    return confirmation.then(function (result) {
      if (result.error) { return { error: result.error }; }  // validation in the frame: nothing was sent
      return stripe._afterConfirm(result, params.return_url, redirect);
    });
  };

  /** Runs the next action of a PaymentIntent (3-D Secure) outside of confirmPayment. */
  Stripe.prototype.handleNextAction = function (options) {
    var stripe = this;
    var clientSecret = options && options.clientSecret;
    if (!intentId(clientSecret, "pi_")) { return Promise.reject(IntegrationError("stripe.handleNextAction(): expected a PaymentIntent clientSecret.")); }
    return this.retrievePaymentIntent(clientSecret).then(function (result) {
      if (result.error) { return result; }
      return stripe._afterConfirm({ status: 200, body: result.paymentIntent }, null, "if_required");
    });
  };

  Stripe.prototype._afterConfirm = function (response, returnURL, redirect) {
    var stripe = this;
    var body = response.body || {};
    if (response.status !== 200) {
      return { error: body.error || { type: "api_error", message: "Something went wrong. Please try again." } };
    }
    var pi = body;
    switch (pi.status) {
      case "succeeded":
      case "processing":
      case "requires_capture":
        if (redirect === "if_required" || !returnURL) { return { paymentIntent: pi }; }
        return navigate(returnURL, pi);
      case "requires_action":
        return challenge(pi).then(function () {
          return stripe.retrievePaymentIntent(pi.client_secret);
        }).then(function (result) {
          if (result.error) { return result; }
          var after = result.paymentIntent;
          if (after.status === "succeeded" || after.status === "processing") {
            if (redirect === "if_required" || !returnURL) { return { paymentIntent: after }; }
            return navigate(returnURL, after);
          }
          // Stripe.js words a failed challenge for the customer; the API's last_payment_error is for developers.
          var failure = after.last_payment_error || {};
          return { error: Object.assign({}, failure, { type: failure.type || "invalid_request_error",
            code: failure.code || "payment_intent_authentication_failure",
            message: "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
            payment_intent: after }) };
        });
      default:
        var error = pi.last_payment_error || { type: "invalid_request_error", code: "payment_intent_unexpected_state",
          message: "This payment cannot be completed (status " + pi.status + ")." };
        return { error: Object.assign({}, error, { payment_intent: pi }) };
    }
  };

  /** Leaves for `return_url`, keeping its query and fragment, as Stripe.js does; never resolves. */
  function navigate(returnURL, pi) {
    var status = pi.status === "succeeded" ? "succeeded" : pi.status === "processing" ? "pending" : "failed";
    var hashAt = returnURL.indexOf("#");
    var head = hashAt >= 0 ? returnURL.slice(0, hashAt) : returnURL;
    var hash = hashAt >= 0 ? returnURL.slice(hashAt) : "";
    var url = head + (head.indexOf("?") >= 0 ? "&" : "?")
      + "payment_intent=" + encodeURIComponent(pi.id)
      + "&payment_intent_client_secret=" + encodeURIComponent(pi.client_secret)
      + "&redirect_status=" + status + hash;
    window.location.assign(url);
    return new Promise(function () { });
  }

  // ---------------------------------------------------------------------------------------------
  // Elements and the Payment Element
  // ---------------------------------------------------------------------------------------------

  function Elements(stripe, options) {
    if (!isObject(options)) { throw IntegrationError("Invalid value for elements(): options should be an object."); }
    if (options.clientSecret !== undefined && !intentId(options.clientSecret, "pi_")) {
      throw IntegrationError("Invalid value for elements(): clientSecret should be a client secret of the form ${id}_secret_${secret}. You specified: " + String(options.clientSecret).slice(0, 6) + "….");
    }
    this._stripe = stripe;
    this._clientSecret = options.clientSecret || null;
    this._appearance = options.appearance || {};
    this._payment = null;
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "payment") {
      throw IntegrationError("This stand-in emulates only the Payment Element: elements.create('payment'). '" + type + "' is not emulated.");
    }
    if (!this._clientSecret) {
      throw IntegrationError("This stand-in needs a clientSecret in stripe.elements({clientSecret}) to create the Payment Element (deferred intents are not emulated).");
    }
    if (this._payment && !this._payment._destroyed) {
      throw IntegrationError("Can only create one Element of type payment.");
    }
    this._payment = new PaymentElement(this, options || {});
    return this._payment;
  };

  Elements.prototype.getElement = function (type) {
    return type === "payment" && this._payment && !this._payment._destroyed ? this._payment : null;
  };

  Elements.prototype.update = function (options) {
    if (options && options.appearance) {
      this._appearance = options.appearance;
      if (this._payment) { this._payment.update({}); }
    }
  };

  /** Validates the Payment Element's fields; resolves `{}` or `{error}` (type `validation_error`). */
  Elements.prototype.submit = function () {
    var element = this._payment;
    if (!element || !element._mounted) {
      return Promise.reject(IntegrationError("elements.submit(): mount the Payment Element first."));
    }
    return element._ask("validate", {}).then(function (result) { return result.error ? { error: result.error } : {}; });
  };

  Elements.prototype.fetchUpdates = function () { return Promise.resolve({}); };

  function PaymentElement(elements, options) {
    this._elements = elements;
    this._options = options;
    this._handlers = {};
    this._mounted = false;
    this._destroyed = false;
    this._frame = null;
    this._container = null;
  }

  PaymentElement.prototype.mount = function (target) {
    if (this._destroyed) { throw IntegrationError("This Element has already been destroyed. Please create a new one."); }
    if (this._mounted) { throw IntegrationError("This Element is already mounted. Use `unmount` first."); }
    var node = resolveTarget(target, "element.mount()");
    var self = this;
    var container = document.createElement("div");
    container.className = "__PrivateStripeElement";
    container.style.margin = "0"; container.style.padding = "0"; container.style.position = "relative";
    var frame = makeFrame("payment-element.html", {
      key: this._elements._stripe._key,
      clientSecret: this._elements._clientSecret,
      appearance: this._elements._appearance,
      layout: this._options.layout || "tabs",
      defaultValues: this._options.defaultValues || null
    }, "Secure payment input frame");
    frame.iframe.style.height = "260px";
    var ready;
    this._ready = new Promise(function (resolve) { ready = resolve; });
    register(frame, function (message) {
      switch (message.type) {
        case "ready": ready(); self._emit("ready", { elementType: "payment" }); break;
        case "change": self._emit("change", Object.assign({ elementType: "payment" }, message.event || {})); break;
        case "focus": self._emit("focus", { elementType: "payment" }); break;
        case "blur": self._emit("blur", { elementType: "payment" }); break;
        case "loaderror": ready(); self._emit("loaderror", { elementType: "payment", error: message.error }); break;
      }
    });
    container.appendChild(frame.iframe);
    node.replaceChildren(container);
    this._frame = frame;
    this._container = container;
    this._mounted = true;
  };

  PaymentElement.prototype.unmount = function () {
    if (!this._mounted) { return; }
    unregister(this._frame);
    this._container.remove();
    this._frame = null;
    this._container = null;
    this._mounted = false;
  };

  PaymentElement.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    this._handlers = {};
  };

  PaymentElement.prototype.on = function (event, handler) {
    if (typeof handler !== "function") { throw IntegrationError("element.on(): the handler must be a function."); }
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };
  PaymentElement.prototype.addEventListener = PaymentElement.prototype.on;

  PaymentElement.prototype.once = function (event, handler) {
    var self = this;
    function wrapper(e) { self.off(event, wrapper); handler(e); }
    return this.on(event, wrapper);
  };

  PaymentElement.prototype.off = function (event, handler) {
    var list = this._handlers[event] || [];
    this._handlers[event] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };
  PaymentElement.prototype.removeEventListener = PaymentElement.prototype.off;

  PaymentElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).slice().forEach(function (handler) {
      try { handler(payload); } catch (e) { setTimeout(function () { throw e; }); }
    });
  };

  PaymentElement.prototype._ask = function (op, payload) {
    if (!this._mounted) { return Promise.reject(IntegrationError("The Payment Element is not mounted.")); }
    return ask(this._frame, this._ready, op, payload);
  };

  PaymentElement.prototype.update = function (options) {
    if (!this._mounted) { return; }
    this._ask("update", { appearance: this._elements._appearance, options: options || {} });
  };
  PaymentElement.prototype.focus = function () { if (this._mounted) { this._ask("focus"); } };
  PaymentElement.prototype.blur = function () { if (this._mounted) { this._ask("blur"); } };
  PaymentElement.prototype.clear = function () { if (this._mounted) { this._ask("clear"); } };
  PaymentElement.prototype.collapse = function () { };

  // ---------------------------------------------------------------------------------------------
  // Embedded Checkout
  // ---------------------------------------------------------------------------------------------

  function embeddedCheckout(stripe, name, options) {
    if (!isObject(options)) { return Promise.reject(IntegrationError(name + "(): expected an options object.")); }
    var hasSecret = typeof options.clientSecret === "string", hasFetch = typeof options.fetchClientSecret === "function";
    if (hasSecret === hasFetch) {
      return Promise.reject(IntegrationError(name + "(): pass exactly one of `clientSecret` and `fetchClientSecret`."));
    }
    if (options.onComplete !== undefined && typeof options.onComplete !== "function") {
      return Promise.reject(IntegrationError(name + "(): `onComplete` must be a function."));
    }
    if (stripe._embedded && !stripe._embedded._destroyed) {
      return Promise.reject(IntegrationError("You cannot have multiple embedded checkout items at once. Destroy the first one before creating another."));
    }
    var checkout = new EmbeddedCheckout(stripe, options);
    stripe._embedded = checkout;
    var secret = hasSecret ? Promise.resolve(options.clientSecret) : Promise.resolve().then(options.fetchClientSecret);
    return secret.then(function (clientSecret) {
      if (!intentId(clientSecret, "cs_")) {
        throw IntegrationError(name + "(): the client secret must be a Checkout Session's client secret (cs_..._secret_...).");
      }
      checkout._clientSecret = clientSecret;
      return checkout;
    });
  }

  Stripe.prototype.initEmbeddedCheckout = function (options) {
    if (this._dahlia()) {
      return Promise.reject(IntegrationError("stripe.initEmbeddedCheckout is not available with API version " + this._apiVersion
        + ": use stripe.createEmbeddedCheckoutPage instead."));
    }
    return embeddedCheckout(this, "initEmbeddedCheckout", options);
  };

  Stripe.prototype.createEmbeddedCheckoutPage = function (options) {
    return embeddedCheckout(this, "createEmbeddedCheckoutPage", options);
  };

  function EmbeddedCheckout(stripe, options) {
    this._stripe = stripe;
    this._onComplete = options.onComplete || null;
    this._clientSecret = null;
    this._frame = null;
    this._destroyed = false;
  }

  EmbeddedCheckout.prototype.mount = function (target) {
    if (this._destroyed) { throw IntegrationError("This embedded Checkout has been destroyed. Create a new one."); }
    if (this._frame) { throw IntegrationError("This embedded Checkout is already mounted. Use `unmount` first."); }
    var node = resolveTarget(target, "checkout.mount()");
    var self = this;
    var frame = makeFrame("embedded-checkout.html", { key: this._stripe._key, clientSecret: this._clientSecret },
      "Embedded checkout");
    frame.iframe.style.height = "640px";
    register(frame, function (message) {
      if (message.type !== "complete") { return; }
      // Stripe redirects the top window itself unless the session asked for `if_required` or `never`,
      // in which case the page hears of it through onComplete.
      if (message.redirectOnCompletion === "always" && typeof message.returnUrl === "string") {
        window.location.assign(message.returnUrl);
      } else if (self._onComplete) {
        self._onComplete();
      }
    });
    node.replaceChildren(frame.iframe);
    this._frame = frame;
  };

  EmbeddedCheckout.prototype.unmount = function () {
    if (!this._frame) { return; }
    unregister(this._frame);
    this._frame.iframe.remove();
    this._frame = null;
  };

  EmbeddedCheckout.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    if (this._stripe._embedded === this) { this._stripe._embedded = null; }
  };

  window.Stripe = Stripe;
})();
