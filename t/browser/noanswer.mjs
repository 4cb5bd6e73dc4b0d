// An offer nobody answers, on the returns queue (max_no_answer 1, offer
// timeout 4 s; bob is its only agent): bob takes calls, a caller's call
// rings on his dashboard until it rings out; the router sets him away and
// the dashboard says why ("Set away: you let 1 offer ring out") with an
// "Available" button, which brings him back.  The caller leaves the queue;
// bob goes away again.  Run by t/browser.t.

import {scenario, env, check, until, hasTexts, takeCalls} from './lib.mjs';

await scenario('noanswer', async (s) => {
  const agent = await (await s.agentContext(env.agent2)).newPage();
  const caller = await (await s.callerContext()).newPage();
  const main = caller.getByRole('region', {name: 'Talk to us'});
  const offer = agent.getByRole('listitem', {name: 'Rita Ringout'});
  const notice = agent.getByRole('status').filter({hasText: 'Set away'});
  let availability;

  await s.step('agent: bob takes calls', async () => {
    availability = await takeCalls(agent);
  });

  await s.step('caller: call.html for returns; the call rings on bob\'s dashboard', async () => {
    await caller.goto('/callcenter/call.html?queue=returns');
    await main.getByLabel('Your name').fill('Rita Ringout');
    await main.getByRole('button', {name: 'Start conversation'}).click();
    await offer.getByRole('button', {name: 'Accept'}).waitFor({state: 'visible'});
  });

  await s.step('agent: the offer rings out; bob is set away and told why', async () => {
    const text = await hasTexts(notice, ['ring out'], 'the away notice');
    check(/^Set away: you let (1 offer|offers) ring out\.$/.test(text.trim()),
      `the notice says what happened (got ${JSON.stringify(text)})`);
    await until(async () => (await availability.getAttribute('aria-checked')) === 'false', 'the switch is off');
    await hasTexts(availability, ['Away'], 'the switch');
    await until(async () => !await offer.getByRole('button', {name: 'Accept'}).isEnabled().catch(() => false),
      'the offer no longer rings');
    await until(async () => (await (await agent.request.get('/callcenter/status')).json()).agents.bob.status === 'away',
      'the status page says bob is away');
    await s.screenshot(agent, 'noanswer-01-away');
  });

  await s.step('agent: "Available" brings bob back', async () => {
    await agent.getByRole('button', {name: 'Available', exact: true}).click();
    await until(async () => (await availability.getAttribute('aria-checked')) === 'true', 'the switch is on');
    check(!await notice.isVisible(), 'the away notice is gone');
  });

  await s.step('caller: leaves the queue', async () => {
    await main.getByRole('button', {name: 'Leave the queue'}).click();
    await hasTexts(main.getByRole('status').first(), ['ended'], 'the caller status');
  });

  await s.step('agent: bob goes away again', async () => {
    if ((await availability.getAttribute('aria-checked')) === 'true') await availability.click();
    await until(async () => (await (await agent.request.get('/callcenter/status')).json()).agents.bob.status === 'away',
      'the status page says bob is away');
  });
});
