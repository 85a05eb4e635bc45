//! This isolate's cache of what `load_context` reads from D1: token rows by hash (and unknown
//! hashes), the effective config and the usable keys, over `poise_core::cache::EdgeCache`
//! (the freshness rules, staleness bound and outage behaviour are documented there).
//!
//! A warm isolate answers `load_context` without touching D1; a stale entry is refreshed in
//! the background (`waitUntil`, single flight), so no request waits on a refresh. An admin
//! change invalidates everything in the isolate that made it ([`invalidate`]); other isolates
//! see it within `cache_bound_ms`. `cache_bound_ms = 0` bypasses the cache.

use crate::store::{self, keys::PoolKey, settings, tokens::TokenRow};
use poise_core::cache::{EdgeCache, Settings};
use poise_core::config::Config;
use poise_core::cost::Counters;
use std::cell::RefCell;
use std::rc::Rc;
use worker::{console_error, Context, Env};

type Edge = EdgeCache<TokenRow, Rc<Config>, Rc<Vec<PoolKey>>>;

thread_local! {
    /// The cache and the staleness bound it was built with.
    static EDGE: RefCell<Option<(u64, Edge)>> = const { RefCell::new(None) };
}

/// What `load_context` needs for a token: its row (`None`: unknown), the config and the keys.
pub struct Loaded {
    pub token: Option<TokenRow>,
    pub config: Rc<Config>,
    pub keys: Rc<Vec<PoolKey>>,
}

/// Forgets everything this isolate cached (after an admin change, a key disabled by the pool,
/// a cron run), so the change takes effect here at once.
pub fn invalidate() {
    EDGE.with(|e| {
        if let Some((_, edge)) = e.borrow_mut().as_mut() {
            edge.invalidate_all();
        }
    });
}

/// The token row, config and keys: from the cache when it has all three (starting a
/// background refresh when one is due), else from one D1 batch that fills the cache.
/// `d1` counts the queries the caller waited on.
pub async fn load(env: &Env, ctx: &Context, hash: &str, now: u64, d1: &mut Counters) -> worker::Result<Loaded> {
    let cached = EDGE.with(|e| {
        let mut e = e.borrow_mut();
        let (_, edge) = e.as_mut()?;
        let token = edge.token(hash, now);
        let config = edge.config(now);
        let keys = edge.pool(now);
        let refresh = token.refresh_due() || config.refresh_due() || keys.refresh_due();
        Some((token.value()?, config.value()?, keys.value()?, refresh))
    });
    if let Some((token, config, keys, refresh)) = cached {
        if refresh {
            let (env2, hash2) = (env.clone(), hash.to_string());
            ctx.wait_until(async move {
                let mut ignored = Counters::default();
                if let Err(e) = fetch(&env2, &hash2, now, &mut ignored).await {
                    console_error!("cache refresh failed: {}", e);
                }
            });
        }
        return Ok(Loaded { token, config, keys });
    }
    fetch(env, hash, now, d1).await
}

/// Reads token, config and keys in one D1 batch and stores them (tickets taken before the read,
/// so a value is never younger than its load).
async fn fetch(env: &Env, hash: &str, now: u64, d1: &mut Counters) -> worker::Result<Loaded> {
    let tickets = EDGE.with(|e| {
        e.borrow().as_ref().map(|(_, edge)| (edge.token_ticket(now), edge.config.ticket(now), edge.pool.ticket(now)))
    });
    let read = async {
        let db = store::db(env)?;
        let stmts = vec![store::tokens::by_hash(&db, hash)?, settings::all(&db), store::keys::usable(&db)];
        let results = db.batch(stmts).await?;
        for r in &results {
            let meta = r.meta().ok().flatten();
            let (read, written) = meta.map_or((0, 0), |m| (m.rows_read.unwrap_or(0), m.rows_written.unwrap_or(0)));
            d1.d1(read as u64, written as u64);
        }
        let token = results[0].results::<TokenRow>()?.into_iter().next();
        let config = Rc::new(settings::effective(env, &results[1])?);
        let keys = Rc::new(results[2].results::<PoolKey>()?);
        Ok::<_, worker::Error>(Loaded { token, config, keys })
    };
    let loaded = match read.await {
        Ok(l) => l,
        Err(e) => {
            EDGE.with(|c| c.borrow_mut().as_mut().map(|(_, edge)| edge.mark_backend_down(now)));
            return Err(e);
        }
    };
    store_loaded(&loaded, hash, tickets, now);
    Ok(loaded)
}

fn store_loaded(l: &Loaded, hash: &str, tickets: Option<Tickets>, now: u64) {
    let bound = l.config.cache_bound_ms;
    EDGE.with(|e| {
        let mut e = e.borrow_mut();
        if bound == 0 {
            *e = None;
            return;
        }
        let rebuilt = !matches!(e.as_ref(), Some((b, _)) if *b == bound);
        if rebuilt {
            *e = Some((bound, Edge::new(Settings { bound_ms: bound, ..Settings::default() })));
        }
        let Some((_, edge)) = e.as_mut() else { return };
        edge.mark_backend_up();
        // A fresh cache has no earlier invalidation: tickets from now are as good as any.
        let (t, c, p) = match tickets.filter(|_| !rebuilt) {
            Some(t) => t,
            None => (edge.token_ticket(now), edge.config.ticket(now), edge.pool.ticket(now)),
        };
        edge.insert_token(hash, l.token.clone(), t);
        edge.insert_config(l.config.clone(), c);
        edge.insert_pool(l.keys.clone(), p);
    });
}

type Tickets = (poise_core::cache::edge::TokenTicket, poise_core::cache::Ticket, poise_core::cache::Ticket);
