//! Helpers the modules share.

use paynectra_tests::Reply;

pub fn id(r: &Reply) -> String {
    r.body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {}", r.text))
        .to_owned()
}

#[track_caller]
pub fn assert_request_id(r: &Reply) {
    let v = r.headers.get("request-id").expect("every response carries Request-Id");
    assert!(!v.to_str().unwrap().is_empty());
}
