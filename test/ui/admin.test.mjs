// Browser tests of the admin UI: the built Worker under `wrangler dev` (fresh local state),
// the fake upstream, and headless chromium driven by playwright-core. One admin walks through
// the whole console in order: first-run setup, sign-out and sign-in, keys, checks, tokens, the
// request log (a proxied call, its attempts, the CSV export), a key's live state, settings,
// the dashboard's charts, language, and leaves a screenshot of every page in
// build-output/screenshots/.
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
/** The proxied call made with the client token: its `x-request-id`. */
let requestId;
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

/** Closes the toasts still showing (from earlier steps), so a screenshot shows only its page. */
async function dismissToasts(p) {
  for (const close of await p.locator("[data-testid=toast] button").all()) await close.click().catch(() => {});
}

/** Waits until no loading indicator is left, then saves a (full-page) screenshot. */
async function shot(p, name, { fullPage = true } = {}) {
  await p.waitForFunction(() => !document.querySelector("[data-testid=loading]"));
  await p.screenshot({ path: path.join(SHOTS, name), fullPage });
}

const byTestId = (id) => page.getByTestId(id);

/**
 * Calls `attempt` until it returns something truthy, at most `timeoutMs`: for what the Worker
 * writes just after a response (the request log, `waitUntil`).
 */
async function eventually(what, attempt, { timeoutMs = 20_000, everyMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
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
  // The export needs the password again.
  await page.fill("#export-password", ADMIN.password);
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

  // The first key tried answers with a daily-quota 429; the gateway retries on another key.
  await up.rules([{ times: 1, reply: { preset: "quota_rpd" }, name: "ui: first attempt over the daily quota" }]);
  const r = await fetch(gw.url + "/v1beta/models/gemini-2.5-flash:generateContent", {
    method: "POST",
    headers: { "x-goog-api-key": token, "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(r.status, 200, await r.text());
  requestId = r.headers.get("x-request-id");
  assert.ok(requestId, "the proxy names its request");
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

test("the request log lists the proxied call and filters by request id and status", async () => {
  await byTestId("nav-logs").click();
  await byTestId("page-logs").waitFor();
  const row = page.locator(`[data-testid="log-row-${requestId}"]`);
  // The row is written after the response: refresh the list until it shows up.
  await eventually("the proxied call in the request log", async () => {
    if (await row.count()) return true;
    await page.locator("[data-testid=logs-refresh]:not([disabled])").click();
    await page.locator("[data-testid=logs-refresh]:not([disabled])").waitFor();
    return (await row.count()) > 0;
  });
  assert.equal(await row.getByTestId("log-status").textContent(), "200");
  const text = await row.textContent();
  assert.match(text, /gemini-2\.5-flash/);
  assert.match(text, /ui test app/);
  assert.equal((await row.locator("td").nth(9).textContent()).trim(), "2", "two attempts");
  await dismissToasts(page);
  await shot(page, "logs.png");

  // A request id narrows the list to that one request, and is kept in the URL.
  await page.fill("#log-request-id", requestId);
  await page.press("#log-request-id", "Enter");
  await page.waitForURL((u) => u.searchParams.get("request_id") === requestId);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=log-row-]").length === 1);
  // No server error in the log: the 5xx filter shows the empty state.
  await page.selectOption("#log-status", "5xx");
  await page.waitForURL((u) => u.searchParams.get("status") === "5xx");
  await byTestId("empty").waitFor();
  await byTestId("log-reset").click();
  await page.waitForURL((u) => u.search === "");
  await row.waitFor();
});

test("a request's detail shows each attempt with its reason", async () => {
  const row = page.locator(`[data-testid="log-row-${requestId}"]`);
  await row.getByTestId("log-open").click();
  const dialog = byTestId("log-detail");
  await dialog.waitFor();
  await dialog.getByTestId("log-attempts").waitFor();
  assert.equal(await dialog.getByTestId("log-request-id").textContent(), requestId);
  const attempts = dialog.getByTestId("log-attempt");
  assert.equal(await attempts.count(), 2);
  assert.equal(await attempts.nth(0).getAttribute("data-class"), "quota_day");
  assert.match(await attempts.nth(0).textContent(), /429.*daily quota/);
  assert.equal(await attempts.nth(1).getAttribute("data-class"), "");
  assert.match(await attempts.nth(1).textContent(), /200.*OK/);
  await shot(page, "log-detail.png", { fullPage: false });

  // The permalink opens the same request on its own page.
  await dialog.getByTestId("log-permalink").click();
  await byTestId("page-log-detail").waitFor();
  assert.match(new URL(page.url()).pathname, /^\/logs\/\d+$/);
  assert.equal(await byTestId("log-request-id").textContent(), requestId);
});

test("the CSV export of the current filters downloads the request", async () => {
  await byTestId("nav-logs").click();
  await page.locator(`[data-testid="log-row-${requestId}"]`).waitFor();
  await page.selectOption("#log-range", "1h");
  await page.waitForURL((u) => u.searchParams.get("range") === "1h");
  const href = await byTestId("logs-export").getAttribute("href");
  assert.match(href, /^\/api\/v1\/logs\/export\.csv\?from=\d+$/);
  // The same request the browser makes for the link, with the page's session cookie.
  const r = await page.request.get(gw.url + href);
  assert.equal(r.status(), 200);
  assert.match(r.headers()["content-type"], /^text\/csv/);
  const csv = await r.text();
  assert.match(csv, /^id,request_id,at,/);
  assert.ok(csv.includes(requestId), "the exported rows include the proxied call");
  // Without the session the export is refused.
  const anonymous = await fetch(gw.url + href);
  assert.equal(anonymous.status, 401);
});

test("the key that hit the quota shows its cooldown in its live state", async () => {
  await page.locator(`[data-testid="log-row-${requestId}"]`).getByTestId("log-open").click();
  const first = byTestId("log-detail").getByTestId("log-attempt").first();
  await first.waitFor();
  await first.locator("a").click();
  await byTestId("page-key-detail").waitFor();
  const cooldown = byTestId("key-live").locator("[data-testid=key-cooldown][data-model='gemini-2.5-flash']");
  await cooldown.waitFor();
  assert.match(await cooldown.textContent(), /this key.*daily quota.*GenerateRequestsPerDay/);
  assert.match(await byTestId("key-failures").textContent(), /^\d+$/);
  await shot(page, "key-state.png");
  // From there, the log of that key's requests.
  await byTestId("key-logs-link").click();
  await byTestId("page-logs").waitFor();
  assert.ok(new URL(page.url()).searchParams.get("key_id"));
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
  // The charts: the proxied call is counted once its hourly rollup is in (written with the row).
  await eventually("the proxied call in the requests chart", async () => {
    const chart = byTestId("chart-requests");
    await chart.waitFor();
    if (Number(await chart.getAttribute("data-total")) >= 1) return true;
    await page.reload();
    return false;
  });
  assert.match(await byTestId("chart-requests").getAttribute("aria-labelledby"), /chart-requests-title/);
  assert.match(await page.locator("#chart-requests-title").textContent(), /Requests, last 24 h/);
  assert.ok(Number(await byTestId("chart-tokens").getAttribute("data-total")) > 0, "tokens per day");
  assert.ok(Number(await byTestId("chart-latency").getAttribute("data-points")) >= 1, "a latency point");
  await byTestId("top-tokens").filter({ hasText: "ui test app" }).waitFor();
  await byTestId("top-models").filter({ hasText: "gemini-2.5-flash" }).waitFor();
  // Per model: the key that hit its daily quota is cooling for gemini-2.5-flash.
  const flash = byTestId("pool-per-model").locator("li").filter({ hasText: "gemini-2.5-flash" });
  assert.match(await flash.textContent(), /3 of 4 available.*1 cooling/);
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

test("the request log and the dashboard work at 390 px wide", async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
    storageState: await context.storageState(), colorScheme: "light", locale: "en-US" });
  try {
    const p = await phone.newPage();
    await p.goto(gw.url + "/logs");
    await p.locator(`[data-testid="log-row-${requestId}"]`).waitFor();
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390), "no sideways scroll on /logs");
    await shot(p, "logs-390.png");
    await p.goto(gw.url + "/");
    await p.getByTestId("chart-requests").waitFor();
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390), "no sideways scroll on the dashboard");
    await shot(p, "dashboard-390.png");
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
