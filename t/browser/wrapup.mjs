// Routing as the agent sees it, on the aftercare queue (wrap-up 120 s,
// longest-idle; alice and bob serve it, bob has no dashboard open): a
// call from call.html is offered to alice; the call panel tells its
// priority and, in a collapsible "Routing" section, the decision: when,
// router, strategy, who and why, each candidate with why (bob out, alice
// in).  She ends the call: the dashboard shows wrap-up with a countdown
// that ticks, the wallboard counts her in wrap-up; "Ready now" ends it
// and she is available again (the switch, the status page).  Run by
// t/browser.t.

import {scenario, env, check, equal, until, hasTexts, takeCalls, facts} from './lib.mjs';

const QUEUE = 'aftercare';

// The rows of each routing record under the Routing section: [{When,
// Router, ..., candidates: [[agent, eligible, why]]}]
function routingRecords(section) {
  return section.evaluate((el) => [...el.querySelectorAll('li.route')].map((li) => {
    const out = {};
    let key = null;
    for (const c of li.querySelector('dl').children) {
      if (c.tagName === 'DT') key = c.textContent.trim();
      else if (key) out[key] = c.textContent.trim();
    }
    out.candidates = [...li.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent.trim()));
    return out;
  }));
}

await scenario('wrapup', async (s) => {
  const agentCtx = await s.agentContext(env.agent);
  const agent = await agentCtx.newPage();
  const callerCtx = await s.callerContext();
  const caller = await callerCtx.newPage();
  let availability;
  const main = caller.getByRole('region', {name: 'Talk to us'});

  await s.step('agent: takes calls', async () => {
    availability = await takeCalls(agent);
    const queues = agent.getByRole('list', {name: 'Your queues'});
    await until(async () => /\baftercare \d+ waiting\b/i.test(await queues.innerText()), 'the aftercare queue in the panel');
    await hasTexts(queues, ['Open', 'longest-idle'], 'the queue panel (open, strategy)');
  });

  const offer = agent.getByRole('listitem', {name: 'Ada Wrapup'});
  const panel = agent.getByRole('tabpanel', {name: 'Ada Wrapup'});

  await s.step('caller: call.html for aftercare; alice is offered the call and accepts', async () => {
    await caller.goto(`/callcenter/call.html?queue=${QUEUE}`);
    await main.getByLabel('Your name').fill('Ada Wrapup');
    await main.getByRole('button', {name: 'Start conversation'}).click();
    await offer.getByRole('button', {name: 'Accept'}).click();
    await panel.waitFor({state: 'visible'});
    await hasTexts(main.getByRole('status').first(), ['talking with'], 'the caller status');
    await main.getByLabel('Message', {exact: true}).fill('Just a quick one.');
    await main.getByRole('button', {name: 'Send'}).click();
    await hasTexts(panel.getByRole('log', {name: 'Conversation'}), ['Just a quick one.'], 'the agent\'s conversation');
  });

  await s.step('agent: the call panel shows the call\'s priority', async () => {
    const f = await until(async () => {
      const got = await facts(panel.getByRole('complementary', {name: 'Caller and actions'}));
      return got.Priority !== undefined ? got : false;
    }, 'a Priority row');
    equal(f.Queue, QUEUE, 'Queue');
    check(/^\d+$/.test(f.Priority), `Priority a number (got ${JSON.stringify(f.Priority)})`);
  });

  await s.step('agent: the Routing section, folded, opens to the decision with each candidate and why', async () => {
    const summary = panel.getByText(/^Routing \(\d+ decisions?\)$/);
    await summary.waitFor({state: 'visible'});
    const section = panel.locator('details.routing');
    check(!await section.evaluate((d) => d.open), 'the section starts folded');
    await summary.click();
    const table = section.getByRole('table', {name: /Candidates/}).last();
    await table.waitFor({state: 'visible'});
    const records = await routingRecords(section);
    check(records.length >= 1, 'at least one record');
    const won = records.find((r) => /^alice$/i.test(r['Offered to']));
    check(won, `a record offering the call to Alice (got ${JSON.stringify(records)})`);
    check(/^\d\d:\d\d:\d\d/.test(won.When), `When as a local time (got ${JSON.stringify(won.When)})`);
    equal(won.Strategy, 'longest-idle', 'Strategy');
    check(won.Router && won.Router !== '?', `a Router name (got ${JSON.stringify(won.Router)})`);
    const alice = won.candidates.find((c) => /^alice$/i.test(c[0]));
    const bob = won.candidates.find((c) => /^bob$/i.test(c[0]));
    check(alice && alice[1] === 'yes' && alice[2], `Alice eligible with a why (got ${JSON.stringify(won.candidates)})`);
    check(bob && bob[1] === 'no' && /offline|away/.test(bob[2]), `Bob out: offline or away (got ${JSON.stringify(won.candidates)})`);
    check(!/[{}[\]"]/.test(await section.innerText()), 'readable text, no raw JSON');
    await s.screenshot(agent, 'wrapup-01-routing');
  });

  const notice = agent.getByRole('status').filter({hasText: 'Wrap-up'});
  const timer = agent.getByRole('timer');

  await s.step('agent: ends the call; the dashboard shows wrap-up with a countdown that ticks', async () => {
    await panel.getByRole('button', {name: 'End call'}).click();
    await hasTexts(notice, [`after your ${QUEUE} call`], 'the wrap-up notice');
    await until(async () => (await availability.getAttribute('aria-checked')) === 'false', 'the switch is off');
    await hasTexts(availability, ['Wrap-up'], 'the switch');
    const first = await timer.innerText();
    check(/^[12]:\d\d$/.test(first), `the countdown as m:ss, at most 2:00 (got ${JSON.stringify(first)})`);
    await until(async () => (await timer.innerText()) !== first, 'the countdown moves on');
    await agent.getByRole('button', {name: 'Ready now'}).waitFor({state: 'visible'});
    await s.screenshot(agent, 'dashboard-wrapup');
  });

  await s.step('wallboard: alice in wrap-up, counted on the aftercare queue', async () => {
    const board = await agentCtx.newPage();
    await board.goto('/callcenter/wallboard.html');
    const card = board.getByRole('region', {name: `Queue ${QUEUE}`});
    await until(async () => {
      const f = await card.evaluate((el) => Object.fromEntries([...el.querySelectorAll('.figure')].map((x) =>
        [x.querySelector('.label').textContent.trim(), x.querySelector('.value').textContent.trim()])));
      return f['wrap-up'] === '1';
    }, 'the aftercare card counts 1 in wrap-up');
    await hasTexts(card, ['Open'], 'the aftercare card');
    const row = await board.getByRole('row', {name: /^Alice /}).innerText();
    check(/wrap-up/.test(row), `alice's row says wrap-up (got ${JSON.stringify(row)})`);
    await board.close();
  });

  await s.step('agent: "Ready now" ends the wrap-up; alice is available', async () => {
    await agent.getByRole('button', {name: 'Ready now'}).click();
    await until(async () => (await availability.getAttribute('aria-checked')) === 'true', 'the switch is on');
    await hasTexts(availability, ['Available'], 'the switch');
    check(!await agent.getByRole('button', {name: 'Ready now'}).isVisible(), 'no "Ready now" any more');
    check(!await timer.isVisible(), 'no countdown any more');
    await until(async () => (await (await agent.request.get('/callcenter/status')).json()).agents.alice.status === 'available',
      'the status page says alice is available');
  });

  await s.step('agent: switches "Take calls" off again', async () => {
    await availability.click();
    await until(async () => (await (await agent.request.get('/callcenter/status')).json()).agents.alice.status === 'away',
      'the status page says alice is away');
  });

  await s.step('caller: sees the conversation ended', async () => {
    await hasTexts(main.getByRole('status').first(), ['ended'], 'the caller status');
  });
});
