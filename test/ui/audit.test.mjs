// Browser test of the admin audit trail (issue 12 item 4): the dashboard's recent activity
// shows the latest admin changes, and the Audit page lists them all, filters by action and
// admin, and speaks Chinese too. Headless chromium against the built Worker under wrangler dev.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";
import { SETUP_TOKEN, ADMIN, setupAdmin } from "../support/admin.mjs";

const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let up;
let gw;
let browser;
let page;
const pageErrors = [];

before(async () => {
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN, PASSWORD_HASH_ITERATIONS: "1000" } });
  // Some history, made through the API.
  const api = await setupAdmin(gw.url);
  const t = await api.post("/api/v1/tokens", { name: "ui audited app" });
  assert.equal(t.status, 201);
  assert.equal((await api.patch("/api/v1/config", { max_attempts: 4 })).status, 200);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await gw?.stop();
  up?.stop();
});

const byTestId = (id) => page.getByTestId(id);
const actionsShown = () => page.locator("[data-testid=audit-entry]").evaluateAll((els) => els.map((e) => e.dataset.action));

test("the dashboard's recent activity shows the latest admin changes", async () => {
  await page.goto(gw.url + "/login");
  await page.fill("#login-username", ADMIN.username);
  await page.fill("#login-password", ADMIN.password);
  await page.press("#login-password", "Enter");
  await byTestId("page-dashboard").waitFor();
  const recent = byTestId("recent-activity");
  await recent.locator("[data-testid=audit-entry]").first().waitFor();
  assert.deepEqual(await recent.locator("[data-testid=audit-entry]").evaluateAll((els) => els.map((e) => e.dataset.action)),
    ["config_updated", "token_created", "setup_done"]);
  const text = await recent.textContent();
  assert.match(text, /Settings changed/);
  assert.match(text, /"max_attempts":\{"new":4,"old":3\}|"max_attempts":\{"old":3,"new":4\}/);
  assert.match(text, /admin:root-admin/);
});

test("the audit page lists every change and filters by action and admin", async () => {
  await byTestId("nav-audit").click();
  await byTestId("page-audit").waitFor();
  await page.locator("[data-testid=audit-entry]").first().waitFor();
  assert.deepEqual(await actionsShown(), ["config_updated", "token_created", "setup_done"]);
  await page.selectOption("#audit-action", "token_created");
  await byTestId("audit-apply").click();
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=audit-entry]")].every((e) => e.dataset.action === "token_created"));
  assert.deepEqual(await actionsShown(), ["token_created"]);
  assert.match(await page.locator("[data-testid=audit-entry]").first().textContent(), /ui audited app/);
  // An admin that changed nothing: an empty trail.
  await page.selectOption("#audit-action", "");
  await page.fill("#audit-actor", "admin:nobody");
  await byTestId("audit-apply").click();
  await byTestId("audit-empty").waitFor();
  await page.fill("#audit-actor", `admin:${ADMIN.username}`);
  await byTestId("audit-apply").click();
  await page.locator("[data-testid=audit-entry]").first().waitFor();
  assert.deepEqual(await actionsShown(), ["config_updated", "token_created"]);
});

test("the audit page in Chinese", async () => {
  await page.selectOption("[data-testid=lang-select]", "zh");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  await page.fill("#audit-actor", "");
  await byTestId("audit-apply").click();
  await page.locator("[data-testid=audit-entry]").first().waitFor();
  const text = await byTestId("page-audit").textContent();
  assert.match(text, /审计/);
  assert.match(text, /修改了设置/);
  assert.match(text, /创建了令牌/);
  assert.deepEqual(pageErrors, []);
});
