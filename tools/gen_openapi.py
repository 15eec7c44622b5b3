#!/usr/bin/env python3
"""Writes openapi.yaml (OpenAPI 3.1) from the route table below. Rerun it
after changing an endpoint: `python3 tools/gen_openapi.py`. A test checks
that the spec's paths and methods equal template.yaml's routes."""
import yaml, os

S = lambda **kw: dict(kw)
str_ = {"type": "string"}
int_ = {"type": "integer"}
nullable = lambda t: {"type": [t, "null"]}
# Request schemas say exactly what validation accepts (schemathesis checks
# both ways: schema-valid requests are accepted, invalid ones refused).
# Strings: no control characters (Unicode Cc) except tab and newline.
NO_CONTROL = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]*$"
def or_null(schema):
    return {"anyOf": [schema, {"type": "null"}]}
def text(max_len, min_len=1):
    return {"type": "string", "minLength": min_len, "maxLength": max_len, "pattern": NO_CONTROL}
# Ids: the prefix, then 1 to 64 ASCII letters or digits (shared/src/domain/ids.rs).
def id_of(prefix):
    return {"type": "string", "pattern": f"^{prefix}[A-Za-z0-9]{{1,64}}$"}
meta = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 500}, "maxProperties": 50,
        "propertyNames": {"minLength": 1, "maxLength": 40, "pattern": "^[^\\[\\]\\x00-\\x1f\\x7f-\\x9f]*$"},
        "description": "Up to 50 keys of 1 to 40 characters (no square brackets or control characters); string values of at most 500 characters. An empty value unsets the key."}
meta_out = {"type": "object", "additionalProperties": {"type": "string"}}
countries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW".split()
address = {"type": "object", "additionalProperties": False, "properties": {k: or_null(text(200)) for k in ["line1", "line2", "city", "state", "postal_code"]} | {"country": or_null({"enum": countries + [c.lower() for c in countries], "description": "ISO 3166-1 alpha-2 (either case; stored in upper case)"})}}
statuses = ["pending", "requires_capture", "succeeded", "failed", "cancelled"]
# Currencies and the smallest chargeable amount in each (shared/src/domain/money.rs).
minimums = {"aud": 50, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500,
            "inr": 50, "jpy": 50, "krw": 700, "mxn": 1000, "nok": 300, "nzd": 50, "pln": 200, "sek": 300, "sgd": 50, "usd": 50}
currencies = sorted(minimums)
event_types = ["payment.created", "payment.succeeded", "payment.failed", "payment.requires_capture", "payment.captured",
               "payment.cancelled", "refund.created", "customer.created", "customer.updated", "customer.deleted"]
event_filters = event_types + ["payment.*", "refund.*", "customer.*"]
# https, or http to localhost / 127.x / [::1]; a host, an optional port and path (shared/src/domain/payment.rs ReturnUrl).
# (The last label starts with a letter: one of digits would make the host an IPv4 address.)
LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
TLD = "[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
url = {"type": "string", "maxLength": 2048, "pattern": f"^(https://({LABEL}\\.)*{TLD}|http://(localhost|127\\.0\\.0\\.1))(:[1-9][0-9]{{0,3}})?(/[A-Za-z0-9._~/-]*)?$",
       "description": "https, or http for localhost only. At most 2048 characters."}
# One @; a local part of 1 to 64 atext characters; a domain of two to four LDH labels (shared/src/domain/customer.rs Email).
email = {"type": "string", "maxLength": 512, "pattern": "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,59}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,59}[A-Za-z0-9])?){1,3}$"}
phone = {"type": "string", "pattern": "^\\+[1-9][0-9]{1,14}$", "description": "E.164"}

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
COMMON = {"400": err("Invalid input; `param` names it. Also a well-formed id that names nothing (`resource_missing`), a payment in the wrong state for the operation (`payment_unexpected_state`), or an Idempotency-Key reused for a different request (`idempotency_error`)."),
          "401": err("Missing, malformed, unknown or revoked API key."),
          "403": err("A publishable key where a secret key is required."), "404": err("No such object in this account and mode."),
          "409": err("A concurrent request: retry."), "413": err("Body over 10 MB."), "415": err("Body not JSON."),
          "429": err("Throttled."), "500": err("Our fault; the message is opaque.")}
CURSOR_NOTE = "An id from a previous page. Give at most one of starting_after and ending_before; an id that names nothing is a 400 `resource_missing`."
def list_params(prefix):
    return [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
            {"name": "starting_after", "in": "query", "schema": id_of(prefix), "description": CURSOR_NOTE},
            {"name": "ending_before", "in": "query", "schema": id_of(prefix), "description": CURSOR_NOTE}]
CREATED = [{"name": f"created[{op}]", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 99999999999}} for op in ["gt", "gte", "lt", "lte"]]
IDEM = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]*$"},
        "description": "1 to 255 printable ASCII characters. Retries with the same key never act twice; the same key with a different request is a 400 `idempotency_error`."}
ID = lambda prefix: {"name": "id", "in": "path", "required": True, "schema": id_of(prefix)}

def link(op_id, description, parameters=None, body=None):
    l = {"operationId": op_id, "description": description}
    if parameters:
        l["parameters"] = parameters
    if body is not None:
        l["requestBody"] = body
    return l

def op(op_id, summary, ok, body=None, params=(), public=False, extra=(), required=(), links=None, body_extra=None):
    o = {"operationId": op_id, "summary": summary, "parameters": list(params),
         "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ok}"}}}}}}
    if links:
        o["responses"]["200"]["links"] = links
    for code, d in COMMON.items():
        o["responses"][code] = d
    for code in extra:
        o["responses"][code] = err("The card was declined.")
    if body is not None:
        # An optional parameter sent as null is left unset, as if omitted.
        props = {k: v if k in required else or_null(v) for k, v in body.items()}
        schema = {"type": "object", "additionalProperties": False, "properties": props}
        if required:
            schema["required"] = list(required)
        if body_extra:
            schema |= body_extra
        o["requestBody"] = {"required": bool(required), "content": {"application/json": {"schema": schema}}}
    if public:
        o["security"] = []
    return o

# The amount must be at least the currency's minimum: one alternative per minimum.
by_minimum = {}
for code, minimum in minimums.items():
    by_minimum.setdefault(minimum, []).append(code)
amount_rule = {"anyOf": [{"properties": {"currency": {"enum": codes}, "amount": {"minimum": m}}} for m, codes in sorted(by_minimum.items())]}
payment_body = {"amount": {"type": "integer", "minimum": 1, "maximum": 99999999, "description": "In the currency's smallest unit; at least the currency's minimum (50 usd, 30 gbp, 50 jpy, ...)."},
                "currency": {"enum": currencies}, "customer_id": id_of("cus_"),
                "description": text(1000), "capture_method": {"enum": ["automatic", "manual"]},
                "metadata": meta, "return_url": url}
customer_body = {"email": email, "name": text(256), "phone": phone, "address": address, "metadata": meta}
# On update an empty string clears a field (and "" clears the address).
clearable = lambda s: {"anyOf": [{"const": ""}, s]}
customer_update = {"email": clearable(email), "name": clearable(text(256)), "phone": clearable(phone),
                   "address": clearable(address), "metadata": {**meta, "description": "Keys to set; an empty value removes the key."}}
card = {"type": "object", "additionalProperties": False, "required": ["number", "exp_month", "exp_year", "cvc"], "properties": {
    "number": {"type": "string", "pattern": "^[0-9]{12,19}$", "description": "Must pass the Luhn check. In test mode only the test cards are approved."},
    "exp_month": {"type": "integer", "minimum": 1, "maximum": 12},
    "exp_year": {"type": "integer", "minimum": 1, "maximum": 9999, "description": "This year to 50 years on; with exp_month, not in the past."},
    "cvc": {"type": "string", "pattern": "^[0-9]{3,4}$", "description": "4 digits for American Express, 3 otherwise."}}}

# Stripe's test payment methods (TestCard in shared/src/domain/card.rs): test mode only.
test_aliases = ["pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_discover", "pm_card_jcb",
                "pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedLostCard",
                "pm_card_chargeDeclinedStolenCard", "pm_card_chargeDeclinedExpiredCard", "pm_card_chargeDeclinedIncorrectCvc",
                "pm_card_chargeDeclinedProcessingError"]
confirm_pm = {"anyOf": [id_of("pm_"), {"enum": test_aliases}],
              "description": "A payment method id, or in test mode a test payment method (pm_card_visa, ...): its test card is tokenised into a new payment method, which the payment then references. In live mode an alias is an unknown id (404)."}

# Links: what the stateful phase follows (create, then read, act on and list).
payment_links = {
    "GetPayment": link("getPayment", "The payment just created.", {"id": "$response.body#/id"}),
    "ConfirmPayment": link("confirmPayment", "Confirm it (test mode: with the test card pm_card_visa).", {"id": "$response.body#/id"}, body={"payment_method": "pm_card_visa"}),
    "CapturePayment": link("capturePayment", "Capture it.", {"id": "$response.body#/id"}),
    "CancelPayment": link("cancelPayment", "Cancel it.", {"id": "$response.body#/id"}),
    "RefundPayment": link("createRefund", "Refund it.", body={"payment_id": "$response.body#/id"}),
    "ListRefunds": link("listRefunds", "Its refunds.", {"payment_id": "$response.body#/id"}),
    "ListPaymentsAfter": link("listPayments", "The page after it.", {"starting_after": "$response.body#/id"}),
    "HostedPage": link("hostedPage", "Its hosted payment page.", {"payment_id": "$response.body#/id", "client_secret": "$response.body#/client_secret"}),
}
transition_links = {k: payment_links[k] for k in ["GetPayment", "CapturePayment", "CancelPayment", "RefundPayment", "ListRefunds"]}
refund_links = {"GetRefund": link("getRefund", "The refund just created.", {"id": "$response.body#/id"}),
                "GetRefundedPayment": link("getPayment", "Its payment.", {"id": "$response.body#/payment_id"}),
                "ListRefundsAfter": link("listRefunds", "The page after it.", {"starting_after": "$response.body#/id"})}
customer_links = {"GetCustomer": link("getCustomer", "The customer.", {"id": "$response.body#/id"}),
                  "UpdateCustomer": link("updateCustomer", "Update it.", {"id": "$response.body#/id"}),
                  "DeleteCustomer": link("deleteCustomer", "Delete it.", {"id": "$response.body#/id"}),
                  "ListCustomerPaymentMethods": link("listCustomerPaymentMethods", "Its cards.", {"id": "$response.body#/id"}),
                  "AttachPaymentMethod": link("attachPaymentMethod", "Attach a card to it.", {"id": "$response.body#/id"}),
                  "CreatePaymentForCustomer": link("createPayment", "A payment for it.", body={"amount": 4999, "currency": "usd", "customer_id": "$response.body#/id"}),
                  "ListPaymentsOfCustomer": link("listPayments", "Its payments.", {"customer": "$response.body#/id"}),
                  "ListCustomersAfter": link("listCustomers", "The page after it.", {"starting_after": "$response.body#/id"})}
payment_method_links = {"AttachToCustomer": link("attachPaymentMethod", "Attach it to a customer.", body={"payment_method": "$response.body#/id"})}
attached_links = {"DetachPaymentMethod": link("detachPaymentMethod", "Detach it again.", {"id": "$response.body#/customer", "payment_method_id": "$response.body#/id"})}
webhook_links = {"DeleteWebhookEndpoint": link("deleteWebhookEndpoint", "Delete it.", {"id": "$response.body#/id"}),
                 "ListWebhookEndpointsAfter": link("listWebhookEndpoints", "The page after it.", {"starting_after": "$response.body#/id"})}
event_links = {"GetEvent": link("getEvent", "The first event of the page.", {"id": "$response.body#/data/0/id"})}

paths = {
  "/v1/payments": {"post": op("createPayment", "Create a payment", "Payment", payment_body, [IDEM], required=["amount", "currency"], links=payment_links, body_extra=amount_rule),
                   "get": op("listPayments", "List payments", "PaymentList", None, list_params("pay_") + CREATED + [{"name": "customer", "in": "query", "schema": id_of("cus_")}, {"name": "status", "in": "query", "schema": {"enum": statuses}}])},
  "/v1/payments/{id}": {"get": op("getPayment", "Retrieve a payment", "Payment", None, [ID("pay_")])},
  "/v1/payments/{id}/confirm": {"post": op("confirmPayment", "Confirm a payment (secret key, or publishable key with client_secret)", "Payment", {"payment_method": confirm_pm, "client_secret": {"type": "string", "maxLength": 255}}, [ID("pay_"), IDEM], extra=["402"], required=["payment_method"], links=transition_links)},
  "/v1/payments/{id}/capture": {"post": op("capturePayment", "Capture a held payment", "Payment", {"amount_to_capture": {"type": "integer", "minimum": 1, "maximum": 99999999, "description": "At most the amount held (the whole of it by default)."}}, [ID("pay_"), IDEM], links=transition_links)},
  "/v1/payments/{id}/cancel": {"post": op("cancelPayment", "Cancel a payment", "Payment", {"cancellation_reason": {"enum": ["duplicate", "fraudulent", "requested_by_customer", "abandoned"]}}, [ID("pay_"), IDEM], links=transition_links)},
  "/v1/payment_methods": {"post": op("createPaymentMethod", "Tokenise a card (secret or publishable key)", "PaymentMethod", {"type": {"const": "card"}, "card": card}, [IDEM], required=["card"], links=payment_method_links)},
  "/v1/refunds": {"post": op("createRefund", "Create a refund", "Refund", {"payment_id": id_of("pay_"), "amount": {"type": "integer", "minimum": 1, "maximum": 99999999, "description": "At most what is left to refund (all of it by default)."}, "reason": {"enum": ["duplicate", "fraudulent", "customer_request"]}, "metadata": meta}, [IDEM], required=["payment_id"], links=refund_links),
                  "get": op("listRefunds", "List refunds", "RefundList", None, list_params("re_") + CREATED + [{"name": "payment_id", "in": "query", "schema": id_of("pay_")}])},
  "/v1/refunds/{id}": {"get": op("getRefund", "Retrieve a refund", "Refund", None, [ID("re_")])},
  "/v1/customers": {"post": op("createCustomer", "Create a customer", "Customer", customer_body, [IDEM], links=customer_links),
                    "get": op("listCustomers", "List customers", "CustomerList", None, list_params("cus_") + CREATED + [{"name": "email", "in": "query", "schema": text(512)}])},
  "/v1/customers/{id}": {"get": op("getCustomer", "Retrieve a customer (a deleted one as {id, object, deleted: true})", "Customer", None, [ID("cus_")]),
                         "post": op("updateCustomer", "Update a customer", "Customer", customer_update, [ID("cus_"), IDEM]),
                         "delete": op("deleteCustomer", "Delete a customer", "Deleted", None, [ID("cus_")])},
  "/v1/customers/{id}/payment_methods": {"post": op("attachPaymentMethod", "Attach a payment method", "PaymentMethod", {"payment_method": id_of("pm_")}, [ID("cus_"), IDEM], required=["payment_method"], links=attached_links),
                                         "get": op("listCustomerPaymentMethods", "List a customer's payment methods", "PaymentMethodList", None, [ID("cus_")] + list_params("pm_"))},
  "/v1/customers/{id}/payment_methods/{payment_method_id}": {"delete": op("detachPaymentMethod", "Detach a payment method", "PaymentMethod", None, [ID("cus_"), {"name": "payment_method_id", "in": "path", "required": True, "schema": id_of("pm_")}])},
  "/v1/events": {"get": op("listEvents", "List events (last 30 days)", "EventList", None, list_params("evt_") + CREATED + [{"name": "type", "in": "query", "schema": {"enum": event_filters}, "description": "A type, or a group such as payment.*"}], links=event_links)},
  "/v1/events/{id}": {"get": op("getEvent", "Retrieve an event with its webhook deliveries", "Event", None, [ID("evt_")])},
  "/v1/webhook_endpoints": {"post": op("createWebhookEndpoint", "Create a webhook endpoint (its secret is shown once)", "WebhookEndpoint", {"url": url, "enabled_events": {"type": "array", "items": {"enum": ["*"] + event_filters}, "minItems": 1, "maxItems": 32}}, [IDEM], required=["url", "enabled_events"], links=webhook_links),
                            "get": op("listWebhookEndpoints", "List webhook endpoints", "WebhookEndpointList", None, list_params("we_"))},
  "/v1/webhook_endpoints/{id}": {"delete": op("deleteWebhookEndpoint", "Delete a webhook endpoint", "Deleted", None, [ID("we_")])},
  "/pay/{payment_id}": {"get": {"operationId": "hostedPage", "summary": "The hosted payment page (HTML)", "security": [], "parameters": [
      {"name": "payment_id", "in": "path", "required": True, "schema": str_}, {"name": "key", "in": "query", "required": True, "schema": str_},
      {"name": "client_secret", "in": "query", "required": True, "schema": str_}],
      "responses": {"200": {"description": "The page", "content": {"text/html": {"schema": str_}}}, "404": {"description": "Not a valid link", "content": {"text/html": {"schema": str_}}}}}},
  "/pay/paynectra.js": {"get": {"operationId": "paynectraJs", "summary": "paynectra.js", "security": [], "responses": {"200": {"description": "The script", "content": {"application/javascript": {"schema": str_}}}}}},
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
