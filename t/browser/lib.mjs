// Shared helpers of the browser scenarios (t/browser/*.mjs), run by
// t/browser.t: launch Debian's Chromium through playwright-core, make
// caller and agent contexts, reach into the widget's open shadow root,
// report each step as one JSON line that t/browser.t turns into one
// Test::More assertion.
//
// Environment (set by t/browser.t):
//   CC_BASE_URL        http://127.0.0.1:PORT (the demo site layout)
//   CC_AGENT_USER      an agent's user name (its id), e.g. alice
//   CC_AGENT_PASSWORD  its password (auth_basic)
//   CC_AGENT2_USER, CC_AGENT2_PASSWORD   a second agent
//   CC_ARTIFACTS       where screenshots go (created if missing)
//   CC_CHROMIUM        the browser (default /usr/bin/chromium)
//   CC_QUEUES_FILE     the router's --queues file (closed.mjs rewrites it)
//   CC_ROUTER_PID      the router, for SIGHUP after such a rewrite
//   CC_STEP_TIMEOUT    ms a step may wait for the page (default 15000)
//   CC_HEADED=1        show the windows (debugging at a desk)
//
// Output protocol, one JSON object per line on stdout:
//   {"step": NAME, "ok": true}
//   {"step": NAME, "ok": false, "error": TEXT}
//   {"diag": TEXT}
//   {"end": true, "ok": BOOL, "steps": N}   (always the last line)
// The first failed step ends the scenario (the next ones depend on it).
//
// t/browser.t runs every scenario (t/browser/*.mjs but this file), in name
// order, against one stack (redis, one router, nginx; agents alice and bob,
// both away at the start): a scenario ends its calls and sets its agents
// away again before it returns.  A new scenario:
//
//   import {scenario, env} from './lib.mjs';
//   await scenario('voice', async (s) => {
//     const agent = await (await s.agentContext(env.agent)).newPage();
//     await s.step('agent: opens the dashboard', async () => { ... });
//   }, {media: true});   // fake microphone and camera

import {chromium} from 'playwright-core';
import {mkdirSync} from 'node:fs';
import path from 'node:path';

export const env = {
  baseURL: need('CC_BASE_URL').replace(/\/+$/, ''),
  agent: {username: process.env.CC_AGENT_USER || 'alice', password: process.env.CC_AGENT_PASSWORD || ''},
  agent2: {username: process.env.CC_AGENT2_USER || 'bob', password: process.env.CC_AGENT2_PASSWORD || ''},
  artifacts: process.env.CC_ARTIFACTS || path.resolve('artifacts/screenshots'),
  chromium: process.env.CC_CHROMIUM || '/usr/bin/chromium',
  stepTimeout: Number(process.env.CC_STEP_TIMEOUT) || 15000,
  headed: process.env.CC_HEADED === '1',
};

function need(name) {
  const v = process.env[name];
  if (!v) {
    emit({diag: `${name} is not set (run through t/browser.t)`});
    emit({end: true, ok: false, steps: 0});
    process.exit(2);
  }
  return v;
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run',
];
// what conf/headers-pages.conf's policy must say (and no 'unsafe-...')
const STRICT_CSP = [/\bdefault-src 'none'/, /\bscript-src 'self'(;|$)/, /\bstyle-src 'self'(;|$)/,
  /\bframe-ancestors /];

export const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

export function diag(text) {
  emit({diag: String(text)});
}

class StepFailed extends Error {}

// A scenario: scenario('flow', async (s) => { await s.step('name', async () => ...); ... })
// s.browser, s.newContext(opts), s.callerContext(opts), s.agentContext(creds, opts),
// s.screenshot(page|locator, name), s.pages (every page opened, for the
// failure screenshots and the JavaScript error check).
export async function scenario(name, body, {media = false} = {}) {
  const s = new Scenario(name, media);
  let ok = true;
  try {
    await s.launch();
    await body(s);
    await s.checkPageErrors();
  } catch (err) {
    ok = false;
    if (!(err instanceof StepFailed)) {
      emit({step: s.current ? `${s.current} (aborted)` : 'scenario runs', ok: false, error: errorText(err)});
      s.count++;
    }
    await s.failureScreenshots();
  } finally {
    await s.close();
  }
  emit({end: true, ok, steps: s.count});
  process.exitCode = ok ? 0 : 1;
}

class Scenario {
  constructor(name, media) {
    this.name = name;
    this.media = media;
    this.count = 0;
    this.current = null;
    this.pages = [];      // [label, page]
    this.pageErrors = []; // [label, text]
    this.csp = [];        // [label, text, kind]: violations (kind 'event' or
                          // 'console'), pages served without the CSP
    this.tokenUrls = [];  // [label, text]: caller POSTs with the token in the URL
    this.callerPosts = 0; // caller POSTs about a call seen
    this.contexts = [];
    mkdirSync(env.artifacts, {recursive: true});
  }

  async launch() {
    const args = [...CHROMIUM_ARGS, ...(this.media ? FAKE_MEDIA_ARGS : [])];
    this.browser = await chromium.launch({
      executablePath: env.chromium,
      headless: !env.headed,
      args: env.headed ? args.filter((a) => a !== '--headless') : args,
      timeout: 60000,
    });
  }

  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
    if (this.browser) await this.browser.close().catch(() => {});
  }

  // Runs one step; its failure ends the scenario.
  async step(name, fn) {
    this.current = name;
    try {
      const v = await fn();
      this.count++;
      emit({step: name, ok: true});
      return v;
    } catch (err) {
      this.count++;
      emit({step: name, ok: false, error: errorText(err)});
      throw new StepFailed(name);
    } finally {
      this.current = null;
    }
  }

  async newContext(label, opts = {}) {
    const ctx = await this.browser.newContext({baseURL: env.baseURL, viewport: {width: 1280, height: 800}, ...opts});
    ctx.setDefaultTimeout(env.stepTimeout);
    ctx.on('page', (page) => this.track(label, page));
    // every securitypolicyviolation event of every page (shadow roots
    // included: the event is composed), reported to this process
    await ctx.exposeBinding('__ccCspViolation', ({page}, v) => this.csp.push([this.labelOf(page), v, 'event']));
    await ctx.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__ccCspViolation(`${e.violatedDirective} refused ${e.blockedURI || '?'} `
          + `(${e.sourceFile || document.URL}:${e.lineNumber}) ${e.sample || ''}`.trim());
      }, true);
    });
    this.contexts.push(ctx);
    return ctx;
  }

  labelOf(page) {
    const found = this.pages.find(([, p]) => p === page);
    return found ? found[0] : '?';
  }

  // A visitor's browser; opts as Playwright's (locale, userAgent...).
  callerContext(opts = {}) {
    return this.newContext(opts.label || 'caller', opts);
  }

  // An agent's browser: the site's auth_basic credentials.
  agentContext(creds = env.agent, opts = {}) {
    return this.newContext(opts.label || `agent-${creds.username}`, {httpCredentials: creds, ...opts});
  }

  track(label, page) {
    const n = this.pages.filter(([l]) => l.startsWith(label)).length;
    const tag = n ? `${label}-${n + 1}` : label;
    this.pages.push([tag, page]);
    page.on('pageerror', (err) => this.pageErrors.push([tag, errorText(err)]));
    // Chromium also logs each violation on the console
    page.on('console', (msg) => {
      if (/Content[ -]Security[ -]Policy/i.test(msg.text())) this.csp.push([tag, `console: ${msg.text()}`, 'console']);
    });
    page.on('request', (req) => this.checkTokenRequest(tag, req));
    // the pages of the stack (not those a test itself fulfils) come with
    // the strict CSP: without it, "no violation" would prove nothing
    page.on('response', (res) => {
      const req = res.request();
      const url = new URL(res.url());
      if (req.resourceType() !== 'document' || res.status() >= 300 || url.origin !== env.baseURL) return;
      if (!/^\/($|callcenter\/|agent\/$)/.test(url.pathname)) return;
      const policy = res.headers()['content-security-policy'] || '';
      if (!STRICT_CSP.every((re) => re.test(policy)) || /unsafe-/.test(policy)) {
        this.csp.push([tag, `${url.pathname} served without the strict CSP (got ${JSON.stringify(policy)})`]);
      }
    });
  }

  // A caller POST carries the call's token as X-Call-Token, never in its
  // URL (only the event stream's URL may: EventSource sends no headers).
  checkTokenRequest(tag, req) {
    const url = new URL(req.url());
    if (req.method() !== 'POST' || !/^\/call\/[^/]+\//.test(url.pathname)) return;
    this.callerPosts++;
    if (url.searchParams.has('token') || !req.headers()['x-call-token']) {
      this.tokenUrls.push([tag, `${req.method()} ${url.pathname}${url.search}: `
        + `X-Call-Token ${req.headers()['x-call-token'] ? 'sent' : 'missing'}`]);
    }
  }

  // Runs fn (which makes the page break the CSP on purpose) and waits for
  // its n violations, each as an event and on the console, which are then
  // no failure; returns the events' texts.
  async expectViolations(n, fn) {
    const before = this.csp.length;
    const v = await fn();
    const count = (kind) => this.csp.slice(before).filter((e) => e[2] === kind).length;
    await until(() => count('event') >= n && count('console') >= n,
      `${n} CSP violation(s) reported as events and on the console`);
    return {value: v, violations: this.csp.splice(before).filter((e) => e[2] === 'event').map(([, text]) => text)};
  }

  async screenshot(target, file) {
    const p = path.join(env.artifacts, `${file}.png`);
    await target.screenshot({path: p});
    diag(`screenshot ${p}`);
    return p;
  }

  async failureScreenshots() {
    for (const [label, page] of this.pages) {
      if (page.isClosed()) continue;
      try {
        await this.screenshot(page, `FAILED-${this.name}-${label}`);
      } catch {
        // the page may be gone with its browser
      }
    }
  }

  // Uncaught exceptions on any page, then Content-Security-Policy
  // violations: steps of their own at the end.
  async checkPageErrors() {
    await this.step('no uncaught JavaScript error on any page', () => {
      if (this.pageErrors.length) {
        throw new Error(this.pageErrors.map(([l, e]) => `${l}: ${e}`).join('\n'));
      }
    });
    await this.step('every page under the strict CSP, no violation on any page', () => {
      if (this.csp.length) throw new Error(this.csp.map(([l, e]) => `${l}: ${e}`).join('\n'));
    });
    await this.step('every caller POST sent the token as X-Call-Token, none in its URL', () => {
      if (this.tokenUrls.length) throw new Error(this.tokenUrls.map(([l, e]) => `${l}: ${e}`).join('\n'));
      // every scenario has a caller send a message or hang up
      check(this.callerPosts > 0, 'no caller POST about a call was seen');
    });
  }
}

function errorText(err) {
  const text = (err && err.message ? err.message : String(err)).replace(/\u001b\[[0-9;]*m/g, '');
  // Playwright's call logs are long: the first lines say enough
  return text.split('\n').slice(0, 12).join('\n');
}

// ---------------------------------------------------------------- checks

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

export function equal(got, want, what) {
  if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// Waits until fn() returns a truthy value (polled); throws with the last
// value described otherwise.  A bound on waiting, not a timing assertion.
export async function until(fn, what, timeout = env.stepTimeout) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not so within ${timeout} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Waits until the locator's text contains each of texts.
export async function hasTexts(locator, texts, what) {
  return until(async () => {
    const t = await locator.innerText();
    return texts.every((x) => t.includes(x)) ? t : false;
  }, `${what} shows ${JSON.stringify(texts)}`);
}

// ---------------------------------------------------------------- widget

export const WIDGET_HOST = '#callcenter-widget';

// The element hosting the widget; checks its shadow root is open and holds
// the launcher.  Returns the host locator: Playwright's role and text
// locators pierce open shadow roots, so host.getByRole(...) finds what is
// inside, as a user (or a screen reader) would.
export async function widgetHost(page) {
  const host = page.locator(WIDGET_HOST);
  await host.waitFor({state: 'attached'});
  const shadow = await host.evaluate((el) => ({
    mode: el.shadowRoot ? el.shadowRoot.mode : null,
    buttons: el.shadowRoot ? [...el.shadowRoot.querySelectorAll('button')].map((b) => b.textContent.trim()) : [],
  }));
  check(shadow.mode === 'open', `the widget host has an open shadow root (got ${shadow.mode})`);
  return {host, shadow};
}

// The caller opens the demo shop, the widget, and starts a call under
// `name`; returns the widget's host.
export async function startCall(page, name) {
  await page.goto('/');
  const {host} = await widgetHost(page);
  await host.getByRole('button', {name: 'Talk to us'}).click();
  const dialog = host.getByRole('dialog', {name: 'Talk to us'});
  await dialog.getByLabel('Your name').fill(name);
  await dialog.getByRole('button', {name: 'Start conversation'}).click();
  return host;
}

// ---------------------------------------------------------------- dashboard

// The agent opens the dashboard and switches "Take calls" on (every
// scenario starts with the agents away: t/browser.t resets them).
export async function takeCalls(page) {
  const availability = page.getByRole('switch', {name: /Take calls/});
  await page.goto('/agent/');
  await page.getByRole('status').filter({hasText: 'Connected'}).waitFor();
  await until(() => availability.isEnabled(), 'the switch is enabled');
  await availability.click();
  await until(async () => await availability.getAttribute('aria-checked') === 'true', 'the switch is on');
  return availability;
}

// The label/value rows of a <dl> (caller details) under a locator.
export async function facts(locator) {
  return locator.locator('dl').first().evaluate((dl) => {
    const out = {};
    let key = null;
    for (const el of dl.children) {
      if (el.tagName === 'DT') key = el.textContent.trim();
      else if (el.tagName === 'DD' && key !== null) out[key] = el.textContent.trim();
    }
    return out;
  });
}
