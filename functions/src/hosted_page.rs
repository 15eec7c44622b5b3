//! GET /pay/{payment_id}?key=pk_...&client_secret=... : the hosted payment
//! page, and GET /pay/paynectra.js beside it; and GET /receipts/{token}, a
//! payment's hosted receipt page ([`receipt`]).
//!
//! The page needs the payment's client secret (one customer cannot open
//! another's page) and the merchant's publishable key (the page's script
//! uses it to tokenise the card and confirm). Any failure shows the same
//! "not valid" page: a wrong secret learns nothing.

use lambda_http::{
    http::{header, HeaderValue, StatusCode},
    Body, Error, Request, RequestExt, Response,
};
use paynectra::{
    domain::{Payment, PaymentId, PaymentStatus},
    http::{auth::publishable_key, REQUEST_ID_HEADER},
    service::payments::{client_secret_matches, load_payment},
    service::App,
};

mod receipt;

pub const SCRIPT: &str = include_str!("hosted_page/paynectra.js");

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// `$49.99`, `¥500`, `€15.00`: the amount in the currency's format.
pub fn display_amount(p: &Payment) -> String {
    p.currency.display(p.amount.get())
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f4f5f7; color: #1a1f36; }}
  main {{ max-width: 26rem; margin: 2rem auto; background: #fff; padding: 1.5rem; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
  h1 {{ font-size: 1.1rem; margin: 0 0 .25rem; }}
  .amount {{ font-size: 2rem; font-weight: 600; margin: .25rem 0 1.25rem; }}
  label {{ display: block; font-size: .9rem; margin: .75rem 0 .25rem; }}
  input {{ width: 100%; box-sizing: border-box; font-size: 1rem; padding: .6rem; border: 1px solid #aab; border-radius: 6px; }}
  input:focus {{ outline: 3px solid #9cb8ff; border-color: #3a5bd9; }}
  .row {{ display: flex; gap: .75rem; }} .row > div {{ flex: 1; }}
  button {{ margin-top: 1.25rem; width: 100%; font-size: 1rem; padding: .75rem; border: 0; border-radius: 6px; background: #3a5bd9; color: #fff; cursor: pointer; }}
  button:disabled {{ background: #8a9bd9; cursor: wait; }}
  .status {{ min-height: 1.5rem; margin-top: 1rem; }} .error {{ color: #b00020; }}
  h2 {{ font-size: 1rem; margin: 1.25rem 0 .5rem; }}
  dl.receipt {{ margin: 0; }} dl.receipt div {{ display: flex; justify-content: space-between; gap: 1rem; padding: .4rem 0; border-bottom: 1px solid #e3e6ee; }}
  dt {{ color: #4f566b; }} dd {{ margin: 0; text-align: right; }}
  ul.refunds {{ padding-left: 1.2rem; margin: 0; }} .fine {{ font-size: .85rem; color: #4f566b; margin-top: 1.25rem; }}
  .badge {{ display: inline-block; font-size: .8rem; background: #fff4d6; color: #6b4a00; padding: .2rem .5rem; border-radius: 4px; margin: 0 0 1rem; }}
  @media (max-width: 30rem) {{ main {{ margin: 0; border-radius: 0; min-height: 100vh; }} }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"#
    )
}

fn html(status: StatusCode, body: String, request_id: &str) -> Response<Body> {
    let mut res = Response::new(Body::Text(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    // The URL carries the publishable key and the client secret: no page
    // this one links to learns it, and no response is sniffed into another type.
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID_HEADER, v);
    }
    res
}

fn not_valid(request_id: &str) -> Response<Body> {
    html(
        StatusCode::NOT_FOUND,
        page(
            "Payment link not valid",
            "<h1>This payment link is not valid</h1><p>Ask the merchant for a new link.</p>",
        ),
        request_id,
    )
}

fn something_went_wrong(request_id: &str) -> Response<Body> {
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        page(
            "Something went wrong",
            "<h1>Something went wrong</h1><p>Please try again in a moment.</p>",
        ),
        request_id,
    )
}

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let path = req.raw_http_path().to_owned();
    let path = if path.is_empty() {
        req.uri().path().to_owned()
    } else {
        path
    };
    if path.ends_with("/pay/paynectra.js") {
        let mut res = Response::new(Body::Text(SCRIPT.to_owned()));
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/javascript; charset=utf-8"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        return Ok(res);
    }
    let params = req.path_parameters();
    if let Some(token) = params.first("token") {
        return Ok(receipt::receipt_page(app, token, &request_id).await);
    }
    let query = req.query_string_parameters();
    let (Some(id), Some(key), Some(secret)) = (
        params.first("payment_id").and_then(|id| id.parse::<PaymentId>().ok()),
        query.first("key"),
        query.first("client_secret"),
    ) else {
        return Ok(not_valid(&request_id));
    };
    let api_key = match publishable_key(&app.store, Some(key)).await {
        Ok(Some(k)) => k,
        Ok(None) => return Ok(not_valid(&request_id)),
        Err(e) => {
            tracing::error!(error = %e, "hosted page: key lookup failed");
            return Ok(something_went_wrong(&request_id));
        }
    };
    let payment = match load_payment(app, &api_key.tenant(), &id, app.clock.now()).await {
        Ok(p) if client_secret_matches(&p, secret) => p,
        Err(e) if e.status.is_server_error() => return Ok(something_went_wrong(&request_id)),
        _ => return Ok(not_valid(&request_id)),
    };
    let merchant = escape(payment.description.as_deref().unwrap_or("Payment"));
    let badge = if payment.mode.livemode() {
        ""
    } else {
        r#"<p class="badge">Test mode: pay with a test card such as 4242 4242 4242 4242.</p>"#
    };
    let amount = escape(&display_amount(&payment));
    let body = match payment.status {
        PaymentStatus::Pending | PaymentStatus::Failed => format!(
            r#"{badge}<h1>{merchant}</h1>
<p class="amount" aria-label="Amount to pay">{amount}</p>
<form id="payment-form" novalidate method="post" action="about:blank"
  data-payment-id="{id}" data-client-secret="{secret}" data-publishable-key="{key}" data-return-url="{return_url}">
  <label for="number">Card number</label>
  <input id="number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required>
  <div class="row">
    <div><label for="expiry">Expiry (MM/YY)</label>
    <input id="expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="12/34" required></div>
    <div><label for="cvc">CVC</label>
    <input id="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123" required></div>
  </div>
  <button id="pay" type="submit" disabled>Pay {amount}</button>
</form>
<p id="status" class="status" role="status" aria-live="polite"></p>
<script src="paynectra.js"></script>"#,
            id = escape(id.as_str()),
            secret = escape(secret),
            key = escape(key),
            return_url = escape(payment.return_url.as_ref().map(|u| u.as_str()).unwrap_or("")),
        ),
        PaymentStatus::Succeeded | PaymentStatus::RequiresCapture => {
            format!(
                "<h1>{merchant}</h1><p class=\"amount\">{amount}</p><p role=\"status\">This payment is complete.</p>"
            )
        }
        PaymentStatus::Cancelled => {
            format!(
                "<h1>{merchant}</h1><p class=\"amount\">{amount}</p><p role=\"status\">This payment was cancelled.</p>"
            )
        }
    };
    Ok(html(
        StatusCode::OK,
        page(&format!("Pay {}", display_amount(&payment)), &body),
        &request_id,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
