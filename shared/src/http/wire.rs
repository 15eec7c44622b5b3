//! Wire DTOs: what the API accepts and returns. Requests turn into domain
//! types through `TryFrom`, which names the offending parameter; objects are
//! built from domain types explicitly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{body::JsonInt, QueryParams};
use crate::domain::{
    customer::parse_name, payment::parse_description, Address, Amount, Brand, CancellationReason, CaptureMethod,
    CardInput, Country, CreatedRange, Currency, Customer, CustomerId, CustomerUpdate, Email, EnabledEvents, Event,
    EventId, EventRequest, EventTypeFilter, ListWindow, Metadata, NewCustomer, NewPayment, NewRefund, Patch, Payment,
    PaymentError, PaymentFilter, PaymentId, PaymentMethod, PaymentMethodId, PaymentMethodRef, PaymentStatus, Phone,
    Refund, RefundId, RefundReason, RefundStatus, ReturnUrl, ValidationError, WebhookEndpoint,
};

/// `POST /v1/payments`.
#[derive(Debug, Deserialize)]
pub struct CreatePaymentRequest {
    pub amount: Option<JsonInt>,
    pub currency: Option<String>,
    pub customer_id: Option<String>,
    pub description: Option<String>,
    pub capture_method: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub return_url: Option<String>,
}

impl TryFrom<CreatePaymentRequest> for NewPayment {
    type Error = ValidationError;

    fn try_from(r: CreatePaymentRequest) -> Result<Self, ValidationError> {
        let amount = r.amount.ok_or_else(|| ValidationError::missing("amount"))?;
        let currency = Currency::parse(
            "currency",
            &r.currency.ok_or_else(|| ValidationError::missing("currency"))?,
        )?;
        let amount = Amount::for_charge("amount", amount.0, currency)?;
        let customer_id = r
            .customer_id
            .map(|c| {
                c.parse::<CustomerId>().map_err(|_| {
                    ValidationError::new("customer_id", "resource_missing", format!("No such customer: '{c}'"))
                })
            })
            .transpose()?;
        Ok(NewPayment {
            amount,
            currency,
            customer_id,
            description: r.description.map(|d| parse_description("description", d)).transpose()?,
            capture_method: r
                .capture_method
                .map(|m| CaptureMethod::parse("capture_method", &m))
                .transpose()?
                .unwrap_or_default(),
            metadata: Metadata::parse("metadata", r.metadata.unwrap_or_default())?,
            return_url: r.return_url.map(|u| ReturnUrl::parse("return_url", u)).transpose()?,
        })
    }
}

/// The payment object.
#[derive(Debug, Serialize)]
pub struct PaymentObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub amount: i64,
    pub currency: &'static str,
    pub status: &'static str,
    pub customer_id: Option<&'a str>,
    pub description: Option<&'a str>,
    pub capture_method: CaptureMethod,
    pub amount_refunded: i64,
    /// True once the whole captured amount has been refunded.
    pub refunded: bool,
    pub payment_method: Option<&'a str>,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub capture_before: Option<i64>,
    pub cancellation_reason: Option<CancellationReason>,
    pub last_payment_error: Option<&'a PaymentError>,
    pub metadata: &'a BTreeMap<String, String>,
    pub return_url: Option<&'a str>,
    /// Only on create, retrieve and transitions; never in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    pub created: i64,
    pub livemode: bool,
}

/// What a browser holding a publishable key and the client secret may see
/// of a payment: no metadata, description, customer or return URL.
#[derive(Debug, Serialize)]
pub struct PublicPaymentObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub amount: i64,
    pub currency: &'static str,
    pub status: &'static str,
    pub capture_method: CaptureMethod,
    pub payment_method: Option<&'a str>,
    pub last_payment_error: Option<&'a PaymentError>,
    pub client_secret: &'a str,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a Payment> for PublicPaymentObject<'a> {
    fn from(p: &'a Payment) -> Self {
        Self {
            id: p.id.as_str(),
            object: "payment",
            amount: p.amount.get(),
            currency: p.currency.code(),
            status: p.status.as_str(),
            capture_method: p.capture_method,
            payment_method: p.payment_method.as_ref().map(PaymentMethodId::as_str),
            last_payment_error: p.last_payment_error.as_ref(),
            client_secret: &p.client_secret,
            created: p.created,
            livemode: p.mode.livemode(),
        }
    }
}

impl<'a> PaymentObject<'a> {
    /// The payment with its `client_secret` (for the one who created it).
    pub fn with_secret(p: &'a Payment) -> Self {
        Self {
            client_secret: Some(&p.client_secret),
            ..Self::from(p)
        }
    }
}

impl<'a> From<&'a Payment> for PaymentObject<'a> {
    fn from(p: &'a Payment) -> Self {
        Self {
            id: p.id.as_str(),
            object: "payment",
            amount: p.amount.get(),
            currency: p.currency.code(),
            status: p.status.as_str(),
            customer_id: p.customer_id.as_ref().map(CustomerId::as_str),
            description: p.description.as_deref(),
            capture_method: p.capture_method,
            amount_refunded: p.amount_refunded,
            refunded: p.refunded(),
            payment_method: p.payment_method.as_ref().map(PaymentMethodId::as_str),
            amount_capturable: p.amount_capturable,
            amount_received: p.amount_received,
            capture_before: p.capture_before,
            cancellation_reason: p.cancellation_reason,
            last_payment_error: p.last_payment_error.as_ref(),
            metadata: p.metadata.as_map(),
            return_url: p.return_url.as_ref().map(ReturnUrl::as_str),
            client_secret: None,
            created: p.created,
            livemode: p.mode.livemode(),
        }
    }
}

/// `GET /v1/payments`: filters and the list window.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPaymentsRequest {
    pub filter: PaymentFilter,
    pub window: ListWindow<PaymentId>,
}

impl TryFrom<QueryParams> for ListPaymentsRequest {
    type Error = ValidationError;

    fn try_from(mut q: QueryParams) -> Result<Self, ValidationError> {
        let window = take_window(&mut q)?;
        let filter = PaymentFilter {
            customer: q.take_id("customer")?,
            status: q
                .take("status")
                .map(|s| PaymentStatus::parse("status", &s))
                .transpose()?,
            created: take_created(&mut q)?,
        };
        q.finish()?;
        Ok(Self { filter, window })
    }
}

/// A page of a list: `{"object": "list", "url", "has_more", "data"}`.
#[derive(Debug, Serialize)]
pub struct ListObject<T> {
    pub object: &'static str,
    pub url: &'static str,
    pub has_more: bool,
    pub data: Vec<T>,
}

impl<T> ListObject<T> {
    pub fn new(url: &'static str, has_more: bool, data: Vec<T>) -> Self {
        Self {
            object: "list",
            url,
            has_more,
            data,
        }
    }
}

/// `GET /v1/events`: optionally of one type (`payment.succeeded`) or group
/// (`payment.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListEventsRequest {
    pub kind: Option<EventTypeFilter>,
    pub created: CreatedRange,
    pub window: ListWindow<EventId>,
}

impl TryFrom<QueryParams> for ListEventsRequest {
    type Error = ValidationError;

    fn try_from(mut q: QueryParams) -> Result<Self, ValidationError> {
        let window = take_window(&mut q)?;
        let kind = q.take("type").map(|t| EventTypeFilter::parse("type", &t)).transpose()?;
        let created = take_created(&mut q)?;
        q.finish()?;
        Ok(Self { kind, created, window })
    }
}

/// The event object.
#[derive(Debug, Serialize)]
pub struct EventObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub created: i64,
    pub livemode: bool,
    pub data: EventData,
    pub request: &'a EventRequest,
    /// Webhook deliveries not finished yet.
    pub pending_webhooks: u32,
}

/// An event with its webhook deliveries (`GET /v1/events/{id}`).
#[derive(Debug, Serialize)]
pub struct EventWithDeliveries<'a> {
    #[serde(flatten)]
    pub event: EventObject<'a>,
    pub deliveries: Vec<DeliveryObject<'a>>,
}

/// One endpoint's delivery of an event, with every attempt.
#[derive(Debug, Serialize)]
pub struct DeliveryObject<'a> {
    pub webhook_endpoint: &'a str,
    pub url: &'a str,
    pub status: crate::store::DeliveryStatus,
    pub attempts: &'a [crate::store::Attempt],
    pub next_attempt_at: Option<i64>,
}

impl<'a> From<&'a crate::store::Delivery> for DeliveryObject<'a> {
    fn from(d: &'a crate::store::Delivery) -> Self {
        Self {
            webhook_endpoint: d.endpoint_id.as_str(),
            url: &d.url,
            status: d.status,
            attempts: &d.attempts,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EventData {
    pub object: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_attributes: Option<serde_json::Value>,
}

impl<'a> From<&'a Event> for EventObject<'a> {
    fn from(e: &'a Event) -> Self {
        let parse = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
        Self {
            id: e.id.as_str(),
            object: "event",
            kind: e.kind.as_str(),
            created: e.created,
            livemode: e.mode.livemode(),
            data: EventData {
                object: parse(&e.object_json),
                previous_attributes: e.previous_attributes_json.as_deref().map(parse),
            },
            request: &e.request,
            pending_webhooks: e.pending_webhooks.max(0) as u32,
        }
    }
}

/// `POST /v1/webhook_endpoints`.
#[derive(Debug, Deserialize)]
pub struct CreateWebhookEndpointRequest {
    pub url: Option<String>,
    pub enabled_events: Option<Vec<String>>,
}

/// A validated endpoint request.
pub struct NewWebhookEndpoint {
    pub url: ReturnUrl,
    pub enabled_events: EnabledEvents,
}

impl TryFrom<CreateWebhookEndpointRequest> for NewWebhookEndpoint {
    type Error = ValidationError;

    fn try_from(r: CreateWebhookEndpointRequest) -> Result<Self, ValidationError> {
        Ok(Self {
            url: ReturnUrl::parse("url", r.url.ok_or_else(|| ValidationError::missing("url"))?)?,
            enabled_events: EnabledEvents::parse(
                "enabled_events",
                r.enabled_events
                    .ok_or_else(|| ValidationError::missing("enabled_events"))?,
            )?,
        })
    }
}

/// The webhook endpoint object. `secret` only in the create response.
#[derive(Debug, Serialize)]
pub struct WebhookEndpointObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub url: &'a str,
    pub enabled_events: &'a [String],
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'a str>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a WebhookEndpoint> for WebhookEndpointObject<'a> {
    fn from(e: &'a WebhookEndpoint) -> Self {
        Self {
            id: e.id.as_str(),
            object: "webhook_endpoint",
            url: &e.url,
            enabled_events: &e.enabled_events,
            status: "enabled",
            secret: None,
            created: e.created,
            livemode: e.mode.livemode(),
        }
    }
}

/// A card as the API accepts it. No `Debug`: a card number must never reach
/// a log line.
#[derive(Deserialize)]
pub struct CardRequest {
    pub number: Option<String>,
    pub exp_month: Option<JsonInt>,
    pub exp_year: Option<JsonInt>,
    pub cvc: Option<String>,
}

/// `POST /v1/payment_methods`.
#[derive(Deserialize)]
pub struct CreatePaymentMethodRequest {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub card: Option<CardRequest>,
}

impl TryFrom<CreatePaymentMethodRequest> for CardInput {
    type Error = ValidationError;

    fn try_from(r: CreatePaymentMethodRequest) -> Result<Self, ValidationError> {
        if let Some(kind) = r.kind.filter(|k| k != "card") {
            return Err(ValidationError::invalid(
                "type",
                format!("Invalid type: '{kind}'. The only payment method type is card."),
            ));
        }
        let card = r.card.ok_or_else(|| ValidationError::missing("card"))?;
        let missing = |name: &str| ValidationError::missing(name).nested_in("card");
        Ok(CardInput {
            number: card.number.ok_or_else(|| missing("number"))?,
            exp_month: card.exp_month.ok_or_else(|| missing("exp_month"))?.0,
            exp_year: card.exp_year.ok_or_else(|| missing("exp_year"))?.0,
            cvc: card.cvc.ok_or_else(|| missing("cvc"))?,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct CardObject<'a> {
    pub brand: Brand,
    pub last4: &'a str,
    pub exp_month: u8,
    pub exp_year: u16,
    pub fingerprint: &'a str,
}

/// The payment method object.
#[derive(Debug, Serialize)]
pub struct PaymentMethodObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub card: CardObject<'a>,
    pub customer: Option<&'a str>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a PaymentMethod> for PaymentMethodObject<'a> {
    fn from(pm: &'a PaymentMethod) -> Self {
        Self {
            id: pm.id.as_str(),
            object: "payment_method",
            kind: "card",
            card: CardObject {
                brand: pm.card.brand,
                last4: &pm.card.last4,
                exp_month: pm.card.exp_month,
                exp_year: pm.card.exp_year,
                fingerprint: &pm.card.fingerprint,
            },
            customer: pm.customer.as_ref().map(CustomerId::as_str),
            created: pm.created,
            livemode: pm.mode.livemode(),
        }
    }
}

/// A body that names one payment method: attach, confirm.
fn payment_method_param<T: TryFrom<String>>(raw: Option<String>) -> Result<T, ValidationError> {
    let raw = raw.ok_or_else(|| ValidationError::missing("payment_method"))?;
    T::try_from(raw.clone()).map_err(|_| {
        ValidationError::new(
            "payment_method",
            "resource_missing",
            format!("No such payment method: '{raw}'"),
        )
    })
}

/// `POST /v1/customers/{id}/payment_methods`.
#[derive(Debug, Deserialize)]
pub struct AttachPaymentMethodRequest {
    pub payment_method: Option<String>,
}

impl TryFrom<AttachPaymentMethodRequest> for PaymentMethodId {
    type Error = ValidationError;

    fn try_from(r: AttachPaymentMethodRequest) -> Result<Self, ValidationError> {
        payment_method_param(r.payment_method)
    }
}

/// `POST /v1/payments/{id}/confirm`.
#[derive(Debug, Deserialize)]
pub struct ConfirmPaymentRequest {
    pub payment_method: Option<String>,
    pub client_secret: Option<String>,
}

/// A validated confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// A stored payment method, or a test card's alias (`pm_card_visa`).
    pub payment_method: PaymentMethodRef,
    pub client_secret: Option<String>,
}

impl TryFrom<ConfirmPaymentRequest> for Confirm {
    type Error = ValidationError;

    fn try_from(r: ConfirmPaymentRequest) -> Result<Self, ValidationError> {
        Ok(Confirm {
            payment_method: payment_method_param(r.payment_method)?,
            client_secret: r.client_secret,
        })
    }
}

/// `POST /v1/payments/{id}/capture`.
#[derive(Debug, Deserialize)]
pub struct CapturePaymentRequest {
    pub amount_to_capture: Option<JsonInt>,
}

impl TryFrom<CapturePaymentRequest> for Option<i64> {
    type Error = ValidationError;

    fn try_from(r: CapturePaymentRequest) -> Result<Self, ValidationError> {
        r.amount_to_capture
            .map(|a| NewRefund::parse_amount("amount_to_capture", a.0))
            .transpose()
    }
}

/// `POST /v1/payments/{id}/cancel`.
#[derive(Debug, Deserialize)]
pub struct CancelPaymentRequest {
    pub cancellation_reason: Option<String>,
}

impl TryFrom<CancelPaymentRequest> for Option<CancellationReason> {
    type Error = ValidationError;

    fn try_from(r: CancelPaymentRequest) -> Result<Self, ValidationError> {
        r.cancellation_reason
            .map(|reason| CancellationReason::parse("cancellation_reason", &reason))
            .transpose()
    }
}

/// `POST /v1/refunds`.
#[derive(Debug, Deserialize)]
pub struct CreateRefundRequest {
    pub payment_id: Option<String>,
    pub amount: Option<JsonInt>,
    pub reason: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
}

impl TryFrom<CreateRefundRequest> for NewRefund {
    type Error = ValidationError;

    fn try_from(r: CreateRefundRequest) -> Result<Self, ValidationError> {
        let raw = r.payment_id.ok_or_else(|| ValidationError::missing("payment_id"))?;
        let payment_id = raw
            .parse::<PaymentId>()
            .map_err(|_| ValidationError::new("payment_id", "resource_missing", format!("No such payment: '{raw}'")))?;
        Ok(NewRefund {
            payment_id,
            amount: r.amount.map(|a| NewRefund::parse_amount("amount", a.0)).transpose()?,
            reason: r.reason.map(|x| RefundReason::parse("reason", &x)).transpose()?,
            metadata: Metadata::parse("metadata", r.metadata.unwrap_or_default())?,
        })
    }
}

/// The refund object.
#[derive(Debug, Serialize)]
pub struct RefundObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub payment_id: &'a str,
    pub amount: i64,
    pub currency: &'static str,
    pub reason: Option<RefundReason>,
    pub status: RefundStatus,
    pub metadata: &'a BTreeMap<String, String>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a Refund> for RefundObject<'a> {
    fn from(r: &'a Refund) -> Self {
        Self {
            id: r.id.as_str(),
            object: "refund",
            payment_id: r.payment_id.as_str(),
            amount: r.amount,
            currency: r.currency.code(),
            reason: r.reason,
            status: r.status,
            metadata: r.metadata.as_map(),
            created: r.created,
            livemode: r.mode.livemode(),
        }
    }
}

/// The `created[gt|gte|lt|lte]` parameters every list takes.
fn take_created(q: &mut QueryParams) -> Result<CreatedRange, ValidationError> {
    CreatedRange::new(
        q.take_int("created[gt]")?,
        q.take_int("created[gte]")?,
        q.take_int("created[lt]")?,
        q.take_int("created[lte]")?,
    )
}

/// The `limit`, `starting_after` and `ending_before` parameters every list
/// takes.
pub fn take_window<Id: crate::domain::PrefixedId>(q: &mut QueryParams) -> Result<ListWindow<Id>, ValidationError> {
    ListWindow::new(
        q.take_int("limit")?,
        q.take_id("starting_after")?,
        q.take_id("ending_before")?,
    )
}

/// `GET /v1/refunds`: optionally one payment's refunds.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRefundsRequest {
    pub payment_id: Option<PaymentId>,
    pub created: CreatedRange,
    pub window: ListWindow<RefundId>,
}

impl TryFrom<QueryParams> for ListRefundsRequest {
    type Error = ValidationError;

    fn try_from(mut q: QueryParams) -> Result<Self, ValidationError> {
        let window = take_window(&mut q)?;
        let payment_id = q.take_id("payment_id")?;
        let created = take_created(&mut q)?;
        q.finish()?;
        Ok(Self {
            payment_id,
            created,
            window,
        })
    }
}

/// `GET /v1/customers`: optionally those with one email.
#[derive(Debug, Clone, PartialEq)]
pub struct ListCustomersRequest {
    pub email: Option<String>,
    pub created: CreatedRange,
    pub window: ListWindow<CustomerId>,
}

impl TryFrom<QueryParams> for ListCustomersRequest {
    type Error = ValidationError;

    fn try_from(mut q: QueryParams) -> Result<Self, ValidationError> {
        let window = take_window(&mut q)?;
        let email = q
            .take("email")
            .map(|e| crate::domain::customer::bounded_email_filter("email", e))
            .transpose()?;
        let created = take_created(&mut q)?;
        q.finish()?;
        Ok(Self { email, created, window })
    }
}

/// A customer's `address` in an update: an object replaces it, `""` clears
/// it.
/// `address` on update: an object to set, or an empty string to clear.
#[derive(Debug)]
pub enum AddressPatch {
    Clear(String),
    Set(AddressRequest),
}

// By hand rather than `#[serde(untagged)]`: an untagged enum buffers its
// input, so an unknown key inside the object (`address[county]`) never
// reached the unknown-parameter check and was silently dropped. Handing the
// map straight to `AddressRequest` keeps the check (and the parameter path).
impl<'de> Deserialize<'de> for AddressPatch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AddressPatch;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an address object, or an empty string to clear it")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AddressPatch, E> {
                Ok(AddressPatch::Clear(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<AddressPatch, A::Error> {
                AddressRequest::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(AddressPatch::Set)
            }
        }
        d.deserialize_any(V)
    }
}

/// `POST /v1/customers/{id}`: the fields of create; `""` clears a field, and
/// metadata merges key by key (`""` removes a key).
#[derive(Debug, Deserialize)]
pub struct UpdateCustomerRequest {
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<AddressPatch>,
    pub metadata: Option<BTreeMap<String, String>>,
}

fn patch<T>(
    v: Option<String>,
    parse: impl FnOnce(String) -> Result<T, ValidationError>,
) -> Result<Patch<T>, ValidationError> {
    match v {
        None => Ok(Patch::Keep),
        Some(s) if s.is_empty() => Ok(Patch::Clear),
        Some(s) => parse(s).map(Patch::Set),
    }
}

impl TryFrom<UpdateCustomerRequest> for CustomerUpdate {
    type Error = ValidationError;

    fn try_from(r: UpdateCustomerRequest) -> Result<Self, ValidationError> {
        let address = match r.address {
            None => Patch::Keep,
            Some(AddressPatch::Clear(s)) if s.is_empty() => Patch::Clear,
            Some(AddressPatch::Clear(_)) => {
                return Err(ValidationError::invalid(
                    "address",
                    "Invalid address: send an object, or an empty string to clear it.",
                ))
            }
            Some(AddressPatch::Set(a)) => {
                let a = Address::try_from(a).map_err(|e| e.nested_in("address"))?;
                if a.is_empty() {
                    Patch::Clear
                } else {
                    Patch::Set(a)
                }
            }
        };
        let mut metadata = BTreeMap::new();
        for (k, v) in r.metadata.unwrap_or_default() {
            Metadata::check_key("metadata", &k)?;
            metadata.insert(k, (!v.is_empty()).then_some(v));
        }
        Ok(CustomerUpdate {
            email: patch(r.email, |e| Email::parse("email", e))?,
            name: patch(r.name, |n| parse_name("name", n))?,
            phone: patch(r.phone, |p| Phone::parse("phone", p))?,
            address,
            metadata,
        })
    }
}

/// What a deleted customer looks like: `{"id", "object": "customer",
/// "deleted": true}`.
#[derive(Debug, Serialize)]
pub struct DeletedObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub deleted: bool,
}

/// An address as the API accepts it.
#[derive(Debug, Deserialize)]
pub struct AddressRequest {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

impl TryFrom<AddressRequest> for Address {
    type Error = ValidationError;

    fn try_from(r: AddressRequest) -> Result<Self, ValidationError> {
        let field = |name: &str, v: Option<String>| v.map(|v| Address::address_field(name, v)).transpose();
        Ok(Address {
            line1: field("line1", r.line1)?,
            line2: field("line2", r.line2)?,
            city: field("city", r.city)?,
            state: field("state", r.state)?,
            postal_code: field("postal_code", r.postal_code)?,
            country: r.country.map(|c| Country::parse("country", &c)).transpose()?,
        })
    }
}

/// `POST /v1/customers`.
#[derive(Debug, Deserialize)]
pub struct CreateCustomerRequest {
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<AddressRequest>,
    pub metadata: Option<BTreeMap<String, String>>,
}

impl TryFrom<CreateCustomerRequest> for NewCustomer {
    type Error = ValidationError;

    fn try_from(r: CreateCustomerRequest) -> Result<Self, ValidationError> {
        let address = r
            .address
            .map(|a| Address::try_from(a).map_err(|e| e.nested_in("address")))
            .transpose()?
            .filter(|a| !a.is_empty());
        Ok(NewCustomer {
            email: r.email.map(|e| Email::parse("email", e)).transpose()?,
            name: r.name.map(|n| parse_name("name", n)).transpose()?,
            phone: r.phone.map(|p| Phone::parse("phone", p)).transpose()?,
            address,
            metadata: Metadata::parse("metadata", r.metadata.unwrap_or_default())?,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct AddressObject<'a> {
    pub line1: Option<&'a str>,
    pub line2: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
}

/// The customer object.
#[derive(Debug, Serialize)]
pub struct CustomerObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub address: Option<AddressObject<'a>>,
    pub metadata: &'a BTreeMap<String, String>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a Customer> for CustomerObject<'a> {
    fn from(c: &'a Customer) -> Self {
        Self {
            id: c.id.as_str(),
            object: "customer",
            email: c.email.as_ref().map(Email::as_str),
            name: c.name.as_deref(),
            phone: c.phone.as_ref().map(Phone::as_str),
            address: c.address.as_ref().map(|a| AddressObject {
                line1: a.line1.as_deref(),
                line2: a.line2.as_deref(),
                city: a.city.as_deref(),
                state: a.state.as_deref(),
                postal_code: a.postal_code.as_deref(),
                country: a.country.as_ref().map(Country::as_str),
            }),
            metadata: c.metadata.as_map(),
            created: c.created,
            livemode: c.mode.livemode(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::Mode, http::body::parse_bytes};

    fn new_payment(body: &str) -> Result<NewPayment, ValidationError> {
        NewPayment::try_from(parse_bytes::<CreatePaymentRequest>(body.as_bytes()).unwrap())
    }

    #[test]
    fn payment_requests() {
        let p = new_payment(r#"{"amount": 4999, "currency": "usd", "capture_method": "manual", "metadata": {"order_id": "6735"}, "return_url": "https://shop.example/done"}"#).unwrap();
        assert_eq!(p.amount.get(), 4999);
        assert_eq!(p.capture_method, CaptureMethod::Manual);
        assert_eq!(new_payment(r#"{"currency": "usd"}"#).unwrap_err().param, "amount");
        assert_eq!(new_payment(r#"{"amount": 100}"#).unwrap_err().param, "currency");
        assert_eq!(
            new_payment(r#"{"amount": 100, "currency": "usd", "customer_id": "pay_1"}"#)
                .unwrap_err()
                .param,
            "customer_id"
        );
        assert_eq!(
            new_payment(r#"{"amount": 100, "currency": "usd", "description": ""}"#)
                .unwrap_err()
                .param,
            "description"
        );
        assert_eq!(
            new_payment(r#"{"amount": 100, "currency": "usd", "return_url": "http://x.example"}"#)
                .unwrap_err()
                .param,
            "return_url"
        );
    }

    #[test]
    fn payment_object_shape() {
        let p = Payment::create(
            new_payment(r#"{"amount": 4999, "currency": "usd"}"#).unwrap(),
            Mode::Test,
            1_700_000_000,
        );
        let v = serde_json::to_value(PaymentObject::from(&p)).unwrap();
        assert_eq!(v["object"], "payment");
        assert_eq!(v["status"], "pending");
        assert_eq!(v["capture_method"], "automatic");
        assert_eq!(v["livemode"], false);
        assert_eq!(v["amount_refunded"], 0);
        assert!(v["customer_id"].is_null());
        assert_eq!(v["metadata"], serde_json::json!({}));
    }

    #[test]
    fn list_requests() {
        let parse =
            |pairs: &[(&str, &str)]| ListPaymentsRequest::try_from(QueryParams::from_pairs(pairs.iter().copied()));
        let r = parse(&[
            ("limit", "3"),
            ("status", "succeeded"),
            ("customer", "cus_1"),
            ("created[gte]", "10"),
        ])
        .unwrap();
        assert_eq!(r.window.limit, 3);
        assert_eq!(r.filter.status, Some(PaymentStatus::Succeeded));
        assert_eq!(r.filter.created.gte, Some(10));
        assert_eq!(parse(&[("status", "done")]).unwrap_err().param, "status");
        assert_eq!(parse(&[("customer", "pay_1")]).unwrap_err().param, "customer");
        assert_eq!(
            parse(&[("starting_after", "cus_1")]).unwrap_err().param,
            "starting_after"
        );
        assert_eq!(parse(&[("limit", "1.5")]).unwrap_err().param, "limit");
        assert_eq!(parse(&[("created", "5")]).unwrap_err().code, "parameter_unknown");
        assert_eq!(parse(&[]).unwrap().window.limit, 20);
    }

    #[test]
    fn customer_requests() {
        let parse = |b: &str| NewCustomer::try_from(parse_bytes::<CreateCustomerRequest>(b.as_bytes()).unwrap());
        let c = parse(r#"{"email": "jenny@example.com", "address": {"country": "gb", "city": "London"}}"#).unwrap();
        assert_eq!(c.address.unwrap().country.unwrap().as_str(), "GB");
        assert_eq!(
            parse(r#"{"address": {"country": "XX"}}"#).unwrap_err().param,
            "address[country]"
        );
        assert_eq!(parse(r#"{"phone": "555"}"#).unwrap_err().param, "phone");
        assert_eq!(parse(r#"{"email": "nope"}"#).unwrap_err().code, "email_invalid");
        assert!(parse(r#"{"address": {}}"#).unwrap().address.is_none());
        assert_eq!(parse("{}").unwrap(), NewCustomer::default());
    }
    #[test]
    fn address_updates_name_unknown_keys() {
        let e = parse_bytes::<UpdateCustomerRequest>(br#"{"address": {"city": "x", "county": "y"}}"#).unwrap_err();
        assert_eq!(e.code.as_deref(), Some("parameter_unknown"));
        assert_eq!(e.param.as_deref(), Some("address[county]"));
        let r = parse_bytes::<UpdateCustomerRequest>(br#"{"address": ""}"#).unwrap();
        assert!(matches!(r.address, Some(AddressPatch::Clear(ref s)) if s.is_empty()));
        let r = parse_bytes::<UpdateCustomerRequest>(br#"{"address": {"city": "Paris"}}"#).unwrap();
        assert!(matches!(r.address, Some(AddressPatch::Set(ref a)) if a.city.as_deref() == Some("Paris")));
        let r = parse_bytes::<UpdateCustomerRequest>(br#"{"address": null}"#).unwrap();
        assert!(r.address.is_none());
        let e = parse_bytes::<UpdateCustomerRequest>(br#"{"address": 5}"#).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("address"));
        let e = parse_bytes::<UpdateCustomerRequest>(br#"{"metadata": {"a[b]": ""}}"#)
            .map_err(|e| e.param)
            .and_then(|r| CustomerUpdate::try_from(r).map_err(|e| Some(e.param)))
            .unwrap_err();
        assert_eq!(e.as_deref(), Some("metadata"));
    }
}
