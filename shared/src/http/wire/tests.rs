//! The wire DTOs of every resource, parsed as the API parses them.

use super::*;
use crate::{
    domain::*,
    http::{body::parse_bytes, QueryParams},
};

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
    let parse = |pairs: &[(&str, &str)]| ListPaymentsRequest::try_from(QueryParams::from_pairs(pairs.iter().copied()));
    let r = parse(&[
        ("limit", "3"),
        ("status", "succeeded"),
        ("customer", "cus_1"),
        ("created[gte]", "10"),
    ])
    .unwrap();
    assert_eq!(r.window.limit, 3);
    assert_eq!(r.filter.status, Some(PaymentStatus::Succeeded));
    assert_eq!(r.created.gte, Some(10));
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
