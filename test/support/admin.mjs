// A minimal admin API client with a cookie jar, for the end-to-end tests.

export class AdminClient {
  constructor(base) {
    this.base = base;
    this.cookie = null;
    this.lastSetCookie = null;
  }

  /** Sends a request; JSON bodies are encoded. Returns { status, headers, body }. */
  async call(method, path, body, { headers = {}, raw } = {}) {
    const h = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    let payload = raw;
    if (body !== undefined) {
      h["content-type"] ??= "application/json";
      payload = JSON.stringify(body);
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload });
    const set = r.headers.get("set-cookie");
    if (set) {
      this.lastSetCookie = set;
      const pair = set.split(";")[0];
      this.cookie = pair.endsWith("=") ? null : pair;
    }
    const text = await r.text();
    let parsed = text;
    try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, headers: r.headers, body: parsed, text };
  }

  get = (p, o) => this.call("GET", p, undefined, o);
  post = (p, b, o) => this.call("POST", p, b, o);
  patch = (p, b, o) => this.call("PATCH", p, b, o);
  del = (p, o) => this.call("DELETE", p, undefined, o);
}

export const SETUP_TOKEN = "e2e-setup-token-not-secret-0123456789";
export const ADMIN = { username: "root-admin", password: "correct horse battery staple" };

/** Creates the first admin and returns a signed-in client. */
export async function setupAdmin(base) {
  const c = new AdminClient(base);
  const r = await c.post("/api/v1/setup", { setup_token: SETUP_TOKEN, ...ADMIN });
  if (r.status !== 201) throw new Error(`setup failed: ${r.status} ${r.text}`);
  return c;
}
