//! Property tests of the request parsers and the domain validation: no
//! input, however hostile, makes them panic, and what they accept is valid.

use std::collections::BTreeMap;

use paynectra::{
    domain::{Amount, CardInput, Currency, CustomerUpdate, NewCustomer, NewPayment, NewRefund},
    http::{
        body::parse_bytes,
        wire::{
            CreateCustomerRequest, CreatePaymentMethodRequest, CreatePaymentRequest, CreateRefundRequest,
            ListPaymentsRequest, UpdateCustomerRequest,
        },
        QueryParams,
    },
};
use proptest::prelude::*;

/// JSON-ish bytes: sometimes valid objects with plausible keys, sometimes
/// garbage.
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    let key = prop_oneof![
        Just("amount".to_string()),
        Just("currency".to_string()),
        Just("customer_id".to_string()),
        Just("metadata".to_string()),
        Just("address".to_string()),
        Just("email".to_string()),
        Just("card".to_string()),
        Just("payment_id".to_string()),
        "[a-z_]{1,12}",
    ];
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        ".{0,40}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("null".to_string()),
        Just("{}".to_string()),
        Just("[]".to_string()),
        Just(r#"{"country": "us", "number": "4242424242424242"}"#.to_string()),
        Just("1e400".to_string()),
        Just("99999999999999999999999".to_string()),
    ];
    let object = prop::collection::vec((key, value), 0..6).prop_map(|pairs| {
        let inner: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}: {v}", serde_json::to_string(k).unwrap()))
            .collect();
        format!("{{{}}}", inner.join(", ")).into_bytes()
    });
    prop_oneof![object, prop::collection::vec(any::<u8>(), 0..64)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn payment_bodies_never_panic_and_accepted_amounts_are_in_range(body in bodies()) {
        if let Ok(dto) = parse_bytes::<CreatePaymentRequest>(&body) {
            if let Ok(p) = NewPayment::try_from(dto) {
                prop_assert!(p.amount.get() >= p.currency.minimum_amount());
                prop_assert!(p.amount.get() <= Amount::MAX);
            }
        }
    }

    #[test]
    fn customer_bodies_never_panic(body in bodies()) {
        if let Ok(dto) = parse_bytes::<CreateCustomerRequest>(&body) {
            let _ = NewCustomer::try_from(dto);
        }
        if let Ok(dto) = parse_bytes::<UpdateCustomerRequest>(&body) {
            let _ = CustomerUpdate::try_from(dto);
        }
    }

    #[test]
    fn refund_and_card_bodies_never_panic(body in bodies()) {
        if let Ok(dto) = parse_bytes::<CreateRefundRequest>(&body) {
            if let Ok(r) = NewRefund::try_from(dto) {
                prop_assert!(r.amount.is_none_or(|a| a.get() > 0));
            }
        }
        if let Ok(dto) = parse_bytes::<CreatePaymentMethodRequest>(&body) {
            if let Ok(card) = CardInput::try_from(dto) {
                let _ = card.validate(b"key", 1_795_521_600);
            }
        }
    }

    #[test]
    fn list_queries_never_panic(pairs in prop::collection::vec(("[a-z_\\[\\]]{1,14}", ".{0,30}"), 0..8)) {
        let q = QueryParams::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if let Ok(list) = ListPaymentsRequest::try_from(q) {
            prop_assert!((1..=100).contains(&list.window.limit));
        }
    }

    #[test]
    fn cards_with_any_text_never_panic(number in ".{0,30}", month in any::<i64>(), year in any::<i64>(), cvc in ".{0,6}") {
        let card = CardInput { number, exp_month: month, exp_year: year, cvc };
        if let Ok(v) = card.validate(b"key", 1_795_521_600) {
            prop_assert_eq!(v.card.last4.len(), 4);
            prop_assert!((1..=12).contains(&v.card.exp_month));
        }
    }

    #[test]
    fn amounts_are_accepted_exactly_within_bounds(value in any::<i64>(), code in prop::sample::select(Currency::supported_codes().collect::<Vec<_>>())) {
        let currency = Currency::from_code(code).unwrap();
        let ok = Amount::for_charge("amount", value, currency).is_ok();
        prop_assert_eq!(ok, value >= currency.minimum_amount() && value <= Amount::MAX);
    }

    #[test]
    fn metadata_limits_hold_for_whatever_is_accepted(map in prop::collection::btree_map(".{0,45}", ".{0,510}", 0..55)) {
        if let Ok(m) = paynectra::domain::Metadata::parse("metadata", map.clone()) {
            let m: &BTreeMap<String, String> = m.as_map();
            prop_assert!(m.len() <= 50);
            prop_assert!(m.iter().all(|(k, v)| k.chars().count() <= 40 && v.chars().count() <= 500 && !v.is_empty()));
        }
    }
}
