#!/usr/bin/env python3
"""Writes openapi.yaml (OpenAPI 3.1) from the route table below. Rerun it
after changing an endpoint: `python3 tools/gen_openapi.py`. A test checks
that the spec's paths and methods equal template.yaml's routes."""
import yaml, os

S = lambda **kw: dict(kw)
str_ = {"type": "string"}
int_ = {"type": "integer"}
nullable = lambda t: {"type": [t, "null"]}
meta = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 500}, "maxProperties": 50,
        "description": "Up to 50 keys of at most 40 characters; string values of at most 500 characters."}
address = {"type": "object", "additionalProperties": False, "properties": {k: {"type": "string", "maxLength": 200} for k in ["line1", "line2", "city", "state", "postal_code"]} | {"country": {"type": "string", "description": "ISO 3166-1 alpha-2"}}}
statuses = ["pending", "requires_capture", "succeeded", "failed", "cancelled"]
currencies = ["aud","brl","cad","chf","czk","dkk","eur","gbp","hkd","huf","inr","jpy","krw","mxn","nok","nzd","pln","sek","sgd","usd"]

components = {
  "securitySchemes": {
    "bearer": {"type": "http", "scheme": "bearer", "description": "A secret key (sk_test_..., sk_live_...); publishable keys (pk_...) only where noted."},
    "basic": {"type": "http", "scheme": "basic", "description": "The key as the user name, an empty password."},
  },
  "schemas": {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["type", "code", "message", "param"], "properties": {
        "type": {"type": "string", "enum": ["invalid_request_error", "card_error", "idempotency_error", "rate_limit_error", "api_error"]},
        "code": nullable("string"), "message": str_, "param": nullable("string"), "decline_code": {"type": "string"}}}}},
    "Payment": {"type": "object", "required": ["id", "object", "amount", "currency", "status", "created", "livemode"], "properties": {
        "id": {"type": "string", "pattern": "^pay_"}, "object": {"const": "payment"}, "amount": int_, "currency": {"enum": currencies},
        "status": {"enum": statuses}, "customer_id": nullable("string"), "description": nullable("string"),
        "capture_method": {"enum": ["automatic", "manual"]}, "amount_refunded": int_, "refunded": {"type": "boolean"},
        "payment_method": nullable("string"), "amount_capturable": int_, "amount_received": int_, "capture_before": nullable("integer"),
        "cancellation_reason": nullable("string"), "last_payment_error": {"type": ["object", "null"]}, "metadata": meta,
        "return_url": nullable("string"), "client_secret": str_, "created": int_, "livemode": {"type": "boolean"}}},
    "Customer": {"type": "object", "required": ["id", "object"], "properties": {
        "id": {"type": "string", "pattern": "^cus_"}, "object": {"const": "customer"}, "email": nullable("string"), "name": nullable("string"),
        "phone": nullable("string"), "address": {"type": ["object", "null"]}, "metadata": meta, "created": int_, "livemode": {"type": "boolean"},
        "deleted": {"type": "boolean"}}},
    "Refund": {"type": "object", "required": ["id", "object", "payment_id", "amount", "currency", "status"], "properties": {
        "id": {"type": "string", "pattern": "^re_"}, "object": {"const": "refund"}, "payment_id": str_, "amount": int_, "currency": str_,
        "reason": {"enum": ["duplicate", "fraudulent", "customer_request", None]}, "status": {"enum": ["succeeded"]}, "metadata": meta,
        "created": int_, "livemode": {"type": "boolean"}}},
    "PaymentMethod": {"type": "object", "required": ["id", "object", "type", "card"], "properties": {
        "id": {"type": "string", "pattern": "^pm_"}, "object": {"const": "payment_method"}, "type": {"const": "card"},
        "card": {"type": "object", "properties": {"brand": str_, "last4": str_, "exp_month": int_, "exp_year": int_, "fingerprint": str_}},
        "customer": nullable("string"), "created": int_, "livemode": {"type": "boolean"}}},
    "Event": {"type": "object", "required": ["id", "object", "type", "data"], "properties": {
        "id": {"type": "string", "pattern": "^evt_"}, "object": {"const": "event"}, "type": str_, "created": int_, "livemode": {"type": "boolean"},
        "data": {"type": "object", "properties": {"object": {"type": "object"}, "previous_attributes": {"type": "object"}}},
        "request": {"type": "object"}, "pending_webhooks": int_, "deliveries": {"type": "array", "items": {"type": "object"}}}},
    "WebhookEndpoint": {"type": "object", "required": ["id", "object", "url", "enabled_events"], "properties": {
        "id": {"type": "string", "pattern": "^we_"}, "object": {"const": "webhook_endpoint"}, "url": str_,
        "enabled_events": {"type": "array", "items": str_}, "status": str_, "secret": {"type": "string", "description": "Only in the creation response."},
        "created": int_, "livemode": {"type": "boolean"}}},
    "Deleted": {"type": "object", "required": ["id", "object", "deleted"], "properties": {"id": str_, "object": str_, "deleted": {"const": True}}},
  },
}
for name in ["Payment", "Customer", "Refund", "PaymentMethod", "Event", "WebhookEndpoint"]:
    components["schemas"][name + "List"] = {"type": "object", "required": ["object", "url", "has_more", "data"], "properties": {
        "object": {"const": "list"}, "url": str_, "has_more": {"type": "boolean"}, "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}}}}

def err(desc): return {"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
COMMON = {"400": err("Invalid input; `param` names it."), "401": err("Missing, malformed, unknown or revoked API key."),
          "403": err("A publishable key where a secret key is required."), "404": err("No such object in this account and mode."),
          "409": err("A concurrent request: retry."), "413": err("Body over 10 MB."), "415": err("Body not JSON."),
          "429": err("Throttled."), "500": err("Our fault; the message is opaque.")}
LIST_PARAMS = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
               {"name": "starting_after", "in": "query", "schema": str_}, {"name": "ending_before", "in": "query", "schema": str_}]
CREATED = [{"name": f"created[{op}]", "in": "query", "schema": {"type": "integer", "minimum": 0}} for op in ["gt", "gte", "lt", "lte"]]
IDEM = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "minLength": 1, "maxLength": 255}, "description": "Retries with the same key never act twice."}
ID = lambda prefix: {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": f"^{prefix}[A-Za-z0-9]+$"}}

def op(summary, ok, body=None, params=(), public=False, extra=(), required=()):
    o = {"summary": summary, "parameters": list(params),
         "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ok}"}}}}}}
    for code, d in COMMON.items():
        o["responses"][code] = d
    for code in extra:
        o["responses"][code] = err("The card was declined.")
    if body is not None:
        schema = {"type": "object", "additionalProperties": False, "properties": body}
        if required:
            schema["required"] = list(required)
        o["requestBody"] = {"required": bool(required), "content": {"application/json": {"schema": schema}}}
    if public:
        o["security"] = []
    return o

payment_body = {"amount": {"type": "integer", "minimum": 1, "maximum": 99999999}, "currency": {"enum": currencies}, "customer_id": str_,
                "description": {"type": "string", "minLength": 1, "maxLength": 1000}, "capture_method": {"enum": ["automatic", "manual"]},
                "metadata": meta, "return_url": {"type": "string", "format": "uri"}}
customer_body = {"email": {"type": "string", "maxLength": 512}, "name": {"type": "string", "maxLength": 256}, "phone": str_, "address": address, "metadata": meta}
paths = {
  "/v1/payments": {"post": op("Create a payment", "Payment", payment_body, [IDEM], required=["amount", "currency"]),
                   "get": op("List payments", "PaymentList", None, LIST_PARAMS + CREATED + [{"name": "customer", "in": "query", "schema": str_}, {"name": "status", "in": "query", "schema": {"enum": statuses}}])},
  "/v1/payments/{id}": {"get": op("Retrieve a payment", "Payment", None, [ID("pay_")])},
  "/v1/payments/{id}/confirm": {"post": op("Confirm a payment (secret key, or publishable key with client_secret)", "Payment", {"payment_method": str_, "client_secret": str_}, [ID("pay_"), IDEM], extra=["402"], required=["payment_method"])},
  "/v1/payments/{id}/capture": {"post": op("Capture a held payment", "Payment", {"amount_to_capture": {"type": "integer", "minimum": 1}}, [ID("pay_"), IDEM])},
  "/v1/payments/{id}/cancel": {"post": op("Cancel a payment", "Payment", {"cancellation_reason": {"enum": ["duplicate", "fraudulent", "requested_by_customer", "abandoned"]}}, [ID("pay_"), IDEM])},
  "/v1/payment_methods": {"post": op("Tokenise a card (secret or publishable key)", "PaymentMethod", {"type": {"const": "card"}, "card": {"type": "object", "additionalProperties": False, "properties": {"number": str_, "exp_month": int_, "exp_year": int_, "cvc": str_}, "required": ["number", "exp_month", "exp_year", "cvc"]}}, [IDEM], required=["card"])},
  "/v1/refunds": {"post": op("Create a refund", "Refund", {"payment_id": str_, "amount": {"type": "integer", "minimum": 1}, "reason": {"enum": ["duplicate", "fraudulent", "customer_request"]}, "metadata": meta}, [IDEM], required=["payment_id"]),
                  "get": op("List refunds", "RefundList", None, LIST_PARAMS + CREATED + [{"name": "payment_id", "in": "query", "schema": str_}])},
  "/v1/refunds/{id}": {"get": op("Retrieve a refund", "Refund", None, [ID("re_")])},
  "/v1/customers": {"post": op("Create a customer", "Customer", customer_body, [IDEM]),
                    "get": op("List customers", "CustomerList", None, LIST_PARAMS + CREATED + [{"name": "email", "in": "query", "schema": str_}])},
  "/v1/customers/{id}": {"get": op("Retrieve a customer", "Customer", None, [ID("cus_")]),
                         "post": op("Update a customer", "Customer", customer_body, [ID("cus_"), IDEM]),
                         "delete": op("Delete a customer", "Deleted", None, [ID("cus_")])},
  "/v1/customers/{id}/payment_methods": {"post": op("Attach a payment method", "PaymentMethod", {"payment_method": str_}, [ID("cus_"), IDEM], required=["payment_method"]),
                                         "get": op("List a customer's payment methods", "PaymentMethodList", None, [ID("cus_")] + LIST_PARAMS)},
  "/v1/customers/{id}/payment_methods/{payment_method_id}": {"delete": op("Detach a payment method", "PaymentMethod", None, [ID("cus_"), {"name": "payment_method_id", "in": "path", "required": True, "schema": str_}])},
  "/v1/events": {"get": op("List events (last 30 days)", "EventList", None, LIST_PARAMS + CREATED + [{"name": "type", "in": "query", "schema": str_, "description": "A type, or a group such as payment.*"}])},
  "/v1/events/{id}": {"get": op("Retrieve an event with its webhook deliveries", "Event", None, [ID("evt_")])},
  "/v1/webhook_endpoints": {"post": op("Create a webhook endpoint (its secret is shown once)", "WebhookEndpoint", {"url": {"type": "string", "format": "uri"}, "enabled_events": {"type": "array", "items": str_, "minItems": 1}}, [IDEM], required=["url", "enabled_events"]),
                            "get": op("List webhook endpoints", "WebhookEndpointList", None, LIST_PARAMS)},
  "/v1/webhook_endpoints/{id}": {"delete": op("Delete a webhook endpoint", "Deleted", None, [ID("we_")])},
  "/pay/{payment_id}": {"get": {"summary": "The hosted payment page (HTML)", "security": [], "parameters": [
      {"name": "payment_id", "in": "path", "required": True, "schema": str_}, {"name": "key", "in": "query", "required": True, "schema": str_},
      {"name": "client_secret", "in": "query", "required": True, "schema": str_}],
      "responses": {"200": {"description": "The page", "content": {"text/html": {"schema": str_}}}, "404": {"description": "Not a valid link", "content": {"text/html": {"schema": str_}}}}}},
  "/pay/paynectra.js": {"get": {"summary": "paynectra.js", "security": [], "responses": {"200": {"description": "The script", "content": {"application/javascript": {"schema": str_}}}}}},
}
spec = {"openapi": "3.1.0",
        "info": {"title": "Paynectra API", "version": "1.0.0", "description": "Payments API. Money is in the currency's smallest unit. Errors: {\"error\": {\"type\", \"code\", \"message\", \"param\"}}."},
        "servers": [{"url": "http://127.0.0.1:3000", "description": "make run"}],
        "security": [{"bearer": []}, {"basic": []}],
        "paths": paths, "components": components}
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
with open(os.path.join(root, "openapi.yaml"), "w") as f:
    f.write("# Generated by tools/gen_openapi.py: edit that, then rerun it.\n")
    yaml.safe_dump(spec, f, sort_keys=False, width=120)
