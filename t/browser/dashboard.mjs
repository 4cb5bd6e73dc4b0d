// The browser experience around a call: the widget's data-* attributes
// (label, color, queue) and its dialog (focus in, Escape closes, focus
// back, full screen on a phone); the dashboard's offer with a system
// notification, everything captured about the caller in words (browser
// and OS, language, page, referring page, the page's info fields) and a
// ticking wait; the queue panel's figures of the agent's queues.  The call is
// ended and the agent goes away again at the end.  Run by t/browser.t.

import {scenario, env, check, equal, until, hasTexts, widgetHost, facts} from './lib.mjs';
import {shoot} from './support/screens.mjs';

const CALLER_NAME = 'Jonas Weber';
const CALLER_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0';
const REFERRER = 'https://search.example.org/?q=trail+jacket';
const LINE = 'Hallo, is the jacket waterproof?';
const CUSTOM_PAGE = '/widget-custom.html';
const CUSTOM_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Custom</title>
<script src="/callcenter/callcenter.js" data-queue="support" data-label="Ask an expert" data-color="#ffd400" data-info-cart="42.50" defer></script>
</head><body><h1>A page of another site</h1></body></html>`;
// that site's own policy: what README says the widget needs, no more
const SITE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self'; frame-ancestors 'none'";

// Where the focus is inside the widget's shadow root: "launcher", "dialog"
// (inside the panel) or what else.
function focusIn(host) {
  return host.evaluate((el) => {
    const active = el.shadowRoot.activeElement;
    if (!active) return 'nothing';
    if (active.matches('.cc-launcher')) return 'launcher';
    return active.closest('[role="dialog"]') ? 'dialog' : active.tagName;
  });
}

await scenario('dashboard', async (s) => {
  // ---- the widget as a site configures it

  const visitorCtx = await s.callerContext({label: 'visitor'});
  const visitor = await visitorCtx.newPage();
  await visitor.route(`**${CUSTOM_PAGE}`, (route) => route.fulfill({
    contentType: 'text/html', headers: {'Content-Security-Policy': SITE_CSP}, body: CUSTOM_HTML}));
  let host;
  const custom = () => host.getByRole('button', {name: 'Ask an expert'});
  const customDialog = () => host.getByRole('dialog', {name: 'Ask an expert'});

  await s.step('widget: the button\'s label and colors follow data-label and data-color', async () => {
    await visitor.goto(CUSTOM_PAGE);
    ({host} = await widgetHost(visitor));
    await custom().waitFor({state: 'visible'});
    const colors = await custom().evaluate((b) => ({bg: getComputedStyle(b).backgroundColor, ink: getComputedStyle(b).color}));
    equal(colors.bg, 'rgb(255, 212, 0)', 'the button\'s background (data-color #ffd400)');
    equal(colors.ink, 'rgb(17, 17, 17)', 'dark text on the light color');
  });

  await s.step('widget: the panel is a dialog; focus moves in, Escape closes it and focus comes back', async () => {
    await custom().click();
    await customDialog().waitFor({state: 'visible'});
    equal(await custom().getAttribute('aria-expanded'), 'true', 'aria-expanded when open');
    await until(async () => await focusIn(host) === 'dialog', 'the focus is in the dialog');
    await visitor.keyboard.press('Escape');
    await customDialog().waitFor({state: 'hidden'});
    equal(await custom().getAttribute('aria-expanded'), 'false', 'aria-expanded when closed');
    equal(await focusIn(host), 'launcher', 'the focus is back on the button');
  });

  await s.step('widget: a call from it goes to the data-queue queue; leaving ends it', async () => {
    await custom().press('Enter');
    await customDialog().waitFor({state: 'visible'});
    const posted = visitor.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/call');
    await customDialog().getByRole('button', {name: 'Start conversation'}).click();
    equal((await posted).postDataJSON().queue, 'support', 'the queue of POST /call');
    await customDialog().getByRole('button', {name: 'Leave the queue'}).click();
    await hasTexts(customDialog().getByRole('status').first(), ['ended'], 'the caller status');
  });

  await s.step('widget: on a phone the open panel fills the screen', async () => {
    const phone = await visitorCtx.newPage();
    await phone.goto('/');
    const {host: h} = await widgetHost(phone);
    await h.getByRole('button', {name: 'Talk to us'}).click();
    await h.getByRole('dialog', {name: 'Talk to us'}).getByLabel('Your name').fill(CALLER_NAME);
    await shoot(s, phone, 'widget-open');
    await phone.setViewportSize({width: 375, height: 667});
    const box = await h.getByRole('dialog', {name: 'Talk to us'}).boundingBox();
    check(box && box.x <= 1 && box.y <= 1 && box.width >= 374 && box.height >= 666,
      `the dialog covers the 375x667 screen (got ${JSON.stringify(box)})`);
    await phone.keyboard.press('Escape');
    await h.getByRole('dialog', {name: 'Talk to us'}).waitFor({state: 'hidden'});
    await phone.close();
  });

  // ---- the agent

  const agentCtx = await s.agentContext(env.agent);
  await agentCtx.grantPermissions(['notifications']);
  // the notifications the page shows, for the test to read
  await agentCtx.addInitScript(() => {
    const Native = window.Notification;
    window.shownNotifications = [];
    window.Notification = class extends Native {
      constructor(title, options = {}) {
        super(title, options);
        window.shownNotifications.push({title, body: options.body || ''});
      }
    };
  });
  const agent = await agentCtx.newPage();
  const availability = agent.getByRole('switch', {name: /Take calls/});
  const queueFigures = agent.getByRole('list', {name: 'Your queues'});

  await s.step('agent: goes available; the queue panel shows the figures of its queues', async () => {
    await agent.goto('/agent/');
    await agent.getByRole('status').filter({hasText: 'Connected'}).waitFor();
    await until(async () => (await availability.isEnabled()) && await availability.getAttribute('aria-checked') === 'false',
      'the switch is enabled and off');
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'true', 'the switch is on');
    // (queue names are text-transformed: read case-insensitively)
    await until(async () => /\bsupport \d+ waiting\b.*\d+ free/i.test(await queueFigures.innerText()),
      'the queue panel shows the support queue\'s figures');
    // the agent knows who it is from its first status event
    await hasTexts(agent.locator('#identity'), ['Alice'], 'the header names the agent');
    check(!/billing/i.test(await queueFigures.innerText()), 'no figures of a queue that is not hers (billing)');
  });

  // ---- a visitor from a search engine, in German, on Firefox for macOS

  const callerCtx = await s.callerContext({locale: 'de-DE', userAgent: CALLER_UA});
  const caller = await callerCtx.newPage();
  let widget;
  const dialog = () => widget.getByRole('dialog', {name: 'Ask an expert'});

  await s.step('caller: comes from a search page and starts a call from the widget', async () => {
    await caller.route(`**${CUSTOM_PAGE}`, (route) => route.fulfill({
    contentType: 'text/html', headers: {'Content-Security-Policy': SITE_CSP}, body: CUSTOM_HTML}));
    await caller.goto(CUSTOM_PAGE, {referer: REFERRER});
    ({host: widget} = await widgetHost(caller));
    await widget.getByRole('button', {name: 'Ask an expert'}).click();
    await dialog().getByLabel('Your name').fill(CALLER_NAME);
    await dialog().getByRole('button', {name: 'Start conversation'}).click();
  });

  const offer = agent.getByRole('listitem', {name: CALLER_NAME});

  await s.step('agent: the offer rings with a system notification too', async () => {
    await offer.getByRole('button', {name: 'Accept'}).waitFor({state: 'visible'});
    const shown = await until(() => agent.evaluate(() => window.shownNotifications), 'a notification');
    check(shown.some((n) => n.title === 'Incoming call' && n.body.includes(CALLER_NAME)),
      `an "Incoming call" notification naming the caller (got ${JSON.stringify(shown)})`);
  });

  await s.step('agent: the offer tells the caller\'s browser and OS in words, language, page, referrer and page info', async () => {
    const f = await facts(offer);
    const all = JSON.stringify(f);
    equal(f.Browser, 'Firefox 121 on macOS', `Browser (facts ${all})`);
    check(/^de-DE/.test(f.Language || ''), `Language de-DE (facts ${all})`);
    equal(f.Page, `${env.baseURL}${CUSTOM_PAGE}`, `Page (facts ${all})`);
    equal(f['Referred by'], REFERRER, `Referred by (facts ${all})`);
    equal(f.Cart, '42.50', `Cart, the page's data-info-cart (facts ${all})`);
    equal(f.Queue, 'support', `Queue (facts ${all})`);
    check(/\S/.test(f['Page title'] || ''), `Page title (facts ${all})`);
    check(/^\d+x\d+$/.test(f.Screen || '') && /^\d+x\d+$/.test(f.Window || ''), `Screen and Window (facts ${all})`);
    check(/\w\/\w|UTC/.test(f['Time zone'] || ''), `Time zone (facts ${all})`);
    check(/^(127\.0\.0\.1|::1)$/.test(f['IP address'] || ''), `IP address (facts ${all})`);
  });

  await s.step('agent: the wait time ticks; the queue panel counts the waiting call', async () => {
    const first = (await facts(offer)).Waiting;
    check(/^\d+:\d\d$/.test(first || ''), `Waiting as m:ss (got ${JSON.stringify(first)})`);
    await until(async () => (await facts(offer)).Waiting !== first, 'the wait time moves on');
    await until(async () => /\bsupport 1 waiting/i.test(await queueFigures.innerText()), 'the queue panel counts 1 waiting in support');
    await shoot(s, agent, 'dashboard-ringing');
  });

  const panel = agent.getByRole('tabpanel', {name: CALLER_NAME});

  await s.step('agent: accepts; the call tab shows the same caller details', async () => {
    await offer.getByRole('button', {name: 'Accept'}).click();
    await panel.waitFor({state: 'visible'});
    const f = await until(async () => {
      const got = await facts(panel);
      return got.Browser ? got : false;
    }, 'the caller details in the tab');
    equal(f.Browser, 'Firefox 121 on macOS', 'Browser in the tab');
    equal(f['Referred by'], REFERRER, 'Referred by in the tab');
  });

  await s.step('caller and agent: chat', async () => {
    await dialog().getByLabel('Message', {exact: true}).fill(LINE);
    await dialog().getByRole('button', {name: 'Send'}).click();
    await hasTexts(panel.getByRole('log', {name: 'Conversation'}), [LINE], 'the agent\'s conversation');
    await panel.getByLabel('Message to the caller').fill('Ja, fully waterproof.');
    await panel.getByRole('button', {name: 'Send'}).click();
    await hasTexts(dialog().getByRole('log', {name: 'Conversation'}), ['fully waterproof'], 'the caller\'s conversation');
    await shoot(s, dialog(), 'widget-conversation');
    await shoot(s, agent, 'dashboard-call');
  });

  await s.step('agent: ends the call and switches "Take calls" off again', async () => {
    await panel.getByRole('button', {name: 'End call'}).click();
    await hasTexts(panel.getByRole('log', {name: 'Conversation'}), ['You ended the call.'], 'the agent\'s conversation');
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'false', 'the switch is off');
  });
});
