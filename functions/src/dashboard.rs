//! GET /dashboard and GET /dashboard/{asset}: the merchant dashboard, a
//! page and its own script and style sheet, compiled into the binary.
//!
//! The page holds no data: its script signs in with the key the merchant
//! types (kept in the tab's session storage, sent only as `Authorization`)
//! and calls the API on the same origin. The function reads no table and
//! holds no secret, so it runs without an app ([`paynectra::lambda::run_static`]).

use lambda_http::{
    http::{header, HeaderValue, StatusCode},
    Body, Error, Request, RequestExt, Response,
};
use paynectra::{http::REQUEST_ID_HEADER, service::App};

pub const PAGE: &str = include_str!("dashboard/index.html");
pub const SCRIPT: &str = include_str!("dashboard/app.js");
pub const STYLE: &str = include_str!("dashboard/app.css");

/// What the page may load and send: its own script and style sheet, and
/// requests to its own origin (the API); nothing inline, nothing framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// An asset by its name: its content type and how long it may be cached.
fn asset(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match name {
        "" | "dashboard" | "index.html" => Some((PAGE, "text/html; charset=utf-8", "no-cache")),
        "app.js" => Some((SCRIPT, "application/javascript; charset=utf-8", "no-cache")),
        "app.css" => Some((STYLE, "text/css; charset=utf-8", "no-cache")),
        _ => None,
    }
}

/// The handler as the local stack and the handler tests call every HTTP
/// function; it needs nothing of the app.
pub async fn handler(_app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req).await
}

/// Answers `/dashboard` with the page, `/dashboard/{asset}` with that asset,
/// and anything else under it with a 404.
pub async fn serve(req: Request) -> Result<Response<Body>, Error> {
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let name = req
        .path_parameters()
        .first("asset")
        .map(str::to_owned)
        .unwrap_or_default();
    let (status, body, content_type, cache) = match asset(&name) {
        Some((body, content_type, cache)) => (StatusCode::OK, body, content_type, cache),
        None => (
            StatusCode::NOT_FOUND,
            "Not found\n",
            "text/plain; charset=utf-8",
            "no-store",
        ),
    };
    let mut res = Response::new(Body::Text(body.to_owned()));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert(REQUEST_ID_HEADER, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_assets() {
        assert!(PAGE.contains(r#"src="dashboard/app.js""#));
        assert!(PAGE.contains(r#"href="dashboard/app.css""#));
        for inline in ["<script>", "style=", "onclick", "javascript:"] {
            assert!(!PAGE.contains(inline), "nothing inline: {inline}");
        }
        assert!(
            !SCRIPT.contains("innerHTML"),
            "the script builds nodes, never HTML from strings"
        );
        assert_eq!(
            asset("app.js").map(|a| a.1),
            Some("application/javascript; charset=utf-8")
        );
        assert_eq!(asset("../template.yaml"), None);
    }
}
