// The Tenpoint loader; the contract is widget/README.md. It runs on every page of the host
// site: it stays small, watches only what the config asks for, and no exception of ours may
// reach the host page.
// The build wraps it in (function(){ glob.js + loader.js })() and minifies it token by token,
// without renaming: no module syntax, no regex literals or template strings, explicit
// semicolons.

const W = window, D = document;
const warn = m => console.warn('tenpoint:', m);
const safe = f => function () {
  try {
    return f.apply(this, arguments);
  } catch (e) {
    warn(e);
  }
};
const on = (target, type, f, opts) => target.addEventListener(type, safe(f), opts);
const now = () => Date.now();
const isObj = o => o != null && typeof o == 'object';
// A data-* switch: present and not "false".
const flag = v => v != null && v != 'false';
// Only what the survey rules compare: strings, finite numbers, booleans.
const scalars = o => {
  const r = {};
  for (const k of Object.keys(o)) {
    const v = o[k], t = typeof v;
    if (t == 'string' || t == 'boolean' || (t == 'number' && isFinite(v))) r[k] = v;
  }
  return r;
};

function main() {
  const me = D.currentScript || D.querySelector('script[data-site][src*="widget.js"]');
  const ds = (me && me.dataset) || {};
  const site = ds.site;
  const old = W.tenpoint;
  if (old && old.loaded) return;
  if (!site) return warn('data-site missing');
  // The script's folder, without widget.js and any ?query: a path prefix keeps working.
  const base = new URL('.', me.src).href;
  const key = 'tenpoint:' + site;
  const needConsent = flag(ds.requireConsent);
  // Blocked storage throws on any access: treat it as empty.
  const stored = () => {
    try {
      return JSON.parse(localStorage.getItem(key)) || {};
    } catch (e) {
      return {};
    }
  };
  const forget = () => {
    try {
      localStorage.removeItem(key);
    } catch (e) {}
  };

  let ok = !needConsent || stored().consent === true;
  let cfg, surveys, fetching, app, state; // state: 1 loading the app, 2 gave up for this page
  let watch = {}; // kind -> the distinct trigger values of that kind
  let held = []; // track/show waiting for consent and the config
  let queue = []; // app calls waiting for the app
  let attrs = {};

  // `tenpoint.signals` counts the signals seen, `tenpoint.decided` those decided, by the
  // loader alone or by the app: a task later, so that a survey the app chose to show at once
  // is on the page by then. When the two are equal, nothing is pending: tests wait on that
  // instead of on the clock (widget/README.md).
  const decided = () => setTimeout(() => tenpoint.decided++);
  const call = (method, ...args) => {
    if (app) {
      try {
        app[method](...args);
      } catch (e) {
        warn(e);
      }
    } else if (state == 1) return queue.push([method, args]);
    if (method == 'signal') decided();
  };
  // Calls waiting for the app that will never run: their signals are decided (dropped).
  const drop = () => {
    queue.forEach(c => c[0] == 'signal' && decided());
    queue = [];
  };

  // More permissive than the app's rules on purpose (no exclude, no audience): it has the
  // last word. The path is tried both as the browser gives it and percent-decoded.
  const could = (kind, arg) => {
    const p = location.pathname;
    let dp = p;
    try {
      dp = decodeURI(p);
    } catch (e) {}
    return surveys.some(s => {
      const t = s.trigger || {}, want = (t.on || {})[kind], inc = (t.pages || {}).include || [];
      return want != null &&
        (isObj(want) || (typeof want == 'number' ? arg >= want : arg === want)) &&
        (!inc.length || inc.some(g => globMatch(g, p) || globMatch(g, dp)));
    });
  };

  const load = async () => {
    if (state) return;
    state = 1;
    const attributes = Object.assign({}, attrs);
    try {
      const m = await import(base + "__TENPOINT_APP_JS__");
      await m.default({ module_or_path: base + "__TENPOINT_APP_WASM__" });
      // Consent withdrawn while loading: start nothing; a later signal may load again.
      if (!ok) state = 0;
      else app = m.start(JSON.stringify({
        base,
        site,
        config: cfg,
        locale: ds.locale || D.documentElement.lang || navigator.language || cfg.default_locale,
        location: ds.location || null,
        channel: ds.channel || null,
        device: matchMedia('(pointer: coarse)').matches
          ? (Math.min(screen.width, screen.height) < 600 ? 'mobile' : 'tablet')
          : 'desktop',
        attributes,
        consent: needConsent && ok,
        // data-debug: the app logs why each survey stays hidden (widget/src/init.rs).
        debug: flag(ds.debug)
      }));
      const q = queue;
      queue = [];
      q.forEach(c => call(c[0], ...c[1]));
    } catch (e) {
      // Typically a CSP without 'wasm-unsafe-eval'. Not retried on this page.
      warn('app failed: ' + e);
      state = 2;
    }
    drop();
  };

  const signal = (kind, arg, props) => {
    tenpoint.signals++;
    if (!ok || !watch[kind]) return decided();
    if (!app && !state && could(kind, arg)) load();
    call('signal', kind, arg, props && JSON.stringify(props));
  };

  const flush = () => {
    const h = held;
    held = [];
    h.forEach(f => f());
  };

  // Per-page trackers, reset by each page view.
  let href, maxDepth, exited, visibleMs, since, timer, nextTime, frame;
  let depths = [], times = [];

  // Fires the time thresholds reached so far, then sleeps until the next one: no polling.
  const tick = () => {
    clearTimeout(timer);
    if (since == null) return;
    const s = (visibleMs + now() - since) / 1000;
    while (nextTime < times.length && times[nextTime] <= s) signal('time_on_page', times[nextTime++]);
    if (nextTime < times.length) timer = setTimeout(safe(tick), (times[nextTime] - s) * 1000);
  };
  // Visible time is visibleMs plus, while visible, the time since `since`.
  const visibility = () => {
    if (since != null) visibleMs += now() - since;
    since = D.hidden ? null : now();
    tick();
  };
  const pageView = () => {
    href = location.href;
    maxDepth = exited = visibleMs = nextTime = 0;
    since = null;
    visibility();
    signal('page_view');
  };
  const navigated = safe(() => location.href != href && pageView());

  const click = e => {
    let el = e.target;
    if (el && el.nodeType != 1) el = el.parentElement;
    if (!el || !el.closest) return;
    for (const sel of watch.click || []) {
      let hit;
      try {
        hit = el.closest(sel);
      } catch (x) {} // an invalid selector never matches
      if (hit) signal('click', sel);
    }
    const ev = el.closest('[data-tenpoint-event]');
    if (ev && ev.dataset.tenpointEvent) signal('event', ev.dataset.tenpointEvent, {});
  };

  const scrolled = () => {
    frame = 0;
    const d = Math.min(100, Math.round((scrollY + innerHeight) / D.documentElement.scrollHeight * 100));
    if (d > maxDepth) {
      const crossed = depths.some(t => t > maxDepth && t <= d);
      maxDepth = d;
      if (crossed) signal('scroll_depth', d);
    }
  };

  const start = async () => {
    if (fetching) return;
    fetching = 1;
    try {
      const r = await fetch(base + 'v1/sites/' + encodeURIComponent(site) + '/config');
      if (!r.ok) throw 'HTTP ' + r.status;
      cfg = await r.json();
      surveys = cfg.surveys || [];
      for (const s of surveys) {
        const o = (s.trigger || {}).on || {};
        for (const k of ['page_view', 'click', 'scroll_depth', 'time_on_page', 'exit_intent', 'event']) {
          const v = o[k];
          if (v != null && !(watch[k] = watch[k] || []).includes(v)) watch[k].push(v);
        }
      }
      depths = watch.scroll_depth || [];
      times = (watch.time_on_page || []).sort((a, b) => a - b);
      if (watch.click || watch.event) on(D, 'click', click, true);
      if (depths.length) on(W, 'scroll', () => (frame = frame || requestAnimationFrame(safe(scrolled))), { passive: true });
      if (times.length) on(D, 'visibilitychange', visibility);
      if (watch.exit_intent) {
        on(D, 'mouseout', e => {
          if (!e.relatedTarget && e.clientY <= 0 && !exited) {
            exited = 1;
            signal('exit_intent');
          }
        });
      }
      // Single-page apps: a new URL is a new page for every per-page tracker.
      if (watch.page_view || depths.length || times.length || watch.exit_intent) {
        for (const n of ['pushState', 'replaceState']) {
          const orig = history[n];
          history[n] = function () {
            const r = orig.apply(this, arguments);
            navigated();
            return r;
          };
        }
        on(W, 'popstate', navigated);
        on(W, 'hashchange', navigated);
      }
      pageView();
      // Answers saved while offline: the app delivers them.
      const outbox = stored().outbox;
      if (Array.isArray(outbox) && outbox.length) load();
      flush();
    } catch (e) {
      warn('no config: ' + e);
      // Stop quietly: nothing loads, and held calls flush into nothing from now on.
      cfg = cfg || {};
      state = 2;
      held = [];
    }
  };

  const tenpoint = (command, a, b) => {
    try {
      if (command == 'track' && typeof a == 'string' && a && (b == null || isObj(b))) {
        held.push(() => signal('event', a, scalars(b || {})));
      } else if (command == 'show' && typeof a == 'string') {
        held.push(() => {
          load();
          call('show', a);
        });
      } else if (command == 'identify' && isObj(a)) {
        Object.assign(attrs, scalars(a));
        if (ok) call('identify', JSON.stringify(attrs));
      } else if (command == 'consent' && typeof a == 'boolean') {
        if (!a) {
          // Withdrawn: forget the visitor and everything not yet sent.
          if (app) call('reset');
          else forget();
          held = [];
          drop();
          attrs = {};
        } else {
          // Remembered for later pages even when no survey loads the app on this one.
          try {
            const s = stored();
            s.consent = true;
            localStorage.setItem(key, JSON.stringify(s));
          } catch (e) {}
        }
        ok = a;
        if (ok) start();
      } else if (command == 'reset') {
        if (!app) forget();
        call('reset');
        attrs = {};
      } else {
        warn('bad call: ' + command);
      }
      if (ok && cfg) flush();
    } catch (e) {
      warn(e);
    }
  };
  tenpoint.loaded = true;
  tenpoint.signals = tenpoint.decided = 0;
  W.tenpoint = tenpoint;
  if (ok) start();
  // Calls made through the page's stub before we arrived, in order (the config is not here
  // yet, so nothing runs ahead of them).
  for (const args of (old && old.q) || []) tenpoint(...args);
}

try {
  main();
} catch (e) {
  warn(e);
}
