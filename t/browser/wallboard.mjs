// The wallboard with something to show: an available agent (alice, on
// her dashboard) and a call waiting in the sales queue (a visitor's widget:
// a call rings only while its caller's event stream is open).  The big
// numbers show them and the sparklines of calls waiting and agents
// available get points; the agents' table counts the calls alice holds
// (the status page gives figures, not call ids).  The call is hung up and
// the agent goes away again at the end.  ?queues= picks the queues shown.
// Run by t/browser.t.

import {scenario, env, check, equal, until, hasTexts, startCall} from './lib.mjs';
import {shoot} from './support/screens.mjs';

// The big numbers of a queue card, by their label: {"waiting": "1", ...}
function figures(card) {
  return card.evaluate((el) => Object.fromEntries([...el.querySelectorAll('.figure')].map((f) =>
    [f.querySelector('.label').textContent.trim(), f.querySelector('.value').textContent.trim()])));
}

// The points of each sparkline of a queue card, by its accessible name.
function sparklines(card) {
  return card.evaluate((el) => [...el.querySelectorAll('svg[role="img"]')].map((svg) => ({
    name: svg.getAttribute('aria-label'),
    points: (svg.querySelector('polyline')?.getAttribute('points') || '').trim().split(/\s+/).filter(Boolean).length,
  })));
}

await scenario('wallboard', async (s) => {
  const agentCtx = await s.agentContext(env.agent);
  const agent = await agentCtx.newPage();
  const availability = agent.getByRole('switch', {name: /Take calls/});
  const caller = await (await s.callerContext()).newPage();
  let widget;

  await s.step('agent: goes available on the dashboard', async () => {
    await agent.goto('/agent/');
    await agent.getByRole('status').filter({hasText: 'Connected'}).waitFor();
    await until(async () => (await availability.isEnabled()) && await availability.getAttribute('aria-checked') === 'false',
      'the switch is enabled and off');
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'true', 'the switch is on');
  });

  await s.step('caller: a call waits in the sales queue', async () => {
    widget = await startCall(caller, 'Wallboard visitor');
    // alice (capacity 2) is offered the call and stays available for more
    await agent.getByRole('listitem', {name: 'Wallboard visitor'}).waitFor({state: 'visible'});
  });

  const board = await agentCtx.newPage();
  const sales = board.getByRole('region', {name: 'Queue sales'});

  await s.step('wallboard: the big numbers show 1 waiting and an available agent', async () => {
    // the screen of the sales and support teams
    const res = await board.goto('/callcenter/wallboard.html?queues=sales,support');
    equal(res && res.status(), 200, 'GET /callcenter/wallboard.html');
    await sales.waitFor({state: 'visible'});
    const shown = await board.getByRole('region', {name: /^Queue /}).evaluateAll((els) => els.map((el) => el.getAttribute('aria-label')));
    equal(shown.join(', '), 'Queue sales, Queue support', '?queues=sales,support: those queues, in that order');
    const f = await until(async () => {
      const got = await figures(sales);
      return got.waiting === '1' && Number(got.available) >= 1 ? got : false;
    }, 'the sales queue shows 1 waiting and at least 1 available');
    check(/^\d+:\d\d$/.test(f['longest wait']), `longest wait as m:ss (got ${JSON.stringify(f['longest wait'])})`);
    for (const label of ['busy', 'away', 'answered', 'abandoned']) {
      check(/^\d+$/.test(f[label] || ''), `a number for ${label} (figures ${JSON.stringify(f)})`);
    }
  });

  await s.step('wallboard: the sparklines of calls waiting and agents available have points', async () => {
    const lines = await until(async () => {
      const got = await sparklines(sales);
      return got.length === 2 && got.every((l) => l.points >= 2) ? got : false;
    }, 'two sparklines with two points or more');
    check(/Calls waiting/.test(lines[0].name) && /now 1\b/.test(lines[0].name),
      `the waiting sparkline is labelled with its figure (got ${JSON.stringify(lines[0].name)})`);
    check(/Agents available/.test(lines[1].name), `the agents sparkline is labelled (got ${JSON.stringify(lines[1].name)})`);
    await shoot(s, board, 'wallboard');
  });

  await s.step('wallboard: fits a phone screen without sideways scrolling', async () => {
    await board.setViewportSize({width: 390, height: 844});
    await until(() => board.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1),
      'the page is no wider than the phone');
    await sales.waitFor({state: 'visible'});
  });

  // alice's row of the agents' table: [name, status, calls, queues]
  const aliceRow = () => board.getByRole('row', {name: /^Alice /}).evaluate((tr) =>
    [...tr.cells].map((td) => td.textContent.trim()));

  await s.step('wallboard: the agents\' table counts the calls alice holds (0, then 1 of 2 once she accepts)', async () => {
    await board.setViewportSize({width: 1280, height: 800});
    await until(async () => (await aliceRow())[2] === '0 / 2', 'alice: 0 / 2 calls');
    await agent.getByRole('listitem', {name: 'Wallboard visitor'}).getByRole('button', {name: 'Accept'}).click();
    await until(async () => {
      const row = await aliceRow();
      return row[2] === '1 / 2' && (await figures(sales)).waiting === '0' && row;
    }, 'alice: 1 / 2 calls, the sales queue 0 waiting');
  });

  await s.step('caller: hangs up; alice holds no call again', async () => {
    await widget.getByRole('dialog', {name: 'Talk to us'}).getByRole('button', {name: 'Hang up'}).click();
    await until(async () => (await aliceRow())[2] === '0 / 2', 'alice: 0 / 2 calls');
  });

  await s.step('agent: switches "Take calls" off again', async () => {
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'false', 'the switch is off');
    await hasTexts(availability, ['Away'], 'the switch');
  });
});
