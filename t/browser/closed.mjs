// A closed queue: afterhours gets hours that open at a full minute soon
// (this scenario rewrites the router's --queues file and sends it SIGHUP).
// A visitor in another time zone (Europe/Zurich) calls it from a site's
// widget: "We're closed now; we open at <that minute, local time>", the
// form to leave a message, which keeps the call waiting; alice's queue
// panel and the wallboard show the queue closed with 1 message waiting.
// When the opening time passes the widget shows the normal wait by itself;
// alice goes available, is offered the call and reads the message.  Run
// by t/browser.t.

import {readFileSync, writeFileSync} from 'node:fs';
import {scenario, env, check, until, hasTexts, widgetHost} from './lib.mjs';

const QUEUE = 'afterhours';
const PAGE = '/afterhours.html';
const HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>After hours</title>
<script src="/callcenter/callcenter.js" data-queue="${QUEUE}" defer></script>
</head><body><h1>A shop after hours</h1></body></html>`;
const SITE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self'; frame-ancestors 'none'";
const MESSAGE = 'Please send me the opening hours of the Geneva shop.';
const CONTACT = 'visitor@example.org';
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const hhmm = (d) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

// The queue opens at the first full minute at least 25 s from now (the
// steps before it take a few seconds), for half an hour, in UTC.
// (The range ends at 24:00 at the latest: a day's ranges stay in the day.)
function hoursOpeningSoon() {
  const opens = new Date(Math.ceil((Date.now() + 25000) / 60000) * 60000);
  const midnight = Date.UTC(opens.getUTCFullYear(), opens.getUTCMonth(), opens.getUTCDate() + 1);
  const end = opens.getTime() + 30 * 60000 >= midnight ? '24:00' : hhmm(new Date(opens.getTime() + 30 * 60000));
  return {opens, hours: {timezone: 'UTC', [DAYS[opens.getUTCDay()]]: `${hhmm(opens)}-${end}`}};
}

async function status(page) {
  return (await page.request.get('/callcenter/status')).json();
}

await scenario('closed', async (s) => {
  const agentCtx = await s.agentContext(env.agent);
  const agent = await agentCtx.newPage();
  const availability = agent.getByRole('switch', {name: /Take calls/});
  const queues = agent.getByRole('list', {name: 'Your queues'});
  const callerCtx = await s.callerContext({timezoneId: 'Europe/Zurich'});
  const caller = await callerCtx.newPage();
  await caller.route(`**${PAGE}`, (route) => route.fulfill({
    contentType: 'text/html', headers: {'Content-Security-Policy': SITE_CSP}, body: HTML}));
  let opens;
  let opensAt;

  await s.step('router: afterhours gets hours that open at the next minute (queues file, SIGHUP)', async () => {
    const file = process.env.CC_QUEUES_FILE;
    const pid = Number(process.env.CC_ROUTER_PID);
    check(file && pid, 'CC_QUEUES_FILE and CC_ROUTER_PID are set (t/browser.t)');
    const settings = JSON.parse(readFileSync(file, 'utf8'));
    let hours;
    ({opens, hours} = hoursOpeningSoon());
    settings[QUEUE] = {...settings[QUEUE], hours};
    writeFileSync(file, JSON.stringify(settings, null, 2));
    process.kill(pid, 'SIGHUP');
    const q = await until(async () => {
      const got = (await status(agent)).queues[QUEUE];
      return got && got.open === false && got.opens_at ? got : false;
    }, 'the status page says afterhours is closed with an opening time');
    opensAt = Number(q.opens_at);
    check(opensAt === opens.getTime(), `opens_at is the minute written (got ${opensAt}, want ${opens.getTime()})`);
  });

  // the opening time as the visitor's browser says it (its zone, locale)
  const local = (page) => page.evaluate((ms) => new Date(ms).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'}), opensAt);

  await s.step('agent: alice (away) sees afterhours closed in her queue panel, with its opening time', async () => {
    await agent.goto('/agent/');
    await agent.getByRole('status').filter({hasText: 'Connected'}).waitFor();
    await until(async () => (await availability.isEnabled()) && await availability.getAttribute('aria-checked') === 'false',
      'the switch is enabled and off');
    const at = await local(agent);
    // (another day would come with the day too)
    await until(async () => {
      const t = await queues.innerText();
      return /afterhours[^]*Closed, opens /i.test(t) && t.includes(at);
    }, `the panel says afterhours is closed and opens at ${at}`);
  });

  let widget;
  const dialog = () => widget.getByRole('dialog', {name: 'Talk to us'});
  const form = () => dialog().getByRole('form', {name: 'We\u2019re closed now'});

  await s.step('caller: calls from the widget; "We\'re closed now; we open at" the local time, and the form to leave a message', async () => {
    await caller.goto(PAGE);
    ({host: widget} = await widgetHost(caller));
    await widget.getByRole('button', {name: 'Talk to us'}).click();
    await dialog().getByLabel('Your name').fill('Zoe Closed');
    await dialog().getByRole('button', {name: 'Start conversation'}).click();
    const at = await local(caller);
    const text = await hasTexts(dialog().getByRole('status').first(), ['We\u2019re closed now; we open at'], 'the caller status');
    check(text.includes(at), `the opening time in Zurich time, ${at} (got ${JSON.stringify(text)})`);
    await form().waitFor({state: 'visible'});
    await hasTexts(form(), ['Leave a message and we\u2019ll get back to you'], 'the form');
    await s.screenshot(dialog(), 'widget-closed');
  });

  await s.step('caller: leaves a message; thanked, told the call keeps waiting', async () => {
    await form().getByLabel('Your message').fill(MESSAGE);
    await form().getByLabel('Email or phone (optional)').fill(CONTACT);
    await form().getByRole('button', {name: 'Send message'}).click();
    await form().waitFor({state: 'hidden'});
    await hasTexts(dialog().getByRole('status').filter({hasText: 'Thanks'}), ['reads it when we open'], 'the confirmation');
    await hasTexts(dialog().getByRole('status').first(), ['closed now', 'Your message waits for the first agent'], 'the caller status');
    await hasTexts(dialog().getByRole('log', {name: 'Conversation'}), [`Message: ${MESSAGE}`], 'the caller\'s conversation');
    // the chat box works while waiting
    await dialog().getByLabel('Message', {exact: true}).waitFor({state: 'visible'});
  });

  await s.step('agent and wallboard: afterhours closed, 1 message waiting', async () => {
    await until(async () => /afterhours[^]*Closed[^]*\b1 message waiting/i.test(await queues.innerText()),
      'alice\'s queue panel says 1 message waiting');
    const board = await agentCtx.newPage();
    await board.goto('/callcenter/wallboard.html');
    const card = board.getByRole('region', {name: `Queue ${QUEUE}`});
    await until(async () => {
      const t = await card.innerText();
      return /Closed \u00b7 opens/.test(t) && /\b1\s+messages waiting/i.test(t);
    }, 'the wallboard card says closed, opens at, 1 message waiting');
    await board.close();
  });

  await s.step('caller: once the opening time passes, the widget shows the normal wait by itself', async () => {
    await until(async () => {
      const t = await dialog().getByRole('status').first().innerText();
      return !/closed/i.test(t) && /Nobody is available|in line/.test(t);
    }, 'the caller status no longer says closed', Math.max(0, opensAt - Date.now()) + 15000);
    check(!await form().isVisible(), 'no form again: the message is left');
  });

  const offer = agent.getByRole('listitem', {name: 'Zoe Closed'});
  const panel = agent.getByRole('tabpanel', {name: 'Zoe Closed'});

  await s.step('agent: goes available, is offered the call, reads the message left', async () => {
    await until(async () => /afterhours[^]*\bOpen\b/i.test(await queues.innerText()), 'the panel says afterhours is open');
    await availability.click();
    await offer.getByRole('button', {name: 'Accept'}).click();
    await panel.waitFor({state: 'visible'});
    await hasTexts(panel.getByRole('log', {name: 'Conversation'}), [`Message: ${MESSAGE}`, `Contact: ${CONTACT}`],
      'the agent\'s conversation');
    await hasTexts(dialog().getByRole('status').first(), ['talking with'], 'the caller status');
  });

  await s.step('agent: ends the call and goes away again', async () => {
    await panel.getByRole('button', {name: 'End call'}).click();
    await hasTexts(panel.getByRole('log', {name: 'Conversation'}), ['You ended the call.'], 'the agent\'s conversation');
    await availability.click();
    await until(async () => (await status(agent)).agents.alice.status === 'away', 'the status page says alice is away');
  });
});
