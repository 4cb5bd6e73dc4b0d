// No agent to answer: the caller leaves a message instead of a dead wait.
// With every agent away, a visitor starts a call to the sales queue from
// the shop's widget, gets the "Nobody is available right now" form,
// drives it with the keyboard (labels, roles and focus only), leaves a
// message with a contact and is thanked; a reload does not offer the form
// again.  Then alice goes available, is offered the call, accepts and
// reads the message in the call's transcript; the visitor sees her join;
// she ends the call.  Last, call.html (a plain link to the billing queue,
// whose only agent, bob, is away): "Keep waiting" keeps the live wait,
// across a reload too.  Run by t/browser.t.

import {scenario, env, check, equal, until, hasTexts, widgetHost} from './lib.mjs';

const CALLER_NAME = 'Ines Message';
const MESSAGE = 'Do you have the trail jacket in size M? Please call me back.';
const CONTACT = '+41 22 555 01 23';
const FORM_NAME = 'Nobody is available right now';

// What has the focus, through the widget's shadow root: its accessible
// label (the <label> text) or its text.
function focused(page) {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return null;
    const root = el.getRootNode();
    const label = el.id && root.querySelector(`label[for="${el.id}"]`);
    return (label ? label.textContent : el.textContent).trim();
  });
}

await scenario('message', async (s) => {
  const agentCtx = await s.agentContext(env.agent);
  const agent = await agentCtx.newPage();
  const availability = agent.getByRole('switch', {name: /Take calls/});
  const callerCtx = await s.callerContext();
  const caller = await callerCtx.newPage();

  await s.step('agent: the dashboard connects with alice away (bob is away too)', async () => {
    const res = await agent.goto('/agent/');
    equal(res && res.status(), 200, 'GET /agent/');
    await agent.getByRole('status').filter({hasText: 'Connected'}).waitFor();
    await until(async () => (await availability.isEnabled()) && await availability.getAttribute('aria-checked') === 'false',
      'the switch is enabled and off');
    const status = await (await agent.request.get('/callcenter/status')).json();
    equal(status.queues.sales ? status.queues.sales.agents_available : 0, 0, 'agents available in sales');
  });

  let widget;
  const dialog = () => widget.getByRole('dialog', {name: 'Talk to us'});
  const callerLog = () => dialog().getByRole('log', {name: 'Conversation'});
  const form = () => dialog().getByRole('form', {name: FORM_NAME});
  const openWidget = async () => {
    ({host: widget} = await widgetHost(caller));
    const launcher = widget.getByRole('button', {name: 'Talk to us'});
    if (await launcher.getAttribute('aria-expanded') !== 'true') await launcher.click();
    await dialog().waitFor({state: 'visible'});
  };

  await s.step('caller: starts a call to sales from the shop\'s widget; the form replaces the dead wait', async () => {
    const res = await caller.goto('/');
    equal(res && res.status(), 200, 'GET /');
    await openWidget();
    await dialog().getByLabel('Your name').fill(CALLER_NAME);
    await dialog().getByRole('button', {name: 'Start conversation'}).press('Enter');
    await form().waitFor({state: 'visible'});
    await hasTexts(dialog().getByRole('status').first(), [FORM_NAME], 'the caller status');
    await until(async () => await focused(caller) === 'Your message', 'the focus is in "Your message"');
    check(!await dialog().getByLabel('Message', {exact: true}).isVisible(), 'no second message box beside the form');
    await form().getByRole('button', {name: 'Keep waiting'}).waitFor({state: 'visible'});
    await s.screenshot(dialog(), 'message-01-form');
  });

  await s.step('caller: the form refuses an empty message and a contact that is neither email nor phone', async () => {
    await caller.keyboard.press('Tab');
    equal(await focused(caller), 'Email or phone (optional)', 'Tab from the message goes to the contact');
    await caller.keyboard.type('call me maybe');
    await caller.keyboard.press('Enter');
    await hasTexts(form().getByRole('alert'), ['write your message'], 'the error');
    equal(await focused(caller), 'Your message', 'the focus on the missing message');
    equal(await form().getByLabel('Your message').getAttribute('aria-invalid'), '', 'the message marked invalid');
    await caller.keyboard.type(MESSAGE);
    await form().getByRole('button', {name: 'Send message'}).press('Enter');
    await hasTexts(form().getByRole('alert'), ['email address or a phone number'], 'the error');
    equal(await focused(caller), 'Email or phone (optional)', 'the focus on the contact');
    equal(await form().getByLabel('Email or phone (optional)').getAttribute('aria-invalid'), '', 'the contact marked invalid');
    equal(await form().getByLabel('Your message').getAttribute('aria-invalid'), null, 'the message valid now');
    await s.screenshot(dialog(), 'message-02-invalid');
  });

  await s.step('caller: sends the message with a phone number; thanked, the message in the conversation', async () => {
    await form().getByLabel('Email or phone (optional)').fill(CONTACT);
    await caller.keyboard.press('Enter');
    await form().waitFor({state: 'hidden'});
    const thanks = dialog().getByRole('status').filter({hasText: 'Thanks'});
    await hasTexts(thanks, ['we\u2019ll get back to you'], 'the confirmation');
    await until(async () => await focused(caller) === 'Close', 'the focus on "Close"');
    await hasTexts(callerLog(), [`Message: ${MESSAGE}`, `Contact: ${CONTACT}`], 'the caller\'s conversation');
    // the live wait goes on: the chat box is back
    await dialog().getByLabel('Message', {exact: true}).waitFor({state: 'visible'});
    await s.screenshot(dialog(), 'message-03-thanks');
  });

  await s.step('caller: "Close" folds the widget, the focus back on the launcher', async () => {
    await caller.keyboard.press('Enter');
    await dialog().waitFor({state: 'hidden'});
    equal(await focused(caller), 'Talk to us', 'the focus on the launcher');
  });

  await s.step('caller: after a reload the message is in the conversation, once, and no form again', async () => {
    await caller.reload();
    await openWidget();
    await hasTexts(callerLog(), [`Message: ${MESSAGE}`], 'the caller\'s conversation after the reload');
    equal(await callerLog().getByText(`Message: ${MESSAGE}`).count(), 1, 'the message shown once');
    await hasTexts(dialog().getByRole('status').first(), [FORM_NAME], 'the caller status');
    check(!await form().isVisible(), 'the form is not offered again');
    await dialog().getByLabel('Message', {exact: true}).waitFor({state: 'visible'});
    await dialog().getByRole('button', {name: 'Leave the queue'}).waitFor({state: 'visible'});
  });

  // ---- an agent comes back

  const offer = agent.getByRole('listitem', {name: CALLER_NAME});
  const panel = agent.getByRole('tabpanel', {name: CALLER_NAME});
  const agentLog = panel.getByRole('log', {name: 'Conversation'});

  await s.step('agent: goes available and is offered the waiting call', async () => {
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'true', 'the switch is on');
    await offer.waitFor({state: 'visible'});
  });

  await s.step('agent: accepts; the call\'s transcript shows the message and the contact', async () => {
    await offer.getByRole('button', {name: 'Accept'}).click();
    await panel.waitFor({state: 'visible'});
    await hasTexts(agentLog, [`Message: ${MESSAGE}`, `Contact: ${CONTACT}`], 'the agent\'s conversation');
    equal(await agentLog.getByText(`Message: ${MESSAGE}`).count(), 1, 'the message once on the dashboard');
    await s.screenshot(agent, 'message-04-dashboard');
  });

  await s.step('caller: sees the agent join; the normal conversation takes over', async () => {
    await hasTexts(dialog().getByRole('status').first(), ['talking with'], 'the caller status');
    await hasTexts(callerLog(), ['joined the conversation'], 'the caller\'s conversation');
    await dialog().getByRole('button', {name: 'Hang up'}).waitFor({state: 'visible'});
    check(!await form().isVisible(), 'no form');
    check(!await dialog().getByRole('status').filter({hasText: 'Thanks'}).isVisible(), 'no confirmation');
    await s.screenshot(dialog(), 'message-05-joined');
  });

  await s.step('agent: ends the call; the caller sees it ended', async () => {
    await panel.getByRole('button', {name: 'End call'}).click();
    await hasTexts(agentLog, ['You ended the call.'], 'the agent\'s conversation');
    await hasTexts(callerLog(), ['ended the conversation'], 'the caller\'s conversation');
  });

  await s.step('agent: switches "Take calls" off again', async () => {
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'false', 'the switch is off');
    // the next scenario may start before this page closes: the server knows
    await until(async () => (await (await agent.request.get('/callcenter/status')).json()).agents.alice.status === 'away',
      'the status says alice is away');
  });

  // ---- call.html: "Keep waiting"

  await s.step('call.html: a plain link to a queue with nobody available offers the form; "Keep waiting" keeps the wait', async () => {
    const page = await callerCtx.newPage();
    await page.goto('/call?queue=billing');
    const main = page.getByRole('region', {name: 'Talk to us'});
    const pageForm = main.getByRole('form', {name: FORM_NAME});
    await pageForm.waitFor({state: 'visible'});
    await pageForm.getByRole('button', {name: 'Keep waiting'}).press('Enter');
    await pageForm.waitFor({state: 'hidden'});
    await until(async () => await focused(page) === 'Message', 'the focus in the chat box');
    await page.reload();
    await hasTexts(main.getByRole('status').first(), [FORM_NAME], 'the status after the reload');
    await main.getByLabel('Message', {exact: true}).waitFor({state: 'visible'});
    check(!await pageForm.isVisible(), 'the form is not offered again after "Keep waiting"');
    await main.getByRole('button', {name: 'Leave the queue'}).click();
    await hasTexts(main.getByRole('status').first(), ['ended'], 'the status');
    await page.close();
  });
});
