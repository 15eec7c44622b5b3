//! A minimal stand-in for the Lambda Runtime API (the part a function's
//! runtime client uses): `GET /2018-06-01/runtime/invocation/next` hands out
//! queued events with the invocation headers, `POST .../{id}/response` and
//! `.../{id}/error` answer them, `POST /2018-06-01/runtime/init/error`
//! reports a failed init. It notes when the first `next` arrived: the end of
//! the function's init phase.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use http::{Request, Response};
use http_body_util::Full;
use hyper::{body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, oneshot};

/// How one invocation ended.
#[derive(Debug)]
pub struct Outcome {
    /// From handing the event out to the answer.
    pub took: Duration,
    pub ok: bool,
    pub body: Bytes,
    pub handed_out: Instant,
    pub answered: Instant,
}

struct Invocation {
    id: String,
    event: Bytes,
    done: oneshot::Sender<Outcome>,
}

struct State {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    pending: Mutex<HashMap<String, (Instant, oneshot::Sender<Outcome>)>>,
    first_next: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
}

pub struct RuntimeApi {
    /// `127.0.0.1:port`, for `AWS_LAMBDA_RUNTIME_API`.
    pub addr: String,
    state: Arc<State>,
    send: mpsc::UnboundedSender<Invocation>,
    server: tokio::task::JoinHandle<()>,
    next_id: u64,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind runtime api");
        let addr = listener.local_addr().expect("addr").to_string();
        let (send, recv) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            queue: tokio::sync::Mutex::new(recv),
            pending: Mutex::new(HashMap::new()),
            first_next: Mutex::new(None),
            init_error: Mutex::new(None),
        });
        let s = state.clone();
        let server = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let s = s.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| {
                        let s = s.clone();
                        async move { Ok::<_, Infallible>(route(&s, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        RuntimeApi {
            addr,
            state,
            send,
            server,
            next_id: 0,
        }
    }

    /// Queues an event; the answer comes on the receiver.
    pub fn invoke(&mut self, event: Bytes) -> oneshot::Receiver<Outcome> {
        self.next_id += 1;
        let (done, rx) = oneshot::channel();
        let id = format!("8476a536-e9f4-11e8-9739-{:012x}", self.next_id);
        let _ = self.send.send(Invocation { id, event, done });
        rx
    }

    /// When the first `next` poll arrived (the end of init).
    pub fn first_next(&self) -> Option<Instant> {
        *self.state.first_next.lock().unwrap()
    }

    pub fn init_error(&self) -> Option<String> {
        self.state.init_error.lock().unwrap().clone()
    }
}

fn reply(status: u16, body: Bytes) -> Response<Full<Bytes>> {
    Response::builder().status(status).body(Full::new(body)).unwrap()
}

async fn route(s: &State, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let arrived = Instant::now();
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return reply(404, Bytes::new());
    };
    if rest == "invocation/next" {
        s.first_next.lock().unwrap().get_or_insert(arrived);
        let Some(inv) = s.queue.lock().await.recv().await else {
            return reply(500, Bytes::new());
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 30_000;
        let handed_out = Instant::now();
        s.pending.lock().unwrap().insert(inv.id.clone(), (handed_out, inv.done));
        return Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", &inv.id)
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
            )
            .body(Full::new(inv.event))
            .unwrap();
    }
    let body = paynectra_local::body::bytes_or_empty(req.into_body()).await;
    if rest == "init/error" {
        *s.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
        return reply(202, Bytes::from_static(b"{}"));
    }
    if let Some(tail) = rest.strip_prefix("invocation/") {
        let (id, kind) = tail.split_once('/').unwrap_or((tail, ""));
        if let Some((handed_out, done)) = s.pending.lock().unwrap().remove(id) {
            let answered = arrived;
            let _ = done.send(Outcome {
                took: answered - handed_out,
                ok: kind == "response",
                body,
                handed_out,
                answered,
            });
        }
        return reply(202, Bytes::from_static(b"{}"));
    }
    reply(404, Bytes::new())
}
