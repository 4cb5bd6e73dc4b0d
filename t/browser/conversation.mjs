// The conversation itself, beyond one plain chat: the visitor starts the
// call with the keyboard only; "is typing" both ways; a page the agent
// pushes (a link, nothing opens unasked); an agent holding two calls in
// two tabs (messages in the right one, arrow keys on the tablist); the
// visitor's network dropping and coming back (a visible "reconnecting",
// every line exactly once afterwards); a transfer from alice to bob, who
// gets the transcript and carries on.  Every call is ended and both
// agents are away at the end.  Run by t/browser.t.

import {scenario, env, check, equal, until, hasTexts, widgetHost} from './lib.mjs';

const AMIRA = 'Amira Haddad';
const BRUNO = 'Bruno Costa';
const TOPIC = 'Returns';
const PUSHED_PATH = '/help/returns.html';
const PUSHED_HTML = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Returns</title></head>'
  + '<body><h1>Returns within 30 days</h1></body></html>';
const A_FIRST = 'Can I return the boots after a hike?';
const ALICE_TO_A = 'Unworn only, I am afraid. Let me show you the policy.';
const A_TO_ALICE = 'I will read it, thanks.';
const B_FIRST = 'Hi, where is my parcel?';
const ALICE_OFFLINE = ['It left the warehouse this morning.', 'Tracking number: NW-48151623.'];
const ALICE_AFTER_PUSH = 'Have a look at the link when you like.';
const ALICE_TO_B_AFTER = 'You are welcome, Bruno.';
const A_TO_BOB = 'Hello Bob, so unworn only?';
const BOB_TO_A = 'Yes, unworn and within 30 days.';

// Where the focus is on a shop page: "launcher", the label of the widget
// field it is in, or the tag of what else has it.
function focusOnShop(page) {
  return page.evaluate(() => {
    const host = document.getElementById('callcenter-widget');
    if (document.activeElement !== host) return document.activeElement ? document.activeElement.tagName : 'nothing';
    const el = host.shadowRoot.activeElement;
    if (!el) return 'host';
    if (el.matches('.cc-launcher')) return 'launcher';
    if (el.labels && el.labels.length) return `field: ${el.labels[0].textContent.trim()}`;
    return `${el.tagName}: ${el.textContent.trim()}`;
  });
}

// The lines of a conversation log with exactly this text.
function lines(log, text) {
  return log.locator('.chat-bubble').filter({hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)}).count();
}

await scenario('conversation', async (s) => {
  // ---- the agents

  const aliceCtx = await s.agentContext(env.agent);
  const alice = await aliceCtx.newPage();
  const aliceSwitch = alice.getByRole('switch', {name: /Take calls/});
  const bobCtx = await s.agentContext(env.agent2);
  const bob = await bobCtx.newPage();
  const bobSwitch = bob.getByRole('switch', {name: /Take calls/});

  async function available(page, sw, on) {
    await until(async () => (await sw.isEnabled()) && await sw.getAttribute('aria-checked') === String(!on),
      `the switch is enabled and ${on ? 'off' : 'on'}`);
    await sw.click();
    await until(async () => await sw.getAttribute('aria-checked') === String(on), `the switch is ${on ? 'on' : 'off'}`);
  }

  await s.step('alice: opens the dashboard and takes calls', async () => {
    await alice.goto('/agent/');
    await alice.getByRole('status').filter({hasText: 'Connected'}).waitFor();
    await available(alice, aliceSwitch, true);
  });

  // ---- Amira starts her call with the keyboard only

  const amiraCtx = await s.callerContext({label: 'amira'});
  await amiraCtx.route(`**${PUSHED_PATH}`, (route) => route.fulfill({contentType: 'text/html', body: PUSHED_HTML}));
  const amira = await amiraCtx.newPage();
  let amiraWidget;
  const amiraLauncher = () => amiraWidget.getByRole('button', {name: 'Talk to us'});
  const amiraDialog = () => amiraWidget.getByRole('dialog', {name: 'Talk to us'});
  const amiraLog = () => amiraDialog().getByRole('log', {name: 'Conversation'});
  const amiraStatus = () => amiraDialog().getByRole('status').first();

  await s.step('keyboard: on the shop, Tab reaches the "Talk to us" button', async () => {
    await amira.goto('/');
    ({host: amiraWidget} = await widgetHost(amira));
    await amiraLauncher().waitFor({state: 'visible'});
    const seen = [];
    for (let i = 0; i < 40; i++) {
      await amira.keyboard.press('Tab');
      const at = await focusOnShop(amira);
      seen.push(at);
      if (at === 'launcher') return;
    }
    throw new Error(`Tab never reached the launcher (focus went through ${JSON.stringify(seen)})`);
  });

  await s.step('keyboard: Enter opens the dialog, the focus in its first field; Tab walks the form', async () => {
    await amira.keyboard.press('Enter');
    await amiraDialog().waitFor({state: 'visible'});
    equal(await amiraLauncher().getAttribute('aria-expanded'), 'true', 'launcher aria-expanded');
    await until(async () => await focusOnShop(amira) === 'field: Your name', 'the focus in "Your name"');
    await amira.keyboard.type(AMIRA);
    await amira.keyboard.press('Tab');
    equal(await focusOnShop(amira), 'field: What is it about?', 'Tab from the name');
    await amira.keyboard.type(TOPIC);
    await amira.keyboard.press('Tab');
    equal(await focusOnShop(amira), 'BUTTON: Start conversation', 'Tab from the topic');
  });

  await s.step('keyboard: Escape closes the dialog, the focus back on the button; Enter opens it as it was', async () => {
    await amira.keyboard.press('Escape');
    await amiraDialog().waitFor({state: 'hidden'});
    equal(await amiraLauncher().getAttribute('aria-expanded'), 'false', 'launcher aria-expanded');
    equal(await focusOnShop(amira), 'launcher', 'the focus after Escape');
    await amira.keyboard.press('Enter');
    await amiraDialog().waitFor({state: 'visible'});
    equal(await amiraDialog().getByLabel('Your name').inputValue(), AMIRA, 'the name kept');
    equal(await amiraDialog().getByLabel('What is it about?').inputValue(), TOPIC, 'the topic kept');
  });

  await s.step('keyboard: Tab, Tab, Enter starts the call; the focus lands in the message box', async () => {
    await until(async () => await focusOnShop(amira) === 'field: Your name', 'the focus in "Your name"');
    await amira.keyboard.press('Tab');
    await amira.keyboard.press('Tab');
    await amira.keyboard.press('Enter');
    await amiraLog().waitFor({state: 'visible'});
    await until(async () => await focusOnShop(amira) === 'field: Message', 'the focus in the message box');
  });

  const offerA = alice.getByRole('listitem', {name: AMIRA});
  const tabA = alice.getByRole('tab', {name: AMIRA});
  const panelA = alice.getByRole('tabpanel', {name: AMIRA, includeHidden: true});
  const logA = panelA.getByRole('log', {name: 'Conversation', includeHidden: true});

  await s.step('alice: accepts Amira\'s call; Amira learns it', async () => {
    await offerA.getByRole('button', {name: 'Accept'}).click();
    await tabA.waitFor({state: 'visible'});
    await hasTexts(amiraStatus(), ['talking with Alice'], 'Amira\'s status');
  });

  // ---- typing, both ways

  const aliceTypingA = panelA.locator('.chat-typing');
  const amiraTyping = () => amiraDialog().locator('.chat-typing');

  await s.step('typing: Amira types; Alice\'s tab says so, and no longer once the line arrives', async () => {
    await amiraDialog().getByLabel('Message', {exact: true}).pressSequentially(A_FIRST.slice(0, 12), {delay: 30});
    await aliceTypingA.waitFor({state: 'visible'});
    equal(await aliceTypingA.innerText(), `${AMIRA} is typing\u2026`, 'the typing note');
    await amiraDialog().getByLabel('Message', {exact: true}).fill(A_FIRST);
    await amira.keyboard.press('Enter');
    await hasTexts(logA, [A_FIRST], 'Alice\'s conversation');
    await aliceTypingA.waitFor({state: 'hidden'});
  });

  await s.step('typing: Alice types; Amira sees "Alice is typing…", which goes away when she stops', async () => {
    const box = panelA.getByLabel('Message to the caller');
    await box.pressSequentially('Unworn', {delay: 30});
    await amiraTyping().waitFor({state: 'visible'});
    equal(await amiraTyping().innerText(), 'Alice is typing\u2026', 'the typing note');
    await box.fill('');
    await amiraTyping().waitFor({state: 'hidden'});
    await box.fill(ALICE_TO_A);
    await panelA.getByRole('button', {name: 'Send'}).click();
    await hasTexts(amiraLog(), [A_FIRST, ALICE_TO_A], 'Amira\'s conversation');
  });

  // ---- page push

  const pushed = `${env.baseURL}${PUSHED_PATH}`;

  await s.step('page push: Alice pushes a page; Amira gets a link with the URL as its text, nothing opens', async () => {
    const pagesBefore = amiraCtx.pages().length;
    const urlBefore = amira.url();
    await panelA.getByLabel('Show the caller a page').fill(pushed);
    await panelA.getByRole('button', {name: 'Push'}).click();
    const link = amiraLog().getByRole('link', {name: pushed});
    await link.waitFor({state: 'visible'});
    equal(await link.innerText(), pushed, 'the link text');
    equal(await link.getAttribute('href'), pushed, 'the link target');
    await hasTexts(logA, ['You pushed a page', pushed], 'Alice\'s conversation');
    // anything that would open by itself opens as the push arrives: once a
    // line Alice sends after it is shown, it would have
    await panelA.getByLabel('Message to the caller').fill(ALICE_AFTER_PUSH);
    await panelA.getByRole('button', {name: 'Send'}).click();
    await hasTexts(amiraLog(), [ALICE_AFTER_PUSH], 'Amira\'s conversation');
    equal(amiraCtx.pages().length, pagesBefore, 'pages of Amira\'s browser');
    equal(amira.url(), urlBefore, 'Amira\'s page');
  });

  await s.step('page push: a click opens it in a new tab; the conversation stays', async () => {
    const [opened] = await Promise.all([
      amiraCtx.waitForEvent('page'),
      amiraLog().getByRole('link', {name: pushed}).click(),
    ]);
    await opened.waitForLoadState();
    equal(opened.url(), pushed, 'the new tab\'s address');
    await opened.getByRole('heading', {name: 'Returns within 30 days'}).waitFor();
    equal(amira.url(), `${env.baseURL}/`, 'Amira\'s page');
    await opened.close();
    await amiraDialog().getByLabel('Message', {exact: true}).fill(A_TO_ALICE);
    await amira.keyboard.press('Enter');
    await hasTexts(logA, [A_TO_ALICE], 'Alice\'s conversation');
  });

  // ---- a second call: two tabs

  const brunoCtx = await s.callerContext({label: 'bruno'});
  const bruno = await brunoCtx.newPage();
  let brunoWidget;
  const brunoDialog = () => brunoWidget.getByRole('dialog', {name: 'Talk to us'});
  const brunoLog = () => brunoDialog().getByRole('log', {name: 'Conversation'});
  const offerB = alice.getByRole('listitem', {name: BRUNO});
  const tabB = alice.getByRole('tab', {name: BRUNO});
  const panelB = alice.getByRole('tabpanel', {name: BRUNO, includeHidden: true});
  const logB = panelB.getByRole('log', {name: 'Conversation', includeHidden: true});

  await s.step('two calls: Bruno calls too; Alice (capacity 2) accepts; his tab is selected', async () => {
    await bruno.goto('/');
    ({host: brunoWidget} = await widgetHost(bruno));
    await brunoWidget.getByRole('button', {name: 'Talk to us'}).click();
    await brunoDialog().getByLabel('Your name').fill(BRUNO);
    await brunoDialog().getByRole('button', {name: 'Start conversation'}).click();
    await offerB.getByRole('button', {name: 'Accept'}).click();
    await tabB.waitFor({state: 'visible'});
    equal(await tabB.getAttribute('aria-selected'), 'true', 'Bruno\'s tab selected');
    equal(await tabA.getAttribute('aria-selected'), 'false', 'Amira\'s tab not selected');
    check(await panelB.isVisible() && !await panelA.isVisible(), 'Bruno\'s panel shown, Amira\'s hidden');
    await hasTexts(brunoDialog().getByRole('status').first(), ['talking with Alice'], 'Bruno\'s status');
  });

  await s.step('two calls: each caller\'s line lands in its own tab; the other tab counts it unread', async () => {
    await brunoDialog().getByLabel('Message', {exact: true}).fill(B_FIRST);
    await bruno.keyboard.press('Enter');
    await hasTexts(logB, [B_FIRST], 'Bruno\'s tab');
    const line = 'And the laces, are they included?';
    await amiraDialog().getByLabel('Message', {exact: true}).fill(line);
    await amira.keyboard.press('Enter');
    await until(async () => (await logA.textContent()).includes(line), 'Amira\'s line in her tab');
    check(!(await logB.textContent()).includes(line), 'Amira\'s line is not in Bruno\'s tab');
    check(!(await logA.textContent()).includes(B_FIRST), 'Bruno\'s line is not in Amira\'s tab');
    await tabA.getByLabel('1 unread').waitFor({state: 'visible'});
    await s.screenshot(alice, 'conversation-01-two-calls');
  });

  await s.step('two calls: arrow keys, Home and End move between the tabs', async () => {
    await tabB.focus();
    await alice.keyboard.press('ArrowRight');
    await until(async () => await tabA.getAttribute('aria-selected') === 'true', 'ArrowRight wraps to Amira\'s tab');
    check(await tabA.evaluate((el) => el === document.activeElement), 'Amira\'s tab has the focus');
    check(await panelA.isVisible() && !await panelB.isVisible(), 'Amira\'s panel shown, Bruno\'s hidden');
    check(await tabA.locator('.badge').isHidden(), 'the unread count is gone once read');
    await alice.keyboard.press('ArrowLeft');
    await until(async () => await tabB.getAttribute('aria-selected') === 'true', 'ArrowLeft: Bruno\'s tab');
    await alice.keyboard.press('Home');
    await until(async () => await tabA.getAttribute('aria-selected') === 'true', 'Home: the first tab');
    await alice.keyboard.press('End');
    await until(async () => await tabB.getAttribute('aria-selected') === 'true', 'End: the last tab');
    check(await tabB.evaluate((el) => el === document.activeElement), 'Bruno\'s tab has the focus');
    equal(await tabA.getAttribute('tabindex'), '-1', 'only the selected tab is in the Tab order');
  });

  // ---- Bruno's network drops

  await s.step('network loss: Bruno goes offline; his widget says it is reconnecting', async () => {
    await brunoCtx.setOffline(true);
    await brunoDialog().getByRole('alert').filter({hasText: 'Reconnecting'}).waitFor({state: 'visible'});
    await s.screenshot(brunoDialog(), 'conversation-02-reconnecting');
  });

  await s.step('network loss: Alice\'s lines sent meanwhile appear once each after Bruno is back', async () => {
    for (const line of ALICE_OFFLINE) {
      await panelB.getByLabel('Message to the caller').fill(line);
      await panelB.getByRole('button', {name: 'Send'}).click();
      await hasTexts(logB, [line], 'Alice\'s tab');
    }
    await brunoCtx.setOffline(false);
    await until(async () => {
      const text = await brunoLog().innerText();
      return ALICE_OFFLINE.every((line) => text.includes(line));
    }, 'Alice\'s lines in Bruno\'s conversation', 30000);
    await brunoDialog().getByRole('alert').filter({hasText: 'Reconnecting'}).waitFor({state: 'hidden'});
    for (const line of [B_FIRST, ...ALICE_OFFLINE]) {
      equal(await lines(brunoLog(), line), 1, `"${line}" in Bruno's conversation`);
    }
    // Bruno's own line comes back on his stream, Alice's tab gets it on
    // hers: either may be first, so each is waited for; then a line of
    // Alice's, later on the same stream, closes the count
    const after = 'Got it, thank you!';
    await brunoDialog().getByLabel('Message', {exact: true}).fill(after);
    await bruno.keyboard.press('Enter');
    await hasTexts(logB, [after], 'Alice\'s tab');
    await until(async () => await lines(brunoLog(), after) >= 1, 'Bruno\'s new line in his conversation');
    await panelB.getByLabel('Message to the caller').fill(ALICE_TO_B_AFTER);
    await panelB.getByRole('button', {name: 'Send'}).click();
    await hasTexts(brunoLog(), [ALICE_TO_B_AFTER], 'Bruno\'s conversation');
    for (const line of [B_FIRST, ...ALICE_OFFLINE, after, ALICE_TO_B_AFTER]) {
      equal(await lines(brunoLog(), line), 1, `"${line}" in Bruno's conversation`);
    }
  });

  // ---- transfer to bob

  const offerBob = bob.getByRole('listitem', {name: AMIRA});
  const bobPanel = bob.getByRole('tabpanel', {name: AMIRA});
  const bobLog = bobPanel.getByRole('log', {name: 'Conversation'});

  await s.step('transfer: Bob opens his dashboard and takes calls', async () => {
    await bob.goto('/agent/');
    await bob.getByRole('status').filter({hasText: 'Connected'}).waitFor();
    await available(bob, bobSwitch, true);
  });

  await s.step('transfer: Alice transfers Amira to Bob; her tab says so; Amira is told', async () => {
    await tabA.click();
    await panelA.getByLabel('Transfer to').selectOption({label: 'Agent'});
    await panelA.getByLabel('Transfer the call').fill('bob');
    await panelA.getByRole('button', {name: 'Transfer', exact: true}).click();
    await hasTexts(logA, ['Transferred to Bob.'], 'Alice\'s tab');
    await until(async () => /tab-ended/.test(await tabA.getAttribute('class')), 'Amira\'s tab marked as no longer hers');
    check(await panelA.getByLabel('Message to the caller').isHidden(), 'no message box in the transferred tab');
    await hasTexts(amiraLog(), ['You are being transferred to a colleague.'], 'Amira\'s conversation');
  });

  await s.step('transfer: Bob is offered Amira\'s call, accepts, and sees the conversation so far', async () => {
    await offerBob.getByRole('button', {name: 'Accept'}).click();
    await bobPanel.waitFor({state: 'visible'});
    await hasTexts(bobLog, [A_FIRST, ALICE_TO_A, A_TO_ALICE, pushed], 'Bob\'s transcript');
    await hasTexts(amiraStatus(), ['talking with Bob'], 'Amira\'s status');
    await hasTexts(amiraLog(), ['Bob joined the conversation.'], 'Amira\'s conversation');
  });

  await s.step('transfer: in Bob\'s transcript Alice\'s lines are the previous agent\'s, not his', async () => {
    const who = (text) => bobLog.locator('.chat-line').filter({hasText: text}).locator('.chat-who').innerText();
    equal(await who(ALICE_TO_A), 'Alice', 'who wrote Alice\'s line, in Bob\'s tab');
    equal(await who(pushed), 'Alice pushed a page', 'who pushed the page, in Bob\'s tab');
    equal(await who(A_FIRST), AMIRA, 'who wrote Amira\'s line, in Bob\'s tab');
  });

  await s.step('transfer: Amira and Bob carry on; Alice\'s old tab gets nothing more', async () => {
    await amiraDialog().getByLabel('Message', {exact: true}).fill(A_TO_BOB);
    await amira.keyboard.press('Enter');
    await hasTexts(bobLog, [A_TO_BOB], 'Bob\'s conversation');
    equal(await bobLog.locator('.chat-line').filter({hasText: A_TO_BOB}).locator('.chat-who').innerText(), AMIRA,
      'who wrote Amira\'s new line, in Bob\'s tab');
    await bobPanel.getByLabel('Message to the caller').fill(BOB_TO_A);
    await bobPanel.getByRole('button', {name: 'Send'}).click();
    await hasTexts(amiraLog(), [A_TO_BOB, BOB_TO_A], 'Amira\'s conversation');
    const who = await amiraLog().locator('.chat-line').filter({hasText: BOB_TO_A}).locator('.chat-who').innerText();
    equal(who, 'Bob', 'who answered, for Amira');
    check(!(await logA.textContent()).includes(A_TO_BOB), 'Alice\'s old tab does not show the line to Bob');
    await s.screenshot(bob, 'conversation-03-transferred');
  });

  // ---- the end

  await s.step('end: Bob ends Amira\'s call, Alice ends Bruno\'s; both callers see it', async () => {
    await bobPanel.getByRole('button', {name: 'End call'}).click();
    await hasTexts(amiraLog(), ['Bob ended the conversation.'], 'Amira\'s conversation');
    await tabB.click();
    await panelB.getByRole('button', {name: 'End call'}).click();
    await hasTexts(logB, ['You ended the call.'], 'Alice\'s tab');
    await hasTexts(brunoLog(), ['Alice ended the conversation.'], 'Bruno\'s conversation');
  });

  await s.step('end: Alice and Bob switch "Take calls" off again', async () => {
    await available(alice, aliceSwitch, false);
    await available(bob, bobSwitch, false);
  });
});
