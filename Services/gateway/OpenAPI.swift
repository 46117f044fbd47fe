/// The OpenAPI 3 document of the gateway's public HTTP API: the one source of truth.
///
/// Served at `GET /openapi.json`, printed by `gateway openapi`, and checked in as `docs/openapi.json`
/// (a test asserts the three are identical and the document validates). Edit it here, then run
/// `gateway openapi > docs/openapi.json`.
enum OpenAPI {
    /// The document, as served.
    static let document = #"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "shop gateway",
    "version": "0.1.0",
    "description": "The public HTTP API of the shop: orders paid with Stripe (Payment Element, embedded Checkout, invoices paid in the app), the Stripe webhook endpoint, return URLs, operations endpoints and pages. Errors are `{\"error\":{\"code\",\"message\"}}` with optional `field`, `reason` and `order_id`. Every response carries `X-Request-Id` (the client's when sane, else generated); it is the trace id of every service call the request causes."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "tags": [
    {
      "name": "orders"
    },
    {
      "name": "stripe"
    },
    {
      "name": "operations"
    },
    {
      "name": "pages"
    }
  ],
  "paths": {
    "/healthz": {
      "get": {
        "tags": [
          "operations"
        ],
        "summary": "Liveness of the gateway itself",
        "responses": {
          "200": {
            "description": "The gateway is up.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Liveness"
                }
              }
            }
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "tags": [
          "operations"
        ],
        "summary": "Readiness of all four services",
        "description": "200 when payments, fulfillment and notifier answer `sys.health` and none is `failing` (`degraded` counts as ready and shows as `status: degraded`); else 503.",
        "responses": {
          "200": {
            "description": "Every service answers and none is failing.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                }
              }
            }
          },
          "503": {
            "description": "A service is unreachable, too slow or failing.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "tags": [
          "operations"
        ],
        "summary": "Prometheus metrics",
        "responses": {
          "200": {
            "description": "Prometheus text format 0.0.4.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "tags": [
          "operations"
        ],
        "summary": "This document",
        "responses": {
          "200": {
            "description": "OpenAPI 3 document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    },
    "/config": {
      "get": {
        "tags": [
          "stripe"
        ],
        "summary": "What Stripe.js needs",
        "parameters": [
          {
            "$ref": "#/components/parameters/RequestId"
          }
        ],
        "responses": {
          "200": {
            "description": "The publishable configuration.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Config"
                }
              }
            }
          },
          "500": {
            "$ref": "#/components/responses/Internal"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/catalog": {
      "get": {
        "tags": [
          "orders"
        ],
        "summary": "The products on sale",
        "parameters": [
          {
            "$ref": "#/components/parameters/RequestId"
          }
        ],
        "responses": {
          "200": {
            "description": "The catalog.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Catalog"
                }
              }
            }
          },
          "500": {
            "$ref": "#/components/responses/Internal"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/orders": {
      "post": {
        "tags": [
          "orders"
        ],
        "summary": "Create an order and its PaymentIntent",
        "description": "Prices the items server-side, reserves stock and creates a PaymentIntent for the order's total. Confirm it in the browser with the Payment Element and `return_url` = `<PUBLIC_BASE_URL>/payment/return`.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Client key: the same key returns the same order instead of creating another.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255,
              "pattern": "^[!-~]+$"
            }
          },
          {
            "$ref": "#/components/parameters/RequestId"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OrderRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Created.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PaymentIntentCreated"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "402": {
            "$ref": "#/components/responses/PaymentDeclined"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "500": {
            "$ref": "#/components/responses/Internal"
          },
          "502": {
            "$ref": "#/components/responses/BadGateway"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/checkout/sessions": {
      "post": {
        "tags": [
          "orders"
        ],
        "summary": "Create an order and an embedded Checkout Session",
        "description": "Return URL: `<PUBLIC_BASE_URL>/stripe_return?session_id={CHECKOUT_SESSION_ID}`.",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Client key: the same key returns the same order instead of creating another.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255,
              "pattern": "^[!-~]+$"
            }
          },
          {
            "$ref": "#/components/parameters/RequestId"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OrderRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Created.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CheckoutSessionCreated"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "402": {
            "$ref": "#/components/responses/PaymentDeclined"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "500": {
            "$ref": "#/components/responses/Internal"
          },
          "502": {
            "$ref": "#/components/responses/BadGateway"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/invoices": {
      "post": {
        "tags": [
          "orders"
        ],
        "summary": "Create an order and a finalized invoice to pay in the app",
        "description": "Pay with the Payment Element and the returned client secret (the invoice's PaymentIntent).",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Client key: the same key returns the same order instead of creating another.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255,
              "pattern": "^[!-~]+$"
            }
          },
          {
            "$ref": "#/components/parameters/RequestId"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OrderRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Created.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/InvoiceCreated"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "402": {
            "$ref": "#/components/responses/PaymentDeclined"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "500": {
            "$ref": "#/components/responses/Internal"
          },
          "502": {
            "$ref": "#/components/responses/BadGateway"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/orders/{order_id}": {
      "get": {
        "tags": [
          "orders"
        ],
        "summary": "An order, its status and history",
        "parameters": [
          {
            "name": "order_id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255
            }
          },
          {
            "$ref": "#/components/parameters/RequestId"
          }
        ],
        "responses": {
          "200": {
            "description": "The order.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Order"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/Internal"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/orders/{order_id}/payment": {
      "post": {
        "tags": [
          "orders"
        ],
        "summary": "The payment object of a payable order, again",
        "description": "For an order that is `awaiting_payment` or `payment_failed`: the same PaymentIntent, Checkout Session or invoice as before while it is usable (payments makes the request idempotent per order). The shape is that of the create response for the order's flow.",
        "parameters": [
          {
            "name": "order_id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255
            }
          },
          {
            "$ref": "#/components/parameters/RequestId"
          }
        ],
        "responses": {
          "200": {
            "description": "The payment object.",
            "content": {
              "application/json": {
                "schema": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/PaymentIntentCreated"
                    },
                    {
                      "$ref": "#/components/schemas/CheckoutSessionCreated"
                    },
                    {
                      "$ref": "#/components/schemas/InvoiceCreated"
                    }
                  ]
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "402": {
            "$ref": "#/components/responses/PaymentDeclined"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "500": {
            "$ref": "#/components/responses/Internal"
          },
          "502": {
            "$ref": "#/components/responses/BadGateway"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/api/checkout/session-status": {
      "get": {
        "tags": [
          "orders"
        ],
        "summary": "A Checkout Session's status and its order's",
        "parameters": [
          {
            "name": "session_id",
            "in": "query",
            "required": true,
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 255
            }
          },
          {
            "$ref": "#/components/parameters/RequestId"
          }
        ],
        "responses": {
          "200": {
            "description": "Status as Stripe reports it, and the order's.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SessionStatus"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "500": {
            "$ref": "#/components/responses/Internal"
          },
          "502": {
            "$ref": "#/components/responses/BadGateway"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/webhooks/stripe": {
      "post": {
        "tags": [
          "stripe"
        ],
        "summary": "Stripe webhook endpoint",
        "description": "The raw body and `Stripe-Signature` header are passed untouched to payments, which verifies and durably records the event. 200 once recorded (also for a duplicate), 400 for a bad signature or payload (`error.reason` says which check failed), 503 when it could not be recorded so Stripe retries. Compatible with `stripe listen --forward-to <host>/webhooks/stripe`.",
        "parameters": [
          {
            "name": "Stripe-Signature",
            "in": "header",
            "required": false,
            "schema": {
              "type": "string"
            },
            "description": "`t=<unix seconds>,v1=<hex>[,v1=...]`."
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "description": "A Stripe event object, exactly as Stripe signed it."
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Recorded (or already recorded).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Received"
                }
              }
            }
          },
          "400": {
            "description": "Bad signature (`invalid_signature`) or payload (`invalid_payload`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body too large.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/payment/return": {
      "get": {
        "tags": [
          "stripe"
        ],
        "summary": "Where Stripe returns the customer after confirmPayment",
        "description": "payments retrieves the PaymentIntent (the client secret must belong to it; `redirect_status` is only a hint). `succeeded` and `processing` redirect to `/order/success?order_id=`; otherwise to `/payment/error?order_id=&reason=` with reason `payment_failed`, `authentication_required`, `canceled`, `expired`, `invalid_return` (missing or mismatched parameters) or `verification_unavailable`.",
        "parameters": [
          {
            "name": "payment_intent",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          },
          {
            "name": "payment_intent_client_secret",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          },
          {
            "name": "redirect_status",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          }
        ],
        "responses": {
          "303": {
            "description": "To the success or error page.",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string"
                },
                "description": "The page to show."
              }
            }
          }
        }
      }
    },
    "/stripe_return": {
      "get": {
        "tags": [
          "stripe"
        ],
        "summary": "Where embedded Checkout returns the customer",
        "description": "`complete` redirects to `/order/success?order_id=`, `open` back to `/checkout/embedded?order_id=`, `expired` to `/payment/error?order_id=&reason=expired`.",
        "parameters": [
          {
            "name": "session_id",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          }
        ],
        "responses": {
          "303": {
            "description": "To the success, checkout or error page.",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string"
                },
                "description": "The page to show."
              }
            }
          }
        }
      }
    },
    "/": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "Product page",
        "responses": {
          "200": {
            "description": "The page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/checkout": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "Payment Element checkout page (PaymentIntent flow)",
        "responses": {
          "200": {
            "description": "The page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "order_id",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          }
        ]
      }
    },
    "/checkout/embedded": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "Embedded Checkout page",
        "responses": {
          "200": {
            "description": "The page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "order_id",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          }
        ]
      }
    },
    "/invoice": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "In-app invoice payment page",
        "responses": {
          "200": {
            "description": "The page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "order_id",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          }
        ]
      }
    },
    "/order/success": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "Order confirmation with live status",
        "responses": {
          "200": {
            "description": "The page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "order_id",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          }
        ]
      }
    },
    "/payment/error": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "Payment problem with live order status",
        "responses": {
          "200": {
            "description": "The page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "order_id",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          },
          {
            "name": "reason",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          }
        ]
      }
    },
    "/order/pay": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "Pay again for an order",
        "responses": {
          "200": {
            "description": "The page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "parameters": [
          {
            "name": "order_id",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "maxLength": 255
            }
          }
        ]
      }
    },
    "/assets/app.css": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "Stylesheet",
        "responses": {
          "200": {
            "description": "CSS.",
            "content": {
              "text/css": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/assets/app.js": {
      "get": {
        "tags": [
          "pages"
        ],
        "summary": "Page script",
        "responses": {
          "200": {
            "description": "JavaScript.",
            "content": {
              "text/javascript": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "parameters": {
      "RequestId": {
        "name": "X-Request-Id",
        "in": "header",
        "required": false,
        "description": "1 to 128 token characters; echoed back and used as the trace id.",
        "schema": {
          "type": "string",
          "minLength": 1,
          "maxLength": 128,
          "pattern": "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "The request is malformed: not JSON, a missing field, a wrong type (`error.field` names it).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "PaymentDeclined": {
        "description": "Stripe declined the payment method (`error.reason` is Stripe's decline code).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "NotFound": {
        "description": "No such order or session.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Conflict": {
        "description": "The request conflicts with the current state (out of stock, the order is not payable).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "The body is not `application/json`.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unprocessable": {
        "description": "Well-formed, but a value is not acceptable (unknown SKU, quantity out of range, bad email); `error.field` names it.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Internal": {
        "description": "Something failed inside a service; details are only in its log.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "BadGateway": {
        "description": "Stripe failed or refused the call.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unavailable": {
        "description": "A service is down or too slow; retry after `Retry-After` seconds.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "headers": {
          "Retry-After": {
            "schema": {
              "type": "integer"
            },
            "description": "Seconds to wait."
          }
        }
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message"
            ],
            "properties": {
              "code": {
                "type": "string",
                "example": "unprocessable"
              },
              "message": {
                "type": "string"
              },
              "field": {
                "type": "string",
                "example": "items[0].quantity"
              },
              "reason": {
                "type": "string",
                "example": "unknown_sku"
              },
              "order_id": {
                "type": "string",
                "description": "Set when the order was created but its payment could not be; pay later with POST /api/orders/{order_id}/payment."
              }
            }
          }
        }
      },
      "OrderRequest": {
        "type": "object",
        "required": [
          "items",
          "email"
        ],
        "properties": {
          "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
              "$ref": "#/components/schemas/OrderItem"
            }
          },
          "email": {
            "type": "string",
            "format": "email",
            "maxLength": 254
          }
        }
      },
      "OrderItem": {
        "type": "object",
        "required": [
          "sku",
          "quantity"
        ],
        "properties": {
          "sku": {
            "type": "string",
            "pattern": "^[A-Za-z0-9._-]{1,64}$"
          },
          "quantity": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000
          }
        }
      },
      "PaymentIntentCreated": {
        "type": "object",
        "required": [
          "order_id",
          "amount",
          "currency",
          "status",
          "payment_intent_id",
          "client_secret"
        ],
        "properties": {
          "order_id": {
            "type": "string"
          },
          "flow": {
            "type": "string",
            "enum": [
              "payment_intent"
            ]
          },
          "amount": {
            "type": "integer",
            "description": "Minor units."
          },
          "currency": {
            "type": "string"
          },
          "status": {
            "$ref": "#/components/schemas/OrderStatus"
          },
          "payment_intent_id": {
            "type": "string"
          },
          "client_secret": {
            "type": "string",
            "description": "For Stripe.js only; never log it."
          }
        }
      },
      "CheckoutSessionCreated": {
        "type": "object",
        "required": [
          "order_id",
          "session_id",
          "client_secret",
          "expires_at"
        ],
        "properties": {
          "order_id": {
            "type": "string"
          },
          "flow": {
            "type": "string",
            "enum": [
              "checkout_session"
            ]
          },
          "amount": {
            "type": "integer"
          },
          "currency": {
            "type": "string"
          },
          "session_id": {
            "type": "string"
          },
          "client_secret": {
            "type": "string"
          },
          "expires_at": {
            "type": "integer",
            "nullable": true,
            "description": "Unix seconds."
          }
        }
      },
      "InvoiceCreated": {
        "type": "object",
        "required": [
          "order_id",
          "invoice_id",
          "client_secret"
        ],
        "properties": {
          "order_id": {
            "type": "string"
          },
          "flow": {
            "type": "string",
            "enum": [
              "invoice"
            ]
          },
          "amount": {
            "type": "integer"
          },
          "currency": {
            "type": "string"
          },
          "invoice_id": {
            "type": "string"
          },
          "client_secret": {
            "type": "string"
          }
        }
      },
      "OrderStatus": {
        "type": "string",
        "enum": [
          "awaiting_payment",
          "processing",
          "paid",
          "fulfilled",
          "payment_failed",
          "canceled",
          "expired",
          "needs_review",
          "partially_refunded",
          "refunded"
        ]
      },
      "Order": {
        "type": "object",
        "required": [
          "order_id",
          "status",
          "flow",
          "amount",
          "currency",
          "items",
          "created_at",
          "expires_at",
          "history"
        ],
        "properties": {
          "order_id": {
            "type": "string"
          },
          "status": {
            "$ref": "#/components/schemas/OrderStatus"
          },
          "flow": {
            "type": "string",
            "enum": [
              "payment_intent",
              "checkout_session",
              "invoice"
            ]
          },
          "amount": {
            "type": "integer"
          },
          "currency": {
            "type": "string"
          },
          "refunded_amount": {
            "type": "integer",
            "description": "Minor units refunded so far (succeeded refunds, as Stripe lists them); present once the order had a refund."
          },
          "disputed": {
            "type": "boolean",
            "description": "True while a dispute (chargeback) on the payment is open; present once the order had a dispute. A dispute never changes the order's status."
          },
          "dispute": {
            "type": "object",
            "description": "The order's latest dispute, as Stripe last showed it.",
            "required": [
              "dispute_id",
              "status",
              "amount",
              "currency",
              "funds_withdrawn",
              "funds_reinstated"
            ],
            "properties": {
              "dispute_id": {
                "type": "string"
              },
              "status": {
                "type": "string"
              },
              "amount": {
                "type": "integer"
              },
              "currency": {
                "type": "string"
              },
              "reason": {
                "type": "string"
              },
              "due_by": {
                "type": "integer",
                "description": "When evidence is due (Unix seconds), while the dispute is open."
              },
              "funds_withdrawn": {
                "type": "boolean"
              },
              "funds_reinstated": {
                "type": "boolean"
              }
            }
          },
          "items": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "sku",
                "name",
                "quantity",
                "unit_amount",
                "amount"
              ],
              "properties": {
                "sku": {
                  "type": "string"
                },
                "name": {
                  "type": "string"
                },
                "quantity": {
                  "type": "integer"
                },
                "unit_amount": {
                  "type": "integer"
                },
                "amount": {
                  "type": "integer"
                }
              }
            }
          },
          "created_at": {
            "type": "integer",
            "description": "Unix milliseconds."
          },
          "expires_at": {
            "type": "integer",
            "description": "Unix milliseconds."
          },
          "history": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "status",
                "at"
              ],
              "properties": {
                "status": {
                  "$ref": "#/components/schemas/OrderStatus"
                },
                "at": {
                  "type": "integer"
                },
                "note": {
                  "type": "string"
                }
              }
            }
          }
        }
      },
      "Catalog": {
        "type": "object",
        "required": [
          "products"
        ],
        "properties": {
          "products": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "sku",
                "name",
                "unit_amount",
                "currency",
                "available"
              ],
              "properties": {
                "sku": {
                  "type": "string"
                },
                "name": {
                  "type": "string"
                },
                "description": {
                  "type": "string"
                },
                "unit_amount": {
                  "type": "integer"
                },
                "currency": {
                  "type": "string"
                },
                "available": {
                  "type": "integer"
                }
              }
            }
          }
        }
      },
      "Config": {
        "type": "object",
        "required": [
          "publishableKey"
        ],
        "properties": {
          "publishableKey": {
            "type": "string",
            "example": "pk_test_..."
          },
          "checkoutUiMode": {
            "type": "string",
            "enum": [
              "embedded",
              "embedded_page"
            ]
          },
          "mode": {
            "type": "string",
            "enum": [
              "live",
              "test",
              "emulator"
            ]
          },
          "returnUrl": {
            "type": "string",
            "description": "return_url for confirmPayment."
          }
        }
      },
      "SessionStatus": {
        "type": "object",
        "required": [
          "status",
          "payment_status",
          "order_id",
          "order_status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "example": "complete"
          },
          "payment_status": {
            "type": "string",
            "nullable": true,
            "example": "paid"
          },
          "order_id": {
            "type": "string"
          },
          "order_status": {
            "$ref": "#/components/schemas/OrderStatus"
          }
        }
      },
      "Received": {
        "type": "object",
        "required": [
          "received"
        ],
        "properties": {
          "received": {
            "type": "boolean",
            "enum": [
              true
            ]
          }
        }
      },
      "Liveness": {
        "type": "object",
        "required": [
          "status",
          "service",
          "version"
        ],
        "properties": {
          "status": {
            "type": "string"
          },
          "service": {
            "type": "string"
          },
          "version": {
            "type": "string"
          }
        }
      },
      "Readiness": {
        "type": "object",
        "required": [
          "status",
          "services"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ok",
              "degraded",
              "unavailable"
            ]
          },
          "services": {
            "type": "object",
            "additionalProperties": {
              "type": "object",
              "required": [
                "status"
              ],
              "properties": {
                "status": {
                  "type": "string",
                  "enum": [
                    "ok",
                    "degraded",
                    "failing",
                    "unreachable",
                    "timeout"
                  ]
                },
                "checks": {
                  "type": "object",
                  "additionalProperties": {
                    "type": "string"
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
"""#

    /// ``document`` as bytes, encoded once.
    static let bytes: [UInt8] = Array(document.utf8)
}
