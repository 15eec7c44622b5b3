//! GET /receipts/{token}: a payment's hosted receipt page, readable without
//! a key by whoever has the link (the payment's `receipt_url`). The token
//! names the payment and carries its receipt secret ([`ReceiptToken`]);
//! the page shows that payment's receipt and nothing else, and every
//! failure shows the same "not valid" page.

use lambda_http::{http::StatusCode, Body, Response};
use paynectra::{
    domain::{
        receipt::{display_card, display_date},
        ListWindow, PaymentStatus, ReceiptToken, RefundStatus, Tenant,
    },
    service::App,
    store::RefundFilter,
};

use super::{escape, html, page, something_went_wrong};

fn not_valid(request_id: &str) -> Response<Body> {
    html(
        StatusCode::NOT_FOUND,
        page(
            "Receipt link not valid",
            "<h1>This receipt link is not valid</h1><p>Ask the merchant to send the receipt again.</p>",
        ),
        request_id,
    )
}

/// The most refunds a receipt lists (a payment rarely has more than a few).
const MAX_REFUNDS_SHOWN: i64 = 100;

pub async fn receipt_page(app: &App, token: &str, request_id: &str) -> Response<Body> {
    let Some(token) = ReceiptToken::parse(token) else {
        return not_valid(request_id);
    };
    let tenant = Tenant::new(token.account_id.clone(), token.mode);
    let payment = match app.store.get_payment(&tenant, &token.payment_id).await {
        Ok(Some(p)) if p.receipt_secret_matches(&token.secret) && p.status == PaymentStatus::Succeeded => p,
        Ok(_) => return not_valid(request_id),
        Err(e) => {
            tracing::error!(error = %e, "receipt page: payment read failed");
            return something_went_wrong(request_id);
        }
    };
    let window = ListWindow::new(Some(MAX_REFUNDS_SHOWN), None, None).expect("a valid limit");
    let filter = RefundFilter {
        payment: Some(payment.id.clone()),
        ..RefundFilter::default()
    };
    let read = tokio::try_join!(
        app.store.merchant_name(&tenant.account_id),
        async {
            match &payment.payment_method {
                Some(pm) => app.store.get_payment_method(&tenant, pm).await,
                None => Ok(None),
            }
        },
        app.store.list_refunds(&tenant, &filter, &window),
    );
    let (merchant, method, (refunds, _)) = match read {
        Ok(read) => read,
        Err(e) => {
            tracing::error!(error = %e, "receipt page: read failed");
            return something_went_wrong(request_id);
        }
    };
    let money = |minor: i64| escape(&payment.currency.display(minor));
    let mut rows = vec![
        ("Amount paid", money(payment.amount_received.get())),
        ("Date paid", escape(&display_date(payment.created))),
    ];
    if let Some(m) = &method {
        rows.push(("Payment method", escape(&display_card(&m.card))));
    }
    if let Some(d) = &payment.description {
        rows.push(("Description", escape(d)));
    }
    if !payment.amount_refunded.is_zero() {
        rows.push(("Refunded", money(payment.amount_refunded.get())));
    }
    let details: String = rows
        .iter()
        .map(|(k, v)| format!("<div><dt>{k}</dt><dd>{v}</dd></div>"))
        .collect();
    let shown: Vec<_> = refunds
        .data
        .iter()
        .filter(|r| matches!(r.status, RefundStatus::Succeeded | RefundStatus::Pending))
        .collect();
    let refunds_html = if shown.is_empty() {
        String::new()
    } else {
        let items: String = shown
            .iter()
            .map(|r| {
                let state = if r.status == RefundStatus::Pending {
                    " (pending)"
                } else {
                    ""
                };
                format!(
                    "<li>{} refunded on {}{state}</li>",
                    money(r.amount.get()),
                    escape(&display_date(r.created))
                )
            })
            .collect();
        format!("<h2>Refunds</h2><ul class=\"refunds\">{items}</ul>")
    };
    let badge = if payment.mode.livemode() {
        ""
    } else {
        r#"<p class="badge">Test mode: no money moved.</p>"#
    };
    let body = format!(
        r#"{badge}<h1>Receipt from {merchant}</h1>
<p class="amount">{amount}</p>
<dl class="receipt">{details}</dl>
{refunds_html}
<p class="fine">Receipt for payment {id}. Questions? Contact {merchant}.</p>"#,
        merchant = escape(&merchant),
        amount = money(payment.amount_received.get()),
        id = escape(payment.id.as_str()),
    );
    html(
        StatusCode::OK,
        page(&format!("Receipt from {}", escape(&merchant)), &body),
        request_id,
    )
}
