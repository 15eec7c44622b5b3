//! The shapes most endpoints take, each one call: a handler names its
//! inputs by type and says what to do with them, and the frame (serve,
//! parse, idempotency, list paging) is written once, here.
//!
//! An endpoint that does something else before or after (a publishable
//! key's extra rule, a check before the idempotency claim) and every
//! delete write their frame with [`serve`] themselves.

use super::{
    body, idempotent, list_reply, listed, path_id, query, serve, ApiError, FromBody, Handled, Listed, Outcome,
};
use super::{OrNotFound, QueryParams, Reply, Request, RequestCtx, Run};
use crate::domain::{Page, PrefixedId, ValidationError};
use crate::service::App;
use crate::store::{ReadStats, StoreError};

/// `POST /v1/{resources}`: the body as the command `B`, then `work` under
/// the request's `Idempotency-Key` (claim, replay, completion).
pub async fn create<B>(
    app: &App,
    req: Request,
    work: impl AsyncFnOnce(&RequestCtx, B, &Run) -> Result<Outcome, ApiError>,
) -> Handled
where
    B: FromBody,
    ApiError: From<B::Error>,
{
    serve(app, req, |ctx, req| async move {
        let command: B = body(&req)?;
        idempotent(app, &ctx, &req, async |run| work(&ctx, command, run).await).await
    })
    .await
}

/// `POST /v1/{resources}/{id}[/{action}]`: the path's id `I` and the body
/// as the command `B`, then `work` under the request's `Idempotency-Key`.
/// A malformed id is the 404 it would be if it were well formed.
pub async fn act<I, B>(
    app: &App,
    req: Request,
    work: impl AsyncFnOnce(&RequestCtx, &I, B, &Run) -> Result<Outcome, ApiError>,
) -> Handled
where
    I: PrefixedId,
    B: FromBody,
    ApiError: From<B::Error>,
{
    serve(app, req, |ctx, req| async move {
        let id: I = path_id(&req)?;
        let command: B = body(&req)?;
        idempotent(app, &ctx, &req, async |run| work(&ctx, &id, command, run).await).await
    })
    .await
}

/// `GET /v1/{resources}/{id}`: what `load` finds under the path's id `I`,
/// as `reply` renders it; nothing found (or a malformed id) is a 404 naming
/// the id.
pub async fn retrieve<I, T>(
    app: &App,
    req: Request,
    load: impl AsyncFnOnce(&RequestCtx, &I) -> Result<Option<T>, StoreError>,
    reply: impl FnOnce(&I, T) -> Result<Reply, ApiError>,
) -> Handled
where
    I: PrefixedId,
{
    serve(app, req, |ctx, req| async move {
        let id: I = path_id(&req)?;
        let found = load(&ctx, &id).await?;
        reply(&id, found.or_not_found(I::KIND, &id.to_string())?)
    })
    .await
}

/// `GET /v1/{resources}`: the query as `Q` (filters and the page window),
/// the page `load` reads, each item as its wire object under `url`.
pub async fn list<Q, T, E>(
    app: &App,
    req: Request,
    url: &str,
    load: impl AsyncFnOnce(&RequestCtx, Q) -> Result<(Page<T>, ReadStats), E>,
) -> Handled
where
    Q: TryFrom<QueryParams, Error = ValidationError>,
    T: Listed,
    E: super::list::ListError,
{
    serve(app, req, |ctx, req| async move {
        let list: Q = query(&req)?;
        let found = load(&ctx, list).await;
        list_reply(url, &listed(found, T::Id::KIND)?, T::Object::from)
    })
    .await
}
