// The merchant dashboard in headless Chromium through the local stack:
// sign in with a secret key, find a payment made through the API, refund
// part of it; a restricted key sees the same without the actions; another
// merchant's payment is not found. axe-core on every page; screenshots
// under target/e2e-screenshots.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { api, assertAccessible, base, keys, launch, screenshot } from "./harness.mjs";

let browser;

before(async () => {
  assert.ok(keys.rk && keys.live && keys.other, "scripts/e2e.sh sets _RK, _LIVE_SK and _OTHER_SK");
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

async function paidPayment(key, extra = {}) {
  const created = await api(key, "POST", "/v1/payments", { amount: 5000, currency: "usd", ...extra });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const confirmed = await api(key, "POST", `/v1/payments/${created.body.id}/confirm`, { payment_method: "pm_card_visa" });
  assert.equal(confirmed.body.status, "succeeded", JSON.stringify(confirmed.body));
  return confirmed.body;
}

async function signIn(page, key) {
  await page.goto(`${base}/dashboard`);
  await page.fill("#key", key);
  await page.click("button[type=submit]");
  await page.waitForSelector("header #sign-out");
}

// The page's heading once the route in the address bar has rendered.
async function heading(page) {
  await page.waitForFunction(() => document.body.dataset.rendered === (location.hash || "#"));
  return (await page.textContent("main h1")).trim();
}

async function open(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.waitForFunction((h) => location.hash === h, hash);
  return heading(page);
}

test("a secret key finds a payment, refunds part of it, and sees every page", async () => {
  const customer = await api(keys.sk, "POST", "/v1/customers", { email: "jenny.rosen@example.com", name: "Jenny <i>Rosen</i>" });
  const payment = await paidPayment(keys.sk, { customer_id: customer.body.id, description: "Order #7 <script>alert(1)</script>" });
  const context = await browser.newContext();
  const page = await context.newPage();
  const scriptErrors = [];
  page.on("pageerror", (e) => scriptErrors.push(e.message));
  await page.goto(`${base}/dashboard`);
  assert.equal(await heading(page), "Sign in to Paynectra");
  await assertAccessible(page, "sign in");
  await screenshot(page, "dashboard-sign-in");

  // A publishable key is refused before any request.
  await page.fill("#key", keys.pk);
  await page.click("button[type=submit]");
  assert.match(await page.textContent("[role=alert]"), /secret key|restricted key/);

  await signIn(page, keys.sk);
  assert.equal(await heading(page), "Payments");
  assert.equal(await page.textContent("#mode"), "Test data");
  const row = page.locator(`a[href="#/payments/${payment.id}"]`);
  assert.equal(await row.count(), 1, "the payment is listed");
  await assertAccessible(page, "payments");
  await screenshot(page, "dashboard-payments");

  // Filters: a status it does not have hides it.
  await page.selectOption("#status", "failed");
  await page.click("form[role=search] button[type=submit]");
  await page.waitForFunction(() => location.hash.includes("status=failed"));
  await heading(page);
  assert.equal(await page.locator(`a[href="#/payments/${payment.id}"]`).count(), 0);

  // CSV export of the filtered list (now: succeeded ones).
  await open(page, "#/payments?status=succeeded");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  const csv = await readFile(await download.path(), "utf8");
  assert.match(csv, /^id,created,amount,currency,status,/);
  assert.ok(csv.includes(`${payment.id},`), "the payment is exported");
  assert.ok(csv.includes(`"Order #7 <script>alert(1)</script>"`) || csv.includes("Order #7 <script>alert(1)</script>"));

  // The payment's page: amounts, card, timeline; the description as text.
  await open(page, "#/payments");
  await page.click(`a[href="#/payments/${payment.id}"]`);
  assert.match(await heading(page), /50\.00 USD/);
  assert.ok((await page.textContent("main")).includes("Order #7 <script>alert(1)</script>"), "escaped, shown as text");
  assert.equal(await page.textContent("#refundable"), "50.00 USD");
  assert.match(await page.textContent("main"), /visa •••• 4242/);
  assert.match(await page.textContent("main"), /payment\.succeeded/);
  await assertAccessible(page, "payment");
  await screenshot(page, "dashboard-payment");

  // Refund part of it: asked first, then sent once.
  await page.fill("#refund-amount", "12.50");
  await page.selectOption("#refund-reason", "customer_request");
  await page.click("#refund-form button[type=submit]");
  assert.match(await page.textContent("[role=group]"), /Refund 12\.50 USD of pay_/);
  await page.click("#confirm");
  await page.waitForFunction(() => document.querySelector("#refundable")?.textContent === "37.50 USD");
  assert.match(await page.textContent("main"), /Refunded 12\.50 USD/);
  assert.match(await page.textContent("main"), /refund\.created/);
  const refunds = await api(keys.sk, "GET", `/v1/refunds?payment_id=${payment.id}`);
  assert.deepEqual(refunds.body.data.map((r) => [r.amount, r.reason]), [[1250, "customer_request"]]);
  // More than what is left: the form says so, nothing is sent.
  await page.fill("#refund-amount", "40.00");
  await page.click("#refund-form button[type=submit]");
  assert.match(await page.textContent("[role=alert]"), /between/);
  await screenshot(page, "dashboard-payment-refunded");

  // Another merchant's payment: not found, as if it did not exist.
  const theirs = await paidPayment(keys.other);
  assert.equal(await open(page, `#/payments/${theirs.id}`), "Not found");
  assert.match(await page.textContent("[role=alert]"), /No such payment/i);

  // Customers: search by email, open one.
  await open(page, "#/customers?email=jenny.rosen%40example.com");
  await page.click(`a[href="#/customers/${customer.body.id}"]`);
  assert.equal(await heading(page), "Jenny <i>Rosen</i>");
  assert.equal(await page.locator(`a[href="#/payments/${payment.id}"]`).count(), 1, "the customer's payments");
  await assertAccessible(page, "customer");
  await screenshot(page, "dashboard-customer");
  assert.equal(await open(page, "#/customers"), "Customers");
  await assertAccessible(page, "customers");

  // Events, filtered by type; one event's JSON.
  assert.equal(await open(page, "#/events?type=refund.*"), "Events");
  await assertAccessible(page, "events");
  await screenshot(page, "dashboard-events");
  await page.click("main table a");
  assert.match(await heading(page), /^refund\.(created|updated)$/, "the newest refund event");
  assert.match(await page.textContent("pre"), /"object": "refund"/);
  await assertAccessible(page, "event");

  // Receipts: the payment's and its refund's, in the test-mode outbox (the
  // stream makes them: wait for both), and the customer's receipt page.
  for (let i = 0; i < 100; i++) {
    const made = await api(keys.sk, "GET", `/v1/receipts?payment_id=${payment.id}`);
    if (made.body.data.length >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(await open(page, "#/receipts"), /^Receipts/);
  const outbox = page.locator("main table tbody tr", { hasText: "jenny.rosen@example.com" });
  assert.equal(await outbox.count(), 2, "a receipt for the payment and one for its refund");
  assert.match(await outbox.first().textContent(), /Refund of 12\.50 USD/);
  await outbox.first().locator("summary").click();
  assert.match(await outbox.first().locator("pre").textContent(), /Amount refunded: \$12\.50/);
  await assertAccessible(page, "receipts");
  await screenshot(page, "dashboard-receipts");
  const [receiptPage] = await Promise.all([context.waitForEvent("page"), outbox.first().locator("a.receipt-link").click()]);
  await receiptPage.waitForLoadState();
  assert.match(await receiptPage.textContent("h1"), /^Receipt from /);
  const receiptText = await receiptPage.textContent("main");
  assert.ok(receiptText.includes("$50.00"), receiptText);
  assert.ok(receiptText.includes("$12.50 refunded on"), receiptText);
  assert.ok(receiptText.includes("Visa •••• 4242"), receiptText);
  assert.ok(receiptText.includes("Order #7 <script>alert(1)</script>"), "escaped, shown as text");
  assert.ok(!receiptPage.url().includes("sk_"), "no key in the receipt's link");
  await assertAccessible(receiptPage, "receipt page");
  await screenshot(receiptPage, "receipt-page");
  await receiptPage.close();
  // The payment's page links its receipt too.
  await open(page, `#/payments/${payment.id}`);
  assert.equal(await page.locator("main dl a.receipt-link").count(), 1);

  // Webhooks: add an endpoint (its secret shown once), then delete it.
  assert.equal(await open(page, "#/webhooks"), "Webhooks");
  await page.fill("#endpoint-url", "http://127.0.0.1:9/hooks");
  await page.click("form[aria-label='Add an endpoint'] button[type=submit]");
  await page.waitForSelector("#endpoint-secret");
  assert.match(await page.textContent("#endpoint-secret"), /^whsec_/);
  assert.equal(await page.locator("main table").first().locator("text=http://127.0.0.1:9/hooks").count(), 1);
  await assertAccessible(page, "webhooks");
  await screenshot(page, "dashboard-webhooks");
  await page.click("main table button:has-text('Delete')");
  await page.click("main table button:has-text('Yes, delete')");
  await page.waitForFunction(() => !document.querySelector("main")?.textContent.includes("http://127.0.0.1:9/hooks"));
  assert.equal((await api(keys.sk, "GET", "/v1/webhook_endpoints")).body.data.length, 0);

  // Balance: per currency, the volume chart, transactions, payouts.
  assert.equal(await open(page, "#/balance"), "Balance");
  assert.equal(await page.locator(".chart svg rect").count(), 60, "30 days, captured and refunded");
  await assertAccessible(page, "balance");
  await screenshot(page, "dashboard-balance");

  // On a phone-sized screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await open(page, "#/payments");
  await assertAccessible(page, "payments (phone)");
  await screenshot(page, "dashboard-payments-phone");

  // The key was never in a URL or a cookie.
  assert.ok(!page.url().includes("sk_"));
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual(scriptErrors, []);

  // The live switch asks for the live key; then both modes switch back and forth.
  await page.click("#switch-mode");
  assert.equal(await heading(page), "Sign in to Paynectra");
  await page.fill("#key", keys.live);
  await page.click("button[type=submit]");
  await page.waitForSelector("header #sign-out");
  assert.equal(await page.textContent("#mode"), "Live data");
  assert.equal(await page.locator(`a[href="#/payments/${payment.id}"]`).count(), 0, "live data only");
  await page.click("#switch-mode");
  await page.waitForFunction(() => document.querySelector("#mode")?.textContent === "Test data");

  // Sign out forgets the keys.
  await page.click("#sign-out");
  assert.equal(await heading(page), "Sign in to Paynectra");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await context.close();
});

test("a restricted key sees the same pages without any write action", async () => {
  const payment = await paidPayment(keys.sk, { description: "Read only" });
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, keys.rk);
  assert.equal(await page.textContent("#key-kind"), "Restricted key: read only");
  await open(page, `#/payments/${payment.id}`);
  assert.equal(await page.textContent("#refundable"), "50.00 USD");
  assert.equal(await page.locator("#refund-form").count(), 0, "no refund action");
  assert.match(await page.textContent("main"), /payment\.succeeded/);
  await assertAccessible(page, "payment (restricted)");
  await screenshot(page, "dashboard-payment-restricted");
  assert.equal(await open(page, "#/webhooks"), "Webhooks");
  assert.equal(await page.locator("#endpoint-url").count(), 0, "no endpoint creation");
  assert.equal(await open(page, "#/balance"), "Balance");
  // The API refuses a write with it anyway.
  const write = await api(keys.rk, "POST", "/v1/refunds", { payment_id: payment.id });
  assert.equal(write.status, 403);
  assert.equal(write.body.error.code, "secret_key_required");
  await context.close();
});
