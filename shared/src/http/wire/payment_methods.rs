//! Payment methods on the wire: tokenising a card, attaching one, the
//! payment method object.

use serde::{Deserialize, Serialize};

use crate::{
    domain::{Brand, CardInput, CustomerId, PaymentMethod, PaymentMethodId, ValidationError},
    http::body::JsonInt,
};

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
pub(super) fn payment_method_param<T: TryFrom<String>>(raw: Option<String>) -> Result<T, ValidationError> {
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
