// A call moved to another queue (an agent's transfer; an overflow sends
// the caller the same `transferred` {"to": {"queue"}} and a fresh
// `queued`): the caller's status and conversation say "Transferred to
// support", the wait goes on there.  alice takes a sales call from
// call.html, transfers it to the support queue; the caller leaves; alice
// goes away again.  Run by t/browser.t.

import {scenario, env, until, hasTexts, takeCalls} from './lib.mjs';

await scenario('transfer', async (s) => {
  const agent = await (await s.agentContext(env.agent)).newPage();
  const caller = await (await s.callerContext()).newPage();
  const main = caller.getByRole('region', {name: 'Talk to us'});
  const offer = agent.getByRole('listitem', {name: 'Theo Transfer'});
  const panel = agent.getByRole('tabpanel', {name: 'Theo Transfer'});
  let availability;

  await s.step('agent: alice takes calls; a caller\'s sales call is hers', async () => {
    availability = await takeCalls(agent);
    await caller.goto('/callcenter/call.html?queue=sales');
    await main.getByLabel('Your name').fill('Theo Transfer');
    await main.getByRole('button', {name: 'Start conversation'}).click();
    await offer.getByRole('button', {name: 'Accept'}).click();
    await panel.waitFor({state: 'visible'});
    await hasTexts(main.getByRole('status').first(), ['talking with'], 'the caller status');
  });

  await s.step('agent: transfers the call to the support queue; the caller sees "Transferred to support"', async () => {
    await panel.getByLabel('Transfer the call').fill('support');
    await panel.getByRole('button', {name: 'Transfer', exact: true}).click();
    await hasTexts(panel.getByRole('log', {name: 'Conversation'}), ['Transferred to the support queue.'], 'alice\'s tab');
    await hasTexts(main.getByRole('status').first(), ['Transferred to support.'], 'the caller status');
    await hasTexts(main.getByRole('log', {name: 'Conversation'}), ['Transferred to support.'], 'the caller\'s conversation');
  });

  await s.step('caller: leaves the queue', async () => {
    await main.getByRole('button', {name: 'Leave the queue'}).click();
    await hasTexts(main.getByRole('status').first(), ['ended'], 'the caller status');
  });

  await s.step('agent: switches "Take calls" off again', async () => {
    await availability.click();
    await until(async () => (await (await agent.request.get('/callcenter/status')).json()).agents.alice.status === 'away',
      'the status page says alice is away');
  });
});
