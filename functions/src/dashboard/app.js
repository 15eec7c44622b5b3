// The Paynectra dashboard: one page, no library, no build step.
//
// It signs in with a secret (sk_) or restricted (rk_) key, keeps the key in
// this tab's sessionStorage only and sends it only as `Authorization` to the
// API on this origin. Every value it shows goes through text nodes (never
// HTML strings), so whatever a payment's description holds stays text.
"use strict";

const API = location.pathname.replace(/\/dashboard(\/.*)?$/, "");
const STORE = "paynectra.dashboard";

// ---- session ---------------------------------------------------------------

function session() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE)) || { keys: {}, mode: null };
  } catch {
    return { keys: {}, mode: null };
  }
}
function saveSession(s) {
  sessionStorage.setItem(STORE, JSON.stringify(s));
}
function keyInfo(key) {
  const m = /^(sk|rk|pk)_(test|live)_/.exec(key || "");
  return m ? { kind: { sk: "secret", rk: "restricted", pk: "publishable" }[m[1]], mode: m[2] } : null;
}
function currentKey() {
  const s = session();
  return s.mode ? s.keys[s.mode] : null;
}
function canWrite() {
  return keyInfo(currentKey())?.kind === "secret";
}

// ---- the API ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `The API answered ${status}.`);
    this.status = status;
    this.error = error || {};
  }
}

async function api(method, path, body, idempotencyKey, key = currentKey()) {
  const headers = { Authorization: `Bearer ${key}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const res = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok) throw new ApiError(res.status, json && json.error);
  return json;
}

function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// ---- building the page -----------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const digitsCache = {};
function digits(currency) {
  if (!(currency in digitsCache)) {
    try {
      digitsCache[currency] = new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits;
    } catch {
      digitsCache[currency] = 2;
    }
  }
  return digitsCache[currency];
}
// Minor units (integers) to a display string, without floating point: the
// integer is split into its major and minor digits as text.
function money(amount, currency) {
  if (amount === null || amount === undefined) return "—";
  const d = digits(currency);
  const neg = amount < 0;
  const s = String(Math.abs(amount)).padStart(d + 1, "0");
  const major = s.slice(0, s.length - d).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const minor = d ? `.${s.slice(s.length - d)}` : "";
  return `${neg ? "-" : ""}${major}${minor} ${currency.toUpperCase()}`;
}
// "12.50" in a currency with 2 decimals to 1250; null if not an amount.
function parseMajor(text, currency) {
  const d = digits(currency);
  const m = /^\s*(\d{1,12})(?:\.(\d*))?\s*$/.exec(text);
  if (!m || (m[2] || "").length > d) return null;
  return Number(m[1]) * 10 ** d + Number((m[2] || "").padEnd(d, "0") || "0");
}
function when(seconds) {
  if (!seconds) return "—";
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
function badge(status) {
  return h("span", { class: `badge ${status}` }, String(status).replace(/_/g, " "));
}
function link(href, text) {
  return h("a", { href }, text);
}
function objLink(kind, id) {
  return id ? link(`#/${kind}/${encodeURIComponent(id)}`, id) : "—";
}
// A receipt page opens in a tab of its own (it is the customer's view, not
// the dashboard's), and learns nothing of where it was opened from.
function receiptLink(url, text = "View receipt") {
  return url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "receipt-link" }, text) : "—";
}
const RECEIPT_COLUMNS = [
  { title: "To", cell: (r) => r.to },
  { title: "For", cell: (r) => `${r.kind === "refund" ? "Refund" : "Payment"} of ${money(r.amount, r.currency)}` },
  { title: "Status", cell: (r) => badge(r.status) },
  { title: "Payment", class: "hide-narrow", cell: (r) => objLink("payments", r.payment_id) },
  { title: "Created", cell: (r) => when(r.created) },
  { title: "Message", cell: (r) => h("details", {}, h("summary", {}, r.subject), h("pre", { class: "message" }, r.body), r.failure_message ? h("p", { class: "error" }, r.failure_message) : null, h("p", {}, receiptLink(r.receipt_url))) },
];
function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}
function table(caption, columns, rows, empty = "Nothing here yet.") {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.class }, c.title)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", { class: c.class }, c.cell(r)))))),
    ),
  );
}
function field(labelText, input) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h("div", {}, h("label", { for: id }, labelText), input);
}
function errorNotice(e) {
  const err = e instanceof ApiError ? e.error : {};
  const parts = [e.message];
  if (err.code) parts.push(`(code: ${err.code}${err.param ? `, param: ${err.param}` : ""})`);
  return h("div", { class: "notice error", role: "alert" }, parts.join(" "));
}
function notice(text) {
  return h("div", { class: "notice", role: "status" }, text);
}

// ---- CSV export ------------------------------------------------------------

function csvCell(v) {
  let s = v === null || v === undefined ? "" : String(v);
  // A cell a spreadsheet would run as a formula is kept as text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
async function exportCsv(button, path, params, columns, filename) {
  button.disabled = true;
  const rows = [];
  try {
    let after;
    for (let page = 0; page < 100; page++) {
      button.textContent = `Exporting… (${rows.length})`;
      const list = await api("GET", path + qs({ ...params, limit: 100, starting_after: after }));
      rows.push(...list.data);
      if (!list.has_more || !list.data.length) break;
      after = list.data[list.data.length - 1].id;
    }
    const text = [columns.map((c) => c[0]).join(","), ...rows.map((r) => columns.map((c) => csvCell(c[1](r))).join(","))].join("\r\n") + "\r\n";
    const a = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    button.textContent = `Exported ${rows.length} rows`;
  } catch (e) {
    button.textContent = "Export failed";
    button.after(errorNotice(e));
  } finally {
    button.disabled = false;
  }
}

// A button that exports a list as CSV: `fields` are the API's field names,
// their values as the API gives them, times as UTC dates.
function csvButton(id, path, params, fields, filename) {
  const times = new Set(["created", "available_on", "arrival_date"]);
  const columns = fields.map((f) => [f, (o) => (times.has(f) ? when(o[f]) : o[f])]);
  const button = h("button", { class: "secondary", type: "button", id }, "Export CSV");
  button.addEventListener("click", () => exportCsv(button, path, params, columns, filename));
  return button;
}

// ---- routing ---------------------------------------------------------------

function route() {
  const [path, query] = (location.hash.slice(1) || "/payments").split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: Object.fromEntries(new URLSearchParams(query || "")) };
}
function go(path, params) {
  location.hash = `#${path}${qs(params || {})}`;
}

const NAV = [
  ["payments", "Payments"],
  ["customers", "Customers"],
  ["events", "Events"],
  ["receipts", "Receipts"],
  ["webhooks", "Webhooks"],
  ["balance", "Balance"],
];

// `data-rendered` names the route the page shows once it has loaded (the
// browser tests wait on it).
let renders = 0;
async function render() {
  const generation = ++renders;
  const app = document.getElementById("app");
  delete document.body.dataset.rendered;
  const key = currentKey();
  if (!key) {
    app.replaceChildren(signIn());
    document.getElementById("key")?.focus();
    document.body.dataset.rendered = location.hash || "#";
    return;
  }
  const { parts, params } = route();
  const main = h("main", { id: "main", tabindex: "-1" }, h("p", { role: "status" }, "Loading…"));
  app.replaceChildren(header(parts[0] || "payments"), main);
  const page = PAGES[parts[0]] || PAGES.payments;
  let content;
  try {
    content = await page(parts.slice(1), params);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signOut("Your key is no longer valid: sign in again.");
      return;
    }
    content = [h("h1", {}, e instanceof ApiError && e.status === 404 ? "Not found" : "Something went wrong"), errorNotice(e)];
  }
  if (generation !== renders) return; // a later render owns the page now
  main.replaceChildren(...[content].flat());
  const title = main.querySelector("h1");
  document.title = `${title ? title.textContent : "Dashboard"} · Paynectra`;
  document.body.dataset.rendered = location.hash || "#";
}

function header(active) {
  const s = session();
  const info = keyInfo(currentKey());
  const other = s.mode === "live" ? "test" : "live";
  return h(
    "header",
    {},
    h("span", { class: "brand" }, "Paynectra"),
    h(
      "nav",
      { "aria-label": "Dashboard" },
      h("ul", {}, NAV.map(([id, label]) => h("li", {}, h("a", { href: `#/${id}`, "aria-current": id === active ? "page" : false }, label)))),
    ),
    h("span", { class: `badge ${s.mode}`, id: "mode" }, s.mode === "test" ? "Test data" : "Live data"),
    info.kind === "restricted" ? h("span", { class: "badge", id: "key-kind" }, "Restricted key: read only") : null,
    h(
      "button",
      {
        class: "secondary",
        type: "button",
        id: "switch-mode",
        onclick: () => {
          const cur = session();
          cur.mode = other;
          saveSession(cur);
          render();
        },
      },
      s.keys[other] ? `Switch to ${other} data` : `View ${other} data…`,
    ),
    h("button", { class: "secondary", type: "button", id: "sign-out", onclick: () => signOut() }, "Sign out"),
  );
}

function signOut(message) {
  sessionStorage.removeItem(STORE);
  render().then(() => {
    if (message) document.querySelector(".signin form")?.prepend(notice(message));
  });
}

function signIn() {
  const s = session();
  const want = s.mode; // set when switching to a mode without its key
  const input = h("input", { id: "key", type: "password", autocomplete: "off", spellcheck: "false", required: true, placeholder: want ? `sk_${want}_… or rk_${want}_…` : "sk_test_… or rk_test_…" });
  const status = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (ev) => {
        ev.preventDefault();
        status.replaceChildren();
        const key = input.value.trim();
        const info = keyInfo(key);
        if (!info || info.kind === "publishable") {
          status.replaceChildren(errorNotice(new Error("Use a secret key (sk_…) or a restricted key (rk_…); a publishable key cannot read the dashboard.")));
          return;
        }
        submit.disabled = true;
        try {
          await api("GET", "/v1/balance", undefined, undefined, key);
          const cur = session();
          cur.keys[info.mode] = key;
          cur.mode = info.mode;
          saveSession(cur);
          render();
        } catch (e) {
          status.replaceChildren(errorNotice(e));
          submit.disabled = false;
        }
      },
    },
    field(want && Object.keys(s.keys).length ? `Your ${want} mode key (secret or restricted)` : "Secret or restricted key", input),
    h("p", { class: "muted" }, "The key stays in this tab only and is forgotten when you sign out or close it."),
    submit,
    status,
  );
  const back = Object.keys(s.keys).length
    ? h("button", {
        class: "secondary",
        type: "button",
        onclick: () => {
          const cur = session();
          cur.mode = Object.keys(cur.keys)[0];
          saveSession(cur);
          render();
        },
      }, "Back")
    : null;
  return h("main", { id: "main", class: "signin" }, h("section", {}, h("h1", {}, "Sign in to Paynectra"), form, back));
}

// ---- pages -----------------------------------------------------------------

const PAYMENT_STATUSES = ["pending", "requires_capture", "succeeded", "failed", "cancelled"];

function dayStart(date) {
  return date ? Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000) : undefined;
}
function dayEnd(date) {
  return date ? dayStart(date) + 86399 : undefined;
}
function pager(list, params, path) {
  const first = list.data[0]?.id;
  const last = list.data[list.data.length - 1]?.id;
  const back = params.starting_after || (params.ending_before && list.has_more);
  const forward = params.ending_before || list.has_more;
  const base = { ...params };
  delete base.starting_after;
  delete base.ending_before;
  return h(
    "div",
    { class: "pager" },
    h("button", { class: "secondary", type: "button", disabled: !back || !first, onclick: () => go(path, { ...base, ending_before: first }) }, "Newer"),
    h("button", { class: "secondary", type: "button", disabled: !forward || !last, onclick: () => go(path, { ...base, starting_after: last }) }, "Older"),
  );
}

const PAYMENT_COLUMNS = [
  { title: "Amount", class: "num", cell: (p) => money(p.amount, p.currency) },
  { title: "Status", cell: (p) => badge(p.status) },
  { title: "Payment", cell: (p) => objLink("payments", p.id) },
  { title: "Description", class: "hide-narrow", cell: (p) => p.description ?? "" },
  { title: "Customer", class: "hide-narrow", cell: (p) => objLink("customers", p.customer_id) },
  { title: "Created", cell: (p) => when(p.created) },
];

const PAGES = {
  async payments(rest, params) {
    if (rest[0]) return paymentPage(rest[0]);
    const filter = {
      status: params.status,
      customer: params.customer,
      "created[gte]": dayStart(params.from),
      "created[lte]": dayEnd(params.to),
    };
    const list = await api("GET", `/v1/payments${qs({ ...filter, limit: 20, starting_after: params.starting_after, ending_before: params.ending_before })}`);
    const status = h("select", { id: "status", name: "status" }, h("option", { value: "" }, "Any"), PAYMENT_STATUSES.map((s) => h("option", { value: s, selected: params.status === s }, s.replace(/_/g, " "))));
    const customer = h("input", { id: "customer", name: "customer", value: params.customer || "", placeholder: "cus_…" });
    const from = h("input", { id: "from", name: "from", type: "date", value: params.from || "" });
    const to = h("input", { id: "to", name: "to", type: "date", value: params.to || "" });
    const openId = h("input", { id: "open-id", placeholder: "pay_…" });
    const exportButton = csvButton("export", "/v1/payments", filter, ["id", "created", "amount", "currency", "status", "amount_received", "amount_refunded", "customer_id", "description"], "payments.csv");
    return [
      h("h1", {}, "Payments"),
      h(
        "form",
        { class: "filters", role: "search", "aria-label": "Filter payments", onsubmit: (ev) => { ev.preventDefault(); go("/payments", { status: status.value, customer: customer.value.trim(), from: from.value, to: to.value }); } },
        field("Status", status),
        field("Customer", customer),
        field("Created from", from),
        field("Created to", to),
        h("button", { type: "submit" }, "Apply"),
        exportButton,
      ),
      h(
        "form",
        { class: "row", "aria-label": "Open a payment", onsubmit: (ev) => { ev.preventDefault(); if (openId.value.trim()) go(`/payments/${encodeURIComponent(openId.value.trim())}`); } },
        field("Payment id", openId),
        h("button", { class: "secondary", type: "submit" }, "Open"),
      ),
      h("section", {}, table("Payments", PAYMENT_COLUMNS, list.data, "No payments match."), pager(list, params, "/payments")),
      h("p", { class: "muted" }, "Amounts in the CSV are in the currency's smallest unit, as in the API."),
    ];
  },

  async customers(rest, params) {
    if (rest[0]) return customerPage(rest[0]);
    const list = await api("GET", `/v1/customers${qs({ email: params.email, limit: 20, starting_after: params.starting_after, ending_before: params.ending_before })}`);
    const email = h("input", { id: "email", type: "email", value: params.email || "", placeholder: "jenny@example.com" });
    return [
      h("h1", {}, "Customers"),
      h("form", { class: "filters", role: "search", "aria-label": "Search customers", onsubmit: (ev) => { ev.preventDefault(); go("/customers", { email: email.value.trim() }); } }, field("Email", email), h("button", { type: "submit" }, "Search")),
      h(
        "section",
        {},
        table("Customers", [
          { title: "Customer", cell: (c) => objLink("customers", c.id) },
          { title: "Name", cell: (c) => c.name ?? "" },
          { title: "Email", cell: (c) => c.email ?? "" },
          { title: "Created", class: "hide-narrow", cell: (c) => when(c.created) },
        ], list.data, "No customers match."),
        pager(list, params, "/customers"),
      ),
    ];
  },

  async events(rest, params) {
    if (rest[0]) return eventPage(rest[0]);
    const list = await api("GET", `/v1/events${qs({ type: params.type, limit: 20, starting_after: params.starting_after, ending_before: params.ending_before })}`);
    const type = h("input", { id: "type", value: params.type || "", placeholder: "payment.succeeded or payment.*" });
    return [
      h("h1", {}, "Events"),
      h("form", { class: "filters", role: "search", "aria-label": "Filter events", onsubmit: (ev) => { ev.preventDefault(); go("/events", { type: type.value.trim() }); } }, field("Type", type), h("button", { type: "submit" }, "Apply")),
      h("section", {}, eventTable(list.data), pager(list, params, "/events")),
    ];
  },

  async receipts(rest, params) {
    const list = await api("GET", `/v1/receipts${qs({ payment_id: params.payment, limit: 20, starting_after: params.starting_after, ending_before: params.ending_before })}`);
    const test = session().mode === "test";
    return [
      h("h1", {}, test ? "Receipts (test mode outbox)" : "Receipts"),
      h("p", { class: "muted" }, test
        ? "In test mode no email is sent: each receipt a customer would have received is kept here to look at."
        : "Receipts sent to customers, newest first."),
      h("section", {}, table("Receipts", RECEIPT_COLUMNS, list.data, "No receipts yet: one is made when a payment with a receipt email (or a customer with an email) succeeds or is refunded."), pager(list, params, "/receipts")),
    ];
  },

  async webhooks() {
    const [endpoints, recent] = await Promise.all([api("GET", "/v1/webhook_endpoints?limit=100"), api("GET", "/v1/events?limit=50")]);
    const waiting = recent.data.filter((e) => e.pending_webhooks > 0).slice(0, 10);
    const details = await Promise.all(waiting.map((e) => api("GET", `/v1/events/${encodeURIComponent(e.id)}`)));
    const failing = details.flatMap((e) => e.deliveries.filter((d) => d.status !== "succeeded").map((d) => ({ event: e, delivery: d })));
    const created = h("div", { "aria-live": "polite" });
    const url = h("input", { id: "endpoint-url", type: "url", required: true, placeholder: "https://example.com/webhooks" });
    const types = h("input", { id: "endpoint-events", value: "*" });
    const writes = canWrite();
    const form = writes
      ? h(
          "form",
          {
            class: "filters",
            "aria-label": "Add an endpoint",
            onsubmit: async (ev) => {
              ev.preventDefault();
              created.replaceChildren();
              try {
                const ep = await api("POST", "/v1/webhook_endpoints", { url: url.value.trim(), enabled_events: types.value.split(",").map((t) => t.trim()).filter(Boolean) }, crypto.randomUUID());
                await render();
                document.getElementById("endpoint-created")?.replaceChildren(
                  h("div", { class: "notice", role: "status" }, "Endpoint added. Its signing secret is shown this once: ", h("span", { class: "secret", id: "endpoint-secret" }, ep.secret)),
                );
              } catch (e) {
                created.replaceChildren(errorNotice(e));
              }
            },
          },
          field("Endpoint URL", url),
          field("Events (comma-separated)", types),
          h("button", { type: "submit" }, "Add endpoint"),
        )
      : null;
    return [
      h("h1", {}, "Webhooks"),
      h("div", { id: "endpoint-created" }),
      h(
        "section",
        {},
        h("h2", {}, "Endpoints"),
        table("Webhook endpoints", [
          { title: "URL", cell: (e) => e.url },
          { title: "Events", cell: (e) => e.enabled_events.join(", ") },
          { title: "Status", cell: (e) => badge(e.status) },
          { title: "Created", class: "hide-narrow", cell: (e) => when(e.created) },
          writes ? { title: "Actions", cell: (e) => confirmButton("Delete", `Delete the endpoint ${e.url}?`, async () => { await api("DELETE", `/v1/webhook_endpoints/${encodeURIComponent(e.id)}`); render(); }, "danger") } : null,
        ].filter(Boolean), endpoints.data, "No endpoints yet."),
        form,
        created,
      ),
      h(
        "section",
        {},
        h("h2", {}, "Deliveries not yet delivered"),
        table("Deliveries not yet delivered", [
          { title: "Event", cell: (f) => objLink("events", f.event.id) },
          { title: "Type", cell: (f) => f.event.type },
          { title: "URL", cell: (f) => f.delivery.url },
          { title: "Status", cell: (f) => badge(f.delivery.status) },
          { title: "Attempts", class: "num", cell: (f) => f.delivery.attempts.length },
          { title: "Next attempt", cell: (f) => when(f.delivery.next_attempt_at) },
        ], failing, "Every recent delivery has been delivered."),
      ),
    ];
  },

  async balance(rest, params) {
    const balance = await api("GET", "/v1/balance");
    const currencies = [...new Set([...balance.available, ...balance.pending].map((b) => b.currency))];
    const currency = params.currency && /^[a-z]{3}$/.test(params.currency) ? params.currency : currencies[0] || "usd";
    const [volume, txns, payouts] = await Promise.all([
      api("GET", `/v1/reporting/volume${qs({ currency, days: 30 })}`),
      api("GET", `/v1/balance_transactions${qs({ limit: 20, starting_after: params.starting_after, ending_before: params.ending_before })}`),
      api("GET", "/v1/payouts?limit=20"),
    ]);
    const pick = h("select", { id: "chart-currency", onchange: (ev) => go("/balance", { currency: ev.target.value }) }, [...new Set([...currencies, currency])].map((c) => h("option", { value: c, selected: c === currency }, c.toUpperCase())));
    const exportButton = csvButton("export-balance", "/v1/balance_transactions", {}, ["id", "created", "type", "source", "amount", "fee", "net", "currency", "status", "available_on"], "balance_transactions.csv");
    return [
      h("h1", {}, "Balance"),
      h(
        "section",
        {},
        table("Balances", [
          { title: "Currency", cell: (c) => c.toUpperCase() },
          { title: "Available", class: "num", cell: (c) => money(balance.available.find((b) => b.currency === c)?.amount ?? 0, c) },
          { title: "Pending", class: "num", cell: (c) => money(balance.pending.find((b) => b.currency === c)?.amount ?? 0, c) },
        ], currencies),
      ),
      h("section", { class: "chart" }, h("h2", {}, "Gross volume, last 30 days"), h("div", { class: "row" }, field("Currency", pick)), volumeChart(volume.data, currency)),
      h(
        "section",
        {},
        h("h2", {}, "Balance transactions"),
        h("div", { class: "row" }, exportButton),
        table("Balance transactions", [
          { title: "Type", cell: (t) => t.type },
          { title: "Amount", class: "num", cell: (t) => money(t.amount, t.currency) },
          { title: "Fee", class: "num hide-narrow", cell: (t) => money(t.fee, t.currency) },
          { title: "Net", class: "num", cell: (t) => money(t.net, t.currency) },
          { title: "Source", class: "hide-narrow", cell: (t) => (t.source?.startsWith("pay_") ? objLink("payments", t.source) : t.source ?? "—") },
          { title: "Status", cell: (t) => badge(t.status) },
          { title: "Available on", class: "hide-narrow", cell: (t) => when(t.available_on) },
        ], txns.data, "No balance transactions yet."),
        pager(txns, params, "/balance"),
      ),
      h(
        "section",
        {},
        h("h2", {}, "Payouts"),
        table("Payouts", [
          { title: "Payout", cell: (p) => p.id },
          { title: "Amount", class: "num", cell: (p) => money(p.amount, p.currency) },
          { title: "Status", cell: (p) => badge(p.status) },
          { title: "Arrives", class: "hide-narrow", cell: (p) => when(p.arrival_date) },
          { title: "Created", cell: (p) => when(p.created) },
        ], payouts.data, "No payouts yet."),
      ),
    ];
  },
};

// The button that runs a confirmed action, once at a time; the API's error,
// if any, goes in `status` and the button can be used again.
function runButton(text, action, status, attrs) {
  const button = h("button", {
    type: "button",
    ...attrs,
    onclick: async () => {
      button.disabled = true;
      status.replaceChildren();
      try {
        await action();
      } catch (e) {
        status.replaceChildren(errorNotice(e));
        button.disabled = false;
      }
    },
  }, text);
  return button;
}

// A two-step action: the button asks, a second button does it.
function confirmButton(label, question, action, cls) {
  const box = h("span", {});
  const start = h("button", { type: "button", class: cls || "", onclick: () => box.replaceChildren(ask) });
  start.textContent = label;
  const status = h("span", { "aria-live": "polite" });
  const yes = runButton(`Yes, ${label.toLowerCase()}`, action, status, { class: cls || "" });
  const ask = h("span", { role: "group", "aria-label": question }, h("span", {}, `${question} `), yes, " ", h("button", { type: "button", class: "secondary", onclick: () => box.replaceChildren(start) }, "No"), status);
  box.append(start);
  return box;
}

function eventTable(events) {
  return table("Events", [
    { title: "Type", cell: (e) => e.type },
    { title: "Event", cell: (e) => objLink("events", e.id) },
    { title: "Webhooks pending", class: "num hide-narrow", cell: (e) => e.pending_webhooks },
    { title: "Created", cell: (e) => when(e.created) },
  ], events, "No events.");
}

function deliveriesOf(event) {
  if (!event.deliveries.length) return h("p", { class: "muted" }, "No webhook deliveries (no endpoint listened for it).");
  return event.deliveries.map((d) =>
    h(
      "div",
      { class: "delivery" },
      h("p", {}, badge(d.status), " ", d.url, d.next_attempt_at ? ` · next attempt ${when(d.next_attempt_at)}` : ""),
      table(`Attempts to ${d.url}`, [
        { title: "At", cell: (a) => when(a.at) },
        { title: "Status code", class: "num", cell: (a) => a.status_code ?? "—" },
        { title: "Latency", class: "num", cell: (a) => `${a.latency_ms} ms` },
        { title: "Error", cell: (a) => a.error ?? "" },
      ], d.attempts, "Not attempted yet."),
    ),
  );
}

async function eventPage(id) {
  const event = await api("GET", `/v1/events/${encodeURIComponent(id)}`);
  const { deliveries, ...body } = event;
  return [
    h("h1", {}, event.type),
    h("section", {}, facts([["Event", event.id], ["Created", when(event.created)], ["Request", event.request?.id ?? "—"], ["Idempotency key", event.request?.idempotency_key ?? "—"]])),
    h("section", {}, h("h2", {}, "Webhook deliveries"), deliveriesOf({ deliveries })),
    h("section", {}, h("h2", {}, "Event data"), h("pre", { tabindex: "0", "aria-label": "The event as JSON" }, JSON.stringify(body, null, 2))),
  ];
}

async function customerPage(id) {
  const customer = await api("GET", `/v1/customers/${encodeURIComponent(id)}`);
  if (customer.deleted) return [h("h1", {}, "Deleted customer"), notice(`${customer.id} was deleted.`)];
  const [methods, payments] = await Promise.all([
    api("GET", `/v1/customers/${encodeURIComponent(id)}/payment_methods?limit=100`),
    api("GET", `/v1/payments${qs({ customer: id, limit: 20 })}`),
  ]);
  return [
    h("h1", {}, customer.name || customer.email || customer.id),
    h("section", {}, facts([["Customer", customer.id], ["Name", customer.name], ["Email", customer.email], ["Phone", customer.phone], ["Description", customer.description], ["Created", when(customer.created)]])),
    h(
      "section",
      {},
      h("h2", {}, "Saved payment methods"),
      table("Saved payment methods", [
        { title: "Card", cell: (m) => `${m.card.brand} •••• ${m.card.last4}` },
        { title: "Expires", cell: (m) => `${String(m.card.exp_month).padStart(2, "0")}/${m.card.exp_year}` },
        { title: "Id", class: "hide-narrow", cell: (m) => m.id },
      ], methods.data, "No saved payment methods."),
    ),
    h("section", {}, h("h2", {}, "Payments"), table("Payments", PAYMENT_COLUMNS, payments.data, "No payments."), payments.has_more ? link(`#/payments?customer=${encodeURIComponent(id)}`, "All of this customer's payments") : null),
  ];
}

async function paymentPage(id) {
  const p = await api("GET", `/v1/payments/${encodeURIComponent(id)}`);
  const [refunds, timeline, method, txns, receipts] = await Promise.all([
    api("GET", `/v1/refunds${qs({ payment_id: p.id, limit: 100 })}`),
    api("GET", `/v1/events${qs({ payment: p.id, limit: 100 })}`),
    p.payment_method ? api("GET", `/v1/payment_methods/${encodeURIComponent(p.payment_method)}`).catch(() => null) : null,
    api("GET", `/v1/balance_transactions${qs({ source: p.id, limit: 10 })}`),
    api("GET", `/v1/receipts${qs({ payment_id: p.id, limit: 20 })}`),
  ]);
  const events = await Promise.all(timeline.data.slice(0, 20).map((e) => api("GET", `/v1/events/${encodeURIComponent(e.id)}`)));
  const settled = txns.data.find((t) => t.type === "payment");
  const refundable = p.status === "succeeded" ? p.amount_received - p.amount_refunded : 0;
  const actions = [];
  if (canWrite() && refundable > 0) actions.push(refundForm(p, refundable));
  if (canWrite() && p.status === "requires_capture") actions.push(captureForm(p));
  return [
    h("h1", {}, `${money(p.amount, p.currency)} `, badge(p.status)),
    h(
      "section",
      {},
      facts([
        ["Payment", p.id],
        ["Description", p.description],
        ["Customer", objLink("customers", p.customer_id)],
        ["Amount", money(p.amount, p.currency)],
        ["Captured", money(p.amount_received, p.currency)],
        ["Refunded", money(p.amount_refunded, p.currency)],
        ["Refundable", h("span", { id: "refundable" }, money(refundable, p.currency))],
        settled ? ["Fee", money(settled.fee, settled.currency)] : null,
        settled ? ["Net", money(settled.net, settled.currency)] : null,
        ["Payment method", method ? `${method.card.brand} •••• ${method.card.last4}` : p.payment_method ?? "—"],
        ["Receipt email", p.receipt_email ?? (p.customer_id ? "the customer's email" : "—")],
        ["Receipt", receiptLink(p.receipt_url)],
        p.capture_before ? ["Capture before", when(p.capture_before)] : null,
        p.last_payment_error ? ["Last error", `${p.last_payment_error.message ?? ""} (${p.last_payment_error.decline_code ?? p.last_payment_error.code ?? ""})`] : null,
        ["Created", when(p.created)],
      ]),
    ),
    actions.length ? h("section", { "aria-label": "Actions" }, h("h2", {}, "Actions"), actions) : null,
    h(
      "section",
      {},
      h("h2", {}, "Refunds"),
      table("Refunds", [
        { title: "Refund", cell: (r) => r.id },
        { title: "Amount", class: "num", cell: (r) => money(r.amount, r.currency) },
        { title: "Status", cell: (r) => badge(r.status) },
        { title: "Reason", class: "hide-narrow", cell: (r) => (r.reason ?? "—").replace(/_/g, " ") },
        { title: "Created", cell: (r) => when(r.created) },
      ], refunds.data, "No refunds."),
    ),
    h("section", {}, h("h2", {}, "Receipts"), table("Receipts", RECEIPT_COLUMNS, receipts.data, "No receipts.")),
    h(
      "section",
      {},
      h("h2", {}, "Timeline"),
      events.length
        ? h("ol", { class: "timeline" }, events.reverse().map((e) => h("li", {}, h("details", {}, h("summary", {}, `${when(e.created)} · ${e.type}`), h("p", {}, objLink("events", e.id)), deliveriesOf(e)))))
        : h("p", { class: "muted" }, "No events."),
    ),
  ];
}

function refundForm(p, refundable) {
  const idempotencyKey = crypto.randomUUID();
  const amount = h("input", { id: "refund-amount", inputmode: "decimal", value: money(refundable, p.currency).split(" ")[0].replace(/,/g, "") });
  const reason = h("select", { id: "refund-reason" }, h("option", { value: "" }, "None given"), ["customer_request", "duplicate", "fraudulent"].map((r) => h("option", { value: r }, r.replace(/_/g, " "))));
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "filters",
      id: "refund-form",
      "aria-label": "Refund",
      onsubmit: (ev) => {
        ev.preventDefault();
        out.replaceChildren();
        const minor = parseMajor(amount.value, p.currency);
        if (!minor || minor > refundable) {
          out.replaceChildren(errorNotice(new Error(`Enter an amount between ${money(1, p.currency)} and ${money(refundable, p.currency)}.`)));
          return;
        }
        out.replaceChildren(
          confirmStep(`Refund ${money(minor, p.currency)} of ${p.id}?`, "Refund", async () => {
            const body = { payment_id: p.id, amount: minor };
            if (reason.value) body.reason = reason.value;
            await api("POST", "/v1/refunds", body, idempotencyKey);
            await render();
            document.querySelector("main h1")?.after(notice(`Refunded ${money(minor, p.currency)}.`));
          }),
        );
      },
    },
    field(`Refund amount (${p.currency.toUpperCase()})`, amount),
    field("Reason", reason),
    h("button", { type: "submit" }, "Refund…"),
  );
  return [form, out];
}

function captureForm(p) {
  const captureKey = crypto.randomUUID();
  const cancelKey = crypto.randomUUID();
  const amount = h("input", { id: "capture-amount", inputmode: "decimal", value: money(p.amount_capturable, p.currency).split(" ")[0].replace(/,/g, "") });
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "filters",
      id: "capture-form",
      "aria-label": "Capture or cancel",
      onsubmit: (ev) => {
        ev.preventDefault();
        const minor = parseMajor(amount.value, p.currency);
        if (!minor || minor > p.amount_capturable) {
          out.replaceChildren(errorNotice(new Error(`Enter an amount between ${money(1, p.currency)} and ${money(p.amount_capturable, p.currency)}.`)));
          return;
        }
        out.replaceChildren(
          confirmStep(`Capture ${money(minor, p.currency)} of ${p.id}?`, "Capture", async () => {
            await api("POST", `/v1/payments/${encodeURIComponent(p.id)}/capture`, { amount_to_capture: minor }, captureKey);
            await render();
          }),
        );
      },
    },
    field(`Amount to capture (${p.currency.toUpperCase()})`, amount),
    h("button", { type: "submit" }, "Capture…"),
    h("button", {
      type: "button",
      class: "danger",
      onclick: () =>
        out.replaceChildren(
          confirmStep(`Cancel ${p.id}? The hold is released and nothing is charged.`, "Cancel payment", async () => {
            await api("POST", `/v1/payments/${encodeURIComponent(p.id)}/cancel`, {}, cancelKey);
            await render();
          }),
        ),
    }, "Cancel payment…"),
  );
  return [form, out];
}

function confirmStep(question, label, action) {
  const status = h("div", { "aria-live": "polite" });
  const yes = runButton(`Yes, ${label.toLowerCase()}`, action, status, { id: "confirm" });
  const no = h("button", { type: "button", class: "secondary", onclick: () => box.remove() }, "Back");
  const box = h("div", { class: "notice", role: "group", "aria-label": question }, h("p", {}, question), yes, " ", no, status);
  setTimeout(() => yes.focus(), 0);
  return box;
}

window.addEventListener("hashchange", () => {
  render().then(() => document.getElementById("main")?.focus());
});
document.addEventListener("DOMContentLoaded", render);

// The gross volume chart: an SVG of captured and refunded per day (bars
// side by side), labelled for screen readers, with the numbers in a table.
function volumeChart(days, currency) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, ...kids) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    el.append(...kids);
    return el;
  };
  const width = 600;
  const height = 180;
  const top = 10;
  const bottom = 20;
  const max = Math.max(1, ...days.map((d) => Math.max(d.captured, d.refunded)));
  const slot = width / Math.max(1, days.length);
  const bar = Math.max(1, slot / 2 - 1);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const total = days.reduce((a, d) => ({ captured: a.captured + d.captured, refunded: a.refunded + d.refunded }), { captured: 0, refunded: 0 });
  const day = (d) => new Date(d.date * 1000).toISOString().slice(0, 10);
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `Captured ${money(total.captured, currency)} and refunded ${money(total.refunded, currency)} over the last ${days.length} days` },
    svg("line", { class: "axis", x1: 0, x2: width, y1: height - bottom, y2: height - bottom }),
    ...days.flatMap((d, i) => [
      svg("rect", { class: "captured", x: i * slot, y: y(d.captured), width: bar, height: height - bottom - y(d.captured) }, svg("title", {}, `${day(d)}: captured ${money(d.captured, currency)}`)),
      svg("rect", { class: "refunded", x: i * slot + bar, y: y(d.refunded), width: bar, height: height - bottom - y(d.refunded) }, svg("title", {}, `${day(d)}: refunded ${money(d.refunded, currency)}`)),
    ]),
    days.length ? svg("text", { x: 0, y: height - 5 }, day(days[0])) : "",
    days.length ? svg("text", { x: width, y: height - 5, "text-anchor": "end" }, day(days[days.length - 1])) : "",
  );
  return [
    h("p", { class: "legend" }, h("span", { class: "captured" }), `Captured ${money(total.captured, currency)}`, h("span", { class: "refunded" }), `Refunded ${money(total.refunded, currency)}`),
    chart,
    h(
      "details",
      {},
      h("summary", {}, "The numbers, day by day"),
      table("Gross volume per day", [
        { title: "Day", cell: (d) => day(d) },
        { title: "Captured", class: "num", cell: (d) => money(d.captured, currency) },
        { title: "Refunded", class: "num", cell: (d) => money(d.refunded, currency) },
      ], days.slice().reverse()),
    ),
  ];
}
