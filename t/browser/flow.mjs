// One whole call through real browsers, as a visitor and an agent use it:
// the agent goes available on the dashboard, the visitor starts a call
// from the shop's "Talk to us" widget, the dashboard rings with what was
// captured, the agent accepts, both chat, the visitor reloads mid-call,
// the agent ends the call.  Screenshots of the widget, the dashboard and
// the wallboard go to $CC_ARTIFACTS.  Run by t/browser.t.

import {scenario, env, check, equal, until, hasTexts, widgetHost, facts} from './lib.mjs';

const CALLER_NAME = 'Zoé Martin';
// the visitor's browser tells something else than the agent's own
// (headless Chromium on Linux): what the dashboard shows must come from
// the caller's request
const CALLER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
  + '(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const CALLER_LOCALE = 'fr-CH';
const LINE_CALLER = 'Bonjour, do you ship the trail jacket to Geneva?';
const LINE_AGENT = 'Hello Zoé, yes: three working days to Switzerland.';
const LINE_AFTER_RELOAD = 'Still here after a reload, merci!';

await scenario('flow', async (s) => {
  const agentCtx = await s.agentContext(env.agent);
  const agent = await agentCtx.newPage();
  const callerCtx = await s.callerContext({locale: CALLER_LOCALE, userAgent: CALLER_UA});
  const caller = await callerCtx.newPage();

  // ---- the agent

  const availability = agent.getByRole('switch', {name: /Take calls/});

  await s.step('agent: /agent/ opens behind auth_basic and connects', async () => {
    const res = await agent.goto('/agent/');
    equal(res && res.status(), 200, 'GET /agent/ with credentials');
    await agent.getByRole('status').filter({hasText: 'Connected'}).waitFor();
  });

  await s.step('agent: "Take calls" switch shows away, then available once switched on', async () => {
    await until(async () => (await availability.isEnabled()) && await availability.getAttribute('aria-checked') === 'false',
      'the switch is enabled and off');
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'true', 'the switch is on');
    await hasTexts(availability, ['Available'], 'the switch');
  });

  // ---- the visitor

  let widget;
  await s.step('caller: the shop page shows the widget in an open shadow root', async () => {
    const res = await caller.goto('/');
    equal(res && res.status(), 200, 'GET /');
    const {host, shadow} = await widgetHost(caller);
    check(shadow.buttons.some((b) => /Talk to us/.test(b)),
      `a "Talk to us" button inside the shadow root (buttons: ${JSON.stringify(shadow.buttons)})`);
    widget = host;
  });

  await s.step('caller: the shop\'s CSP holds: the widget\'s stylesheets apply in its shadow root; '
    + 'an injected inline script and style attribute are refused', async () => {
    const radius = await caller.locator('#callcenter-widget').evaluate((el) =>
      getComputedStyle(el.shadowRoot.querySelector('.cc-launcher')).borderRadius);
    equal(radius, '999px', 'the launcher styled by caller.css (border-radius)');
    const {value, violations} = await s.expectViolations(2, () => caller.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.ccInlineRan = true;';
      document.head.append(script);
      const probe = document.createElement('p');
      probe.setAttribute('style', 'text-indent: 17px');
      document.body.append(probe);
      const indent = getComputedStyle(probe).textIndent;
      probe.remove();
      return {ran: window.ccInlineRan === true, indent};
    }));
    equal(value.ran, false, 'the inline script ran');
    equal(value.indent, '0px', 'the style attribute\'s text-indent');
    check(violations.some((v) => /script-src/.test(v)) && violations.some((v) => /style-src/.test(v)),
      `a script-src and a style-src violation (got ${JSON.stringify(violations)})`);
  });

  const launcher = () => widget.getByRole('button', {name: 'Talk to us'});
  const dialog = () => widget.getByRole('dialog', {name: 'Talk to us'});
  const callerLog = () => dialog().getByRole('log', {name: 'Conversation'});

  await s.step('caller: "Talk to us" opens the conversation dialog with its form', async () => {
    await launcher().click();
    await dialog().waitFor({state: 'visible'});
    equal(await launcher().getAttribute('aria-expanded'), 'true', 'launcher aria-expanded');
    await dialog().getByLabel('Your name').waitFor({state: 'visible'});
    await s.screenshot(caller, 'flow-01-widget-open');
  });

  await s.step('caller: fills the optional name and starts the call', async () => {
    await dialog().getByLabel('Your name').fill(CALLER_NAME);
    await dialog().getByRole('button', {name: 'Start conversation'}).click();
    await callerLog().waitFor({state: 'visible'});
    // the place in line, or already the agent if it answered that fast
    await until(async () => /in line|talking with/.test(await dialog().getByRole('status').first().innerText()),
      'the caller status tells the place in line');
  });

  // ---- the dashboard rings

  const offer = agent.getByRole('listitem', {name: CALLER_NAME});
  await s.step('agent: the dashboard rings with the caller\'s name', async () => {
    await offer.waitFor({state: 'visible'});
    await offer.getByRole('button', {name: 'Accept'}).waitFor({state: 'visible'});
    await s.screenshot(agent, 'flow-02-dashboard-ringing');
  });

  await s.step('agent: the offer shows the page URL, language and browser the caller\'s request told', async () => {
    const f = await facts(offer);
    const page = f.Page || '';
    check(page === `${env.baseURL}/` || page.startsWith(`${env.baseURL}/`),
      `Page is the shop URL ${env.baseURL}/ (got ${JSON.stringify(page)}; facts ${JSON.stringify(f)})`);
    check(/fr-CH/.test(f.Language || ''), `Language from Accept-Language fr-CH (got ${JSON.stringify(f.Language)})`);
    const browser = f.Browser || '';
    check(/Chrome 120/.test(browser) && /Windows/.test(browser),
      `Browser from the caller's User-Agent, Chrome 120 on Windows (got ${JSON.stringify(browser)})`);
    check(/sales/.test(f.Queue || ''), `Queue sales (got ${JSON.stringify(f.Queue)})`);
  });

  const tab = agent.getByRole('tab', {name: CALLER_NAME});
  const panel = agent.getByRole('tabpanel', {name: CALLER_NAME});
  const agentLog = panel.getByRole('log', {name: 'Conversation'});

  await s.step('agent: accepts; the call opens in its own tab', async () => {
    await offer.getByRole('button', {name: 'Accept'}).click();
    await tab.waitFor({state: 'visible'});
    equal(await tab.getAttribute('aria-selected'), 'true', 'the new tab is selected');
    await panel.waitFor({state: 'visible'});
    await offer.waitFor({state: 'detached'});
  });

  await s.step('caller: learns the agent answered', async () => {
    await hasTexts(dialog().getByRole('status').first(), ['talking with'], 'the caller status');
    const agentName = await until(async () => {
      const t = await dialog().getByRole('status').first().innerText();
      const m = /talking with (.+?)\./.exec(t);
      return m && m[1];
    }, 'the agent\'s name in the caller status');
    check(agentName === 'Alice' || agentName === env.agent.username,
      `the caller talks with the agent who accepted (got ${JSON.stringify(agentName)})`);
    await dialog().getByRole('button', {name: 'Hang up'}).waitFor({state: 'visible'});
  });

  // ---- chat both ways

  await s.step('caller: sends a chat line; both sides show it', async () => {
    await dialog().getByLabel('Message', {exact: true}).fill(LINE_CALLER);
    await dialog().getByRole('button', {name: 'Send'}).click();
    await hasTexts(callerLog(), [LINE_CALLER], 'the caller\'s conversation');
    await hasTexts(agentLog, [LINE_CALLER], 'the agent\'s conversation');
  });

  await s.step('agent: answers; both sides show both lines', async () => {
    await panel.getByLabel('Message to the caller').fill(LINE_AGENT);
    await panel.getByRole('button', {name: 'Send'}).click();
    await hasTexts(agentLog, [LINE_CALLER, LINE_AGENT], 'the agent\'s conversation');
    await hasTexts(callerLog(), [LINE_CALLER, LINE_AGENT], 'the caller\'s conversation');
    await s.screenshot(dialog(), 'flow-03-widget-chat');
    await s.screenshot(agent, 'flow-04-dashboard-chat');
  });

  await s.step('agent: the conversation tab shows the caller details too', async () => {
    const f = await facts(panel);
    check((f.Page || '').startsWith(`${env.baseURL}/`), `Page in the tab (facts ${JSON.stringify(f)})`);
    check(/fr-CH/.test(f.Language || ''), `Language in the tab (got ${JSON.stringify(f.Language)})`);
  });

  // ---- the caller reloads mid-call

  await s.step('caller: reloads the page; the conversation is intact and still live', async () => {
    await caller.reload();
    const {host} = await widgetHost(caller);
    widget = host;
    await dialog().waitFor({state: 'visible'});
    await hasTexts(callerLog(), [LINE_CALLER, LINE_AGENT], 'the caller\'s conversation after the reload');
    await hasTexts(dialog().getByRole('status').first(), ['talking with'], 'the caller status after the reload');
    for (const line of [LINE_CALLER, LINE_AGENT]) {
      equal(await callerLog().getByText(line, {exact: true}).count(), 1, `"${line}" shown once after the reload`);
    }
  });

  await s.step('caller: a line sent after the reload reaches the agent, once', async () => {
    await dialog().getByLabel('Message', {exact: true}).fill(LINE_AFTER_RELOAD);
    await dialog().getByRole('button', {name: 'Send'}).click();
    await hasTexts(agentLog, [LINE_CALLER, LINE_AGENT, LINE_AFTER_RELOAD], 'the agent\'s conversation');
    await hasTexts(callerLog(), [LINE_AFTER_RELOAD], 'the caller\'s conversation');
    equal(await agentLog.getByText(LINE_AFTER_RELOAD, {exact: true}).count(), 1, 'the line once on the dashboard');
    equal(await callerLog().getByText(LINE_AFTER_RELOAD, {exact: true}).count(), 1, 'the line once in the widget');
  });

  // ---- the agent ends the call

  await s.step('agent: ends the call; the tab says it ended', async () => {
    await panel.getByRole('button', {name: 'End call'}).click();
    await hasTexts(agentLog, ['You ended the call.'], 'the agent\'s conversation');
    await panel.getByLabel('Message to the caller').isDisabled()
      .then((d) => check(d, 'the agent\'s message box is disabled after the end'));
  });

  await s.step('caller: sees the call ended by the agent', async () => {
    await hasTexts(callerLog(), ['ended the conversation'], 'the caller\'s conversation');
    await hasTexts(dialog().getByRole('status').first(), ['ended'], 'the caller status');
    await until(() => dialog().getByLabel('Message', {exact: true}).isDisabled(), 'the caller\'s message box is disabled');
    await dialog().getByRole('button', {name: 'Start a new conversation'}).waitFor({state: 'visible'});
    await s.screenshot(dialog(), 'flow-05-widget-ended');
  });

  await s.step('caller: after another reload the ended call is not resumed', async () => {
    await caller.reload();
    const {host} = await widgetHost(caller);
    widget = host;
    // the session was cleared: the launcher is back, the panel closed
    await launcher().waitFor({state: 'visible'});
    equal(await launcher().getAttribute('aria-expanded'), 'false', 'launcher aria-expanded after the end');
  });

  // ---- the wallboard

  await s.step('wallboard: shows the sales queue with the answered call and the agent', async () => {
    const board = await agentCtx.newPage();
    const res = await board.goto('/callcenter/wallboard.html');
    equal(res && res.status(), 200, 'GET /callcenter/wallboard.html');
    const queue = board.getByRole('region', {name: 'Queue sales'});
    await queue.waitFor({state: 'visible'});
    // other scenarios may have run first: the figure is the status's own
    const status = await (await board.request.get('/callcenter/status')).json();
    const answered = status.queues.sales.assigned;
    check(answered >= 1, 'the status counts the answered call');
    await until(async () => new RegExp(`\\b${answered}\\s*answered\\b`, 'i').test(await queue.innerText()),
      `the sales queue counts ${answered} answered calls`);
    const agents = board.getByRole('table');
    await hasTexts(agents, ['Alice'], 'the agents table');
    await s.screenshot(board, 'flow-06-wallboard');
    await board.close();
  });

  // the next scenario meets the agents as they were: away
  await s.step('agent: switches "Take calls" off again', async () => {
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'false', 'the switch is off');
    await hasTexts(availability, ['Away'], 'the switch');
  });
});
