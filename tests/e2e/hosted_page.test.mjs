// The hosted payment page, driven in headless Chromium through the local
// stack: pay with a test card, survive a decline, land on return_url.
// scripts/e2e.sh starts the stack and sets PAYNECTRA_E2E_BASE/_SK/_PK.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { api as call, base, keys, launch } from "./harness.mjs";

const pk = keys.pk;

let browser;
let receiver;
let receiverUrl;

before(async () => {
  // The merchant's return_url: a real HTTP server on loopback.
  receiver = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<h1>Back at the shop</h1>");
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

const api = (method, path, body) => call(keys.sk, method, path, body);

async function newPayment(extra = {}) {
  const r = await api("POST", "/v1/payments", {
    amount: 4999,
    currency: "usd",
    description: "Order #6735 <b>not bold</b>",
    return_url: `${receiverUrl}/done?order=6735`,
    ...extra,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

function pageUrl(payment, secret = payment.client_secret) {
  return `${base}/pay/${payment.id}?key=${encodeURIComponent(pk)}&client_secret=${encodeURIComponent(secret)}`;
}

async function pay(page, number) {
  await page.fill("#number", number);
  await page.fill("#expiry", "12/34");
  await page.fill("#cvc", "123");
  await page.click("#pay");
}

test("pays with 4242 4242 4242 4242 and returns to return_url", async () => {
  const payment = await newPayment();
  const page = await browser.newPage();
  await page.goto(pageUrl(payment));
  assert.equal(await page.textContent("h1"), "Order #6735 <b>not bold</b>", "the description, escaped");
  assert.equal(await page.textContent(".amount"), "$49.99");
  assert.equal(await page.getAttribute("#number", "autocomplete"), "cc-number");
  await pay(page, "4242 4242 4242 4242");
  await page.waitForURL((url) => url.href.startsWith(receiverUrl), { timeout: 15000 });
  const back = new URL(page.url());
  assert.equal(back.pathname, "/done");
  assert.equal(back.searchParams.get("order"), "6735", "the merchant's own query is kept");
  assert.equal(back.searchParams.get("payment_id"), payment.id);
  assert.equal(back.searchParams.get("status"), "succeeded");
  const read = await api("GET", `/v1/payments/${payment.id}`);
  assert.equal(read.body.status, "succeeded");
  assert.equal(read.body.amount_received, 4999);
  await page.close();
});

test("a decline shows a readable message, and another try succeeds", async () => {
  const payment = await newPayment({ amount: 1500, currency: "eur" });
  const page = await browser.newPage();
  await page.goto(pageUrl(payment));
  assert.equal(await page.textContent(".amount"), "€15.00");
  await pay(page, "4000000000009995");
  await page.waitForSelector("#status.error", { timeout: 15000 });
  assert.match(await page.textContent("#status"), /insufficient funds/i);
  assert.equal(await page.isEnabled("#pay"), true, "the form can be used again");
  assert.equal((await api("GET", `/v1/payments/${payment.id}`)).body.status, "failed");
  await pay(page, "4242424242424242");
  await page.waitForURL((url) => url.href.startsWith(receiverUrl), { timeout: 15000 });
  assert.equal(new URL(page.url()).searchParams.get("status"), "succeeded");
  await page.close();
});

test("another customer's page cannot be opened without its client secret", async () => {
  const payment = await newPayment();
  const page = await browser.newPage();
  const res = await page.goto(pageUrl(payment, `${payment.id}_secret_guess`));
  assert.equal(res.status(), 404);
  assert.match(await page.textContent("h1"), /not valid/);
  assert.equal(await page.$("#payment-form"), null);
  await page.close();
});
