// What the browser tests share: Debian's Chromium through playwright-core,
// the API as a merchant's server calls it, axe-core, and screenshots.
// scripts/e2e.sh starts the stack and sets the PAYNECTRA_E2E_* variables.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

export const base = process.env.PAYNECTRA_E2E_BASE;
export const keys = {
  sk: process.env.PAYNECTRA_E2E_SK,
  pk: process.env.PAYNECTRA_E2E_PK,
  rk: process.env.PAYNECTRA_E2E_RK,
  live: process.env.PAYNECTRA_E2E_LIVE_SK,
  other: process.env.PAYNECTRA_E2E_OTHER_SK,
};
assert.ok(base && keys.sk && keys.pk, "PAYNECTRA_E2E_BASE, _SK and _PK are set by scripts/e2e.sh");

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/// One API call with a key, as a merchant's server makes it.
export async function api(key, method, urlPath, body, idempotencyKey) {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const res = await fetch(base + urlPath, { method, headers, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.json() };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/// axe-core on the page as it is: no serious or critical violation. It is
/// evaluated through the DevTools protocol, so the page's CSP stays on.
export async function assertAccessible(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(bad, [], `${name}: axe-core violations`);
}

/// A full-page screenshot under target/e2e-screenshots, for a reviewer.
export async function screenshot(page, name) {
  const dir = process.env.PAYNECTRA_E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}
