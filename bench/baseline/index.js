// The benchmark's baseline: a bare pass-through Worker. It forwards every request, unchanged,
// to env.UPSTREAM (the fake upstream) and streams the reply back. The gateway's overhead is
// measured against this, under the same wrangler dev / workerd.
export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    // The floor of the wrangler dev / workerd plumbing, with no upstream call (diagnostics).
    if (url.pathname === "/__bench/local") return new Response("ok");
    return fetch(env.UPSTREAM + url.pathname + url.search, req);
  },
};
