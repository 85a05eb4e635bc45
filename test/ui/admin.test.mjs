// Browser tests of the admin UI: the built Worker under `wrangler dev` (fresh local state),
// the fake upstream, and headless chromium driven by playwright-core. One admin walks through
// the whole console in order: first-run setup, sign-out and sign-in, keys, checks, tokens,
// settings, language, and leaves a screenshot of every page in build-output/screenshots/.
//
// Run after `cargo build -p fake-upstream && bash scripts/build.sh`:
//   node --test --test-concurrency=1 test/ui/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { root } from "../support/paths.mjs";
import { startUpstream } from "../support/upstream.mjs";
import { startGateway } from "../support/gateway.mjs";

const SHOTS = path.join(root, "build-output", "screenshots");
const README_SHOTS = path.join(root, "docs", "screenshots");
const SETUP_TOKEN = `ui-setup-${randomBytes(12).toString("hex")}`;
const ADMIN = { username: "ui-admin", password: "a long ui test password" };
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// Obviously fake keys in the real format (AIza + 35 of [0-9A-Za-z_-]); the last four
// characters differ so each masked form (AIza…tail) is distinct. The fake upstream rejects
// keys containing INVALID, so the check disables that one.
const fake = (body, tail) => `AIza${body}${"x".repeat(35 - body.length - tail.length)}${tail}`;
const K1 = fake("FAKE", "ui01");
const K2 = fake("FAKE", "ui02");
const K3 = fake("FAKE", "ui03");
const KBAD = fake("FAKEINVALID", "ui04");
const AQ = "AQ.FAKEuiAuthKey0123456789-_abcdef";
const FULL_KEYS = [K1, K2, K3, KBAD, AQ];
const MESSY = [
  "# keys collected from the team sheet, 2026-11",
  "name,key,notes",
  `prod,"${K1}",main account`,
  `GEMINI_API_KEY=${K2}`,
  `${K1}   <- pasted twice`,
  `{"backup": "${K3}", "dead": "${KBAD}"}`,
  `studio key: ${AQ}`,
  "- AIzaTRUNCATEDkey (cut short)",
  "project-123, https://example.com/docs, 2026-01-01",
].join("\n");

let up;
let gw;
let browser;
let context;
let page;
const pageErrors = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  up = await startUpstream();
  gw = await startGateway({ upstream: up.url, vars: { ADMIN_SETUP_TOKEN: SETUP_TOKEN } });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light", locale: "en-US" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: gw.url });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await gw?.stop();
  up?.stop();
});

/** Waits until no loading indicator is left, then saves a (full-page) screenshot. */
async function shot(p, name, { fullPage = true } = {}) {
  await p.waitForFunction(() => !document.querySelector("[data-testid=loading]"));
  await p.screenshot({ path: path.join(SHOTS, name), fullPage });
}

const byTestId = (id) => page.getByTestId(id);
const toast = (text) => page.getByTestId("toast").filter({ hasText: text }).first();

async function signIn(username, password) {
  await page.fill("#login-username", username);
  await page.fill("#login-password", password);
  await page.press("#login-password", "Enter");
}

test("first run: the setup page creates the first admin and signs in", async () => {
  await page.goto(gw.url + "/");
  await byTestId("setup-form").waitFor();
  assert.equal(new URL(page.url()).pathname, "/setup");
  await shot(page, "setup.png");

  // A wrong setup token is reported next to its field.
  await page.fill("#setup-token", "not-the-token");
  await page.fill("#setup-username", ADMIN.username);
  await page.fill("#setup-password", ADMIN.password);
  await page.fill("#setup-confirm", ADMIN.password);
  await byTestId("setup-submit").click();
  assert.match(await byTestId("field-error-setup-token").textContent(), /Wrong setup token/);

  await page.fill("#setup-token", SETUP_TOKEN);
  await page.press("#setup-confirm", "Enter");
  await byTestId("page-dashboard").waitFor();
  assert.equal(new URL(page.url()).pathname, "/");
  // The session cookie is HttpOnly: script cannot read it, and nothing secret is stored.
  assert.equal(await page.evaluate(() => document.cookie), "");
});

test("sign out leads to the sign-in page", async () => {
  await byTestId("sign-out").click();
  await byTestId("login-form").waitFor();
  assert.equal(new URL(page.url()).pathname, "/login");
  await shot(page, "login.png");
});

test("a wrong password is refused with a message", async () => {
  await signIn(ADMIN.username, "wrong password, certainly");
  const err = byTestId("login-error");
  await err.waitFor();
  assert.match(await err.textContent(), /Wrong username or password/);
  await shot(page, "login-error.png");
});

test("repeated failures are throttled with a countdown", async () => {
  // Throttling is per username, so a made-up name keeps the real admin usable.
  await page.fill("#login-username", "nobody-here");
  for (let i = 0; i < 10; i++) {
    await page.fill("#login-password", `wrong ${i}`);
    const answered = page.waitForResponse((r) => r.url().endsWith("/api/v1/auth/login"));
    await page.press("#login-password", "Enter");
    if ((await answered).status() === 429) break;
    await byTestId("login-submit").filter({ hasText: "Sign in" }).waitFor();
  }
  const err = byTestId("login-error").filter({ hasText: "Too many attempts" });
  await err.waitFor();
  assert.match(await err.textContent(), /try again in \d+ s/);
  assert.ok(await byTestId("login-submit").isDisabled());
  await shot(page, "login-throttled.png");
  // Another username is not blocked by this one's countdown.
  await page.fill("#login-username", ADMIN.username);
  assert.ok(await byTestId("login-submit").isEnabled());
});

test("sign in opens the dashboard", async () => {
  await signIn(ADMIN.username, ADMIN.password);
  await byTestId("page-dashboard").waitFor();
  await byTestId("nav-account").filter({ hasText: ADMIN.username }).waitFor();
});

test("import keys from messy text: added, duplicate and not-a-key counts", async () => {
  await byTestId("nav-keys").click();
  await byTestId("page-keys").waitFor();
  await byTestId("empty").waitFor();
  await byTestId("key-import").click();
  await byTestId("import-dialog").waitFor();
  await page.fill("#import-text", MESSY);
  const imported = page.waitForResponse((r) => r.url().endsWith("/api/v1/keys/import"));
  await byTestId("import-submit").click();
  assert.equal((await imported).status(), 200);
  await byTestId("import-result").waitFor();
  assert.match(await byTestId("import-added").textContent(), /^5 added/);
  assert.match(await byTestId("import-duplicate").textContent(), /^1 duplicate/);
  assert.match(await byTestId("import-not-a-key").textContent(), /^1 not/);
  // The pasted text is cleared once the keys are in the pool.
  assert.equal(await page.inputValue("#import-text"), "");
  await shot(page, "import.png");
  await byTestId("import-close").click();
  await byTestId("import-dialog").waitFor({ state: "detached" });
});

test("keys are masked in the table; full keys are nowhere in the page", async () => {
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=key-row-]").length === 5);
  const masked = await page.locator("[data-testid=key-masked]").allTextContents();
  for (const k of [K1, K2, K3, KBAD]) assert.ok(masked.includes(`AIza…${k.slice(-4)}`), `masked ${k.slice(-4)} shown`);
  assert.ok(masked.some((m) => m.startsWith("AQ.…")));
  const html = await page.content();
  for (const k of FULL_KEYS) assert.ok(!html.includes(k), "a full key is in the page HTML");
  assert.ok(!/AIza[0-9A-Za-z_-]{35}/.test(html));
});

test("export is an explicit download; the keys appear in the file, not in the page", async () => {
  await byTestId("key-export").click();
  await byTestId("export-dialog").waitFor();
  const [download] = await Promise.all([page.waitForEvent("download"), byTestId("export-txt").click()]);
  assert.equal(download.suggestedFilename(), "poise-keys.txt");
  const text = readFileSync(await download.path(), "utf8");
  assert.deepEqual(text.trim().split("\n").sort(), [...FULL_KEYS].sort());
  await byTestId("export-dialog").waitFor({ state: "detached" });
  const html = await page.content();
  for (const k of FULL_KEYS) assert.ok(!html.includes(k), "an exported key leaked into the page");
});

test("a bulk check runs to the end with a progress bar", async () => {
  const started = page.waitForResponse((r) => r.url().endsWith("/api/v1/keys/checks") && r.request().method() === "POST");
  await byTestId("check-all").click();
  assert.equal((await started).status(), 202);
  await byTestId("check-progress").waitFor();
  await page.locator("[data-testid=check-job][data-finished=true]").waitFor();
  const bar = page.locator("[data-testid=check-progress] [role=progressbar]");
  assert.equal(await bar.getAttribute("aria-valuenow"), "5");
  assert.equal(await bar.getAttribute("aria-valuemax"), "5");
  assert.match(await byTestId("check-done").textContent(), /4 ok, 1 failed/);
  // The dead key shows as disabled by the pool once the list reloads.
  const badRow = page.locator("[data-testid^=key-row-]").filter({ hasText: KBAD.slice(-4) });
  await badRow.locator(".badge.bad").waitFor();
  await shot(page, "keys.png");
});

test("key detail shows the state and the audit trail", async () => {
  await page.locator("[data-testid^=key-row-]").filter({ hasText: K1.slice(-4) }).locator("a").click();
  await byTestId("page-key-detail").waitFor();
  await byTestId("key-events").waitFor();
  const events = await byTestId("key-events").textContent();
  assert.match(events, /checked/);
  assert.ok(!(await page.content()).includes(K1));
  await shot(page, "key-detail.png");
});

test("create a client token, copy it from the dialog, and call the proxy with it", async () => {
  await byTestId("nav-tokens").click();
  await byTestId("page-tokens").waitFor();
  await page.fill("#token-name", "ui test app");
  await page.press("#token-name", "Enter");
  await byTestId("issued-dialog").waitFor();
  const token = (await byTestId("issued-token").textContent()).trim();
  assert.ok(token.length >= 20, `token looks like a secret: ${token.length} chars`);
  await byTestId("copy-token").click();
  await page.getByText("Copied to the clipboard").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  await shot(page, "token-issued.png");
  await byTestId("issued-done").click();
  await byTestId("issued-dialog").waitFor({ state: "detached" });
  // Shown once: after the dialog closes the secret is gone from the page.
  assert.ok(!(await page.content()).includes(token));
  await page.locator("[data-testid^=token-row-]").filter({ hasText: "ui test app" }).waitFor();

  const r = await fetch(gw.url + "/v1beta/models/gemini-2.5-flash:generateContent", {
    method: "POST",
    headers: { "x-goog-api-key": token, "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(r.status, 200, await r.text());
});

test("token limits are edited in a dialog, with the server's validation inline", async () => {
  const row = page.locator("[data-testid^=token-row-]").filter({ hasText: "ui test app" });
  await row.locator("[data-testid^=token-edit-]").click();
  await byTestId("token-edit-dialog").waitFor();
  await page.fill("#edit-token-rpm", "0");
  await byTestId("token-edit-save").click();
  const err = byTestId("field-error-edit-token-rpm");
  await err.waitFor();
  assert.match(await err.textContent(), /at least 1/);
  await page.fill("#edit-token-rpm", "600");
  await page.fill("#edit-token-models", "gemini-2.5-*");
  await page.press("#edit-token-rpm", "Enter");
  await byTestId("token-edit-dialog").waitFor({ state: "detached" });
  await row.filter({ hasText: "600/min" }).filter({ hasText: "gemini-2.5-*" }).waitFor();
  await shot(page, "tokens.png");
});

test("settings: a valid change is saved, an invalid one is shown next to its field", async () => {
  await byTestId("nav-config").click();
  await byTestId("config-form").waitFor();
  assert.equal(await page.inputValue("#cfg-max_attempts"), "3");
  await page.fill("#cfg-max_attempts", "5");
  const saved = page.waitForResponse((r) => r.url().endsWith("/api/v1/config") && r.request().method() === "PATCH");
  await byTestId("config-save").click();
  assert.equal((await saved).status(), 200);
  await toast("Saved").waitFor();
  await byTestId("cfg-overridden-max_attempts").waitFor();

  await page.reload();
  await byTestId("config-form").waitFor();
  assert.equal(await page.inputValue("#cfg-max_attempts"), "5");

  await page.fill("#cfg-max_attempts", "0");
  await byTestId("config-save").click();
  const err = byTestId("field-error-cfg-max_attempts");
  await err.waitFor();
  assert.match(await err.textContent(), /1 to 10/);
  assert.equal(await page.getAttribute("#cfg-max_attempts", "aria-invalid"), "true");
  // The save bar is sticky, so the viewport shows the page as an admin sees it.
  await shot(page, "config.png", { fullPage: false });
});

test("admins and password pages", async () => {
  await byTestId("nav-admins").click();
  await byTestId("admins-table").waitFor();
  await byTestId(`admin-row-${ADMIN.username}`).waitFor();
  await shot(page, "admins.png");
  await byTestId("nav-account").click();
  await byTestId("password-form").waitFor();
  await shot(page, "password.png");
});

test("dashboard shows the pool, the quota reset countdown and the token count", async () => {
  await byTestId("nav-dashboard").click();
  await byTestId("pool-chart").waitFor();
  assert.equal((await byTestId("stat-total").textContent()).replace(/\D/g, ""), "5");
  assert.equal((await byTestId("stat-active").textContent()).replace(/\D/g, ""), "4");
  assert.equal((await byTestId("stat-disabled").textContent()).replace(/\D/g, ""), "1");
  assert.match(await byTestId("quota-reset").textContent(), /\d+:\d\d:\d\d/);
  await byTestId("token-count").filter({ hasText: "1 (1 enabled)" }).waitFor();
  await shot(page, "dashboard.png");
  mkdirSync(README_SHOTS, { recursive: true });
  for (const name of ["dashboard.png", "keys.png"]) copyFileSync(path.join(SHOTS, name), path.join(README_SHOTS, name));
});

test("the keys page works at 390 px wide", async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
    storageState: await context.storageState(), colorScheme: "light", locale: "en-US" });
  try {
    const p = await phone.newPage();
    await p.goto(gw.url + "/keys");
    await p.waitForFunction(() => document.querySelectorAll("[data-testid^=key-row-]").length === 5);
    // The table scrolls inside its wrapper; the page itself does not scroll sideways.
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390));
    await shot(p, "keys-390.png");
  } finally {
    await phone.close();
  }
});

test("dark theme", async () => {
  await byTestId("theme-toggle").click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await shot(page, "dashboard-dark.png");
  await byTestId("theme-toggle").click();
  assert.equal(await page.evaluate(() => localStorage.getItem("poise.theme")), "light");
});

test("switching to Chinese translates the UI and survives a reload", async () => {
  await page.selectOption("[data-testid=lang-select]", "zh");
  await byTestId("nav-dashboard").filter({ hasText: "仪表盘" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
  await page.reload();
  await byTestId("nav-keys").filter({ hasText: "密钥" }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("poise.lang")), "zh");
  await byTestId("pool-chart").waitFor();
  await shot(page, "dashboard-zh.png");
  // Only preferences live in localStorage.
  const stored = await page.evaluate(() => Object.keys(localStorage).sort());
  assert.deepEqual(stored, ["poise.lang", "poise.theme"]);
});

test("an ended session sends the admin to sign-in with a notice", async () => {
  await context.clearCookies();
  await byTestId("nav-keys").click();
  await byTestId("session-expired").waitFor();
  assert.equal(new URL(page.url()).pathname, "/login");
  await signIn(ADMIN.username, ADMIN.password);
  await byTestId("page-dashboard").waitFor();
});

test("sign out returns to the sign-in page, and the session is gone", async () => {
  await byTestId("sign-out").click();
  await byTestId("login-form").waitFor();
  assert.equal(await page.locator("h1").textContent(), "登录");
  await page.goto(gw.url + "/keys");
  await byTestId("login-form").waitFor();
  assert.equal(new URL(page.url()).pathname, "/login");
});

test("no uncaught errors in the page", () => {
  assert.deepEqual(pageErrors, []);
});
