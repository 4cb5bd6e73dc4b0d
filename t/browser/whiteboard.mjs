// The shared whiteboard through real browsers: a visitor and an agent in a
// call, a stroke drawn on one side appears on the other, the other way
// round too, the visitor's board survives a reload (redrawn from the
// stream's replay), "Clear" clears both boards.  Run by t/browser.t.

import {scenario, env, check, equal, until, hasTexts, widgetHost, startCall, takeCalls} from './lib.mjs';

const CALLER_NAME = 'Whiteboard Walter';
const CALLER_AFTER = 'Nice drawing.';
const AGENT_AFTER = 'Thank you.';

// The painted pixels of a canvas, in all and within a box given in
// fractions of its size ({x0, y0, x1, y1}).
function painted(canvas, box) {
  const {width: w, height: hgt} = canvas;
  const data = canvas.getContext('2d').getImageData(0, 0, w, hgt).data;
  let all = 0;
  let inside = 0;
  for (let y = 0; y < hgt; y++) {
    for (let x = 0; x < w; x++) {
      if (data[(y * w + x) * 4 + 3] === 0) continue;
      all++;
      if (x >= box.x0 * w && x <= box.x1 * w && y >= box.y0 * hgt && y <= box.y1 * hgt) inside++;
    }
  }
  return {all, inside, strokes: Number(canvas.dataset.strokes)};
}

// A horizontal line across the canvas at height y, from x0 to x1
// (fractions), drawn with the mouse.
async function drawLine(page, canvas, y, x0, x1) {
  await canvas.scrollIntoViewIfNeeded();
  const b = await canvas.boundingBox();
  await page.mouse.move(b.x + b.width * x0, b.y + b.height * y);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width * x1, b.y + b.height * y, {steps: 12});
  await page.mouse.up();
}

const band = (y) => ({x0: 0.3, y0: y - 0.05, x1: 0.7, y1: y + 0.05});

await scenario('whiteboard', async (s) => {
  const agent = await (await s.agentContext(env.agent)).newPage();
  const caller = await (await s.callerContext()).newPage();
  let availability;

  await s.step('agent: opens the dashboard and takes calls', async () => {
    availability = await takeCalls(agent);
  });

  let widget;
  const dialog = () => widget.getByRole('dialog', {name: 'Talk to us'});
  const callerBoard = () => dialog().getByRole('img', {name: 'Shared whiteboard'});

  await s.step('caller: starts a call from the widget', async () => {
    widget = await startCall(caller, CALLER_NAME);
  });

  const panel = agent.getByRole('tabpanel', {name: CALLER_NAME});
  const agentBoard = panel.getByRole('img', {name: 'Shared whiteboard'});

  await s.step('agent: accepts; both sides are in the call', async () => {
    const offer = agent.getByRole('listitem', {name: CALLER_NAME});
    await offer.getByRole('button', {name: 'Accept'}).click();
    await panel.waitFor({state: 'visible'});
    await hasTexts(dialog().getByRole('status').first(), ['talking with'], 'the caller status');
  });

  await s.step('both: the board has a label, colour buttons and a Clear button', async () => {
    await dialog().getByText('Whiteboard', {exact: true}).click();   // the <summary>
    await callerBoard().waitFor({state: 'visible'});
    await agentBoard.waitFor({state: 'visible'});
    for (const root of [dialog(), panel]) {
      await until(() => root.getByRole('button', {name: 'Clear'}).isEnabled(), 'Clear is enabled');
      for (const colour of ['Black', 'Blue', 'Red', 'Green']) {
        equal(await root.getByRole('button', {name: colour}).count(), 1, `a "${colour}" button`);
      }
    }
  });

  await s.step('caller: draws a red line; the agent\'s board shows it there', async () => {
    await dialog().getByRole('button', {name: 'Red'}).click();
    equal(await dialog().getByRole('button', {name: 'Red'}).getAttribute('aria-pressed'), 'true', 'Red is pressed');
    await drawLine(caller, callerBoard(), 0.3, 0.2, 0.8);
    const mine = await callerBoard().evaluate(painted, band(0.3));
    check(mine.inside > 0 && mine.strokes === 1, `the caller's board shows its own stroke (${JSON.stringify(mine)})`);
    await until(async () => {
      const p = await agentBoard.evaluate(painted, band(0.3));
      return p.inside > 0 && p.strokes > 0 && p;
    }, 'the agent\'s board is painted where the caller drew');
  });

  await s.step('agent: draws a line lower down; the caller\'s board shows it there', async () => {
    await drawLine(agent, agentBoard, 0.7, 0.2, 0.8);
    await until(async () => (await callerBoard().evaluate(painted, band(0.7))).inside > 0,
      'the caller\'s board is painted where the agent drew');
    const own = await agentBoard.evaluate(painted, band(0.7));
    check(own.inside > 0, `the agent's board shows its own stroke (${JSON.stringify(own)})`);
    await s.screenshot(dialog(), 'whiteboard-01-caller');
    await s.screenshot(agent, 'whiteboard-02-agent');
  });

  await s.step('both: no stroke is drawn twice (the sender skips its own echo)', async () => {
    // each side's echo of its stroke comes back on its own stream before
    // a line it sends afterwards
    await dialog().getByLabel('Message', {exact: true}).fill(CALLER_AFTER);
    await caller.keyboard.press('Enter');
    await hasTexts(dialog().getByRole('log', {name: 'Conversation'}), [CALLER_AFTER], 'the caller\'s conversation');
    await panel.getByLabel('Message to the caller').fill(AGENT_AFTER);
    await panel.getByRole('button', {name: 'Send'}).click();
    await hasTexts(panel.getByRole('log', {name: 'Conversation'}), [AGENT_AFTER], 'the agent\'s conversation');
    const c = await callerBoard().evaluate(painted, band(0.3));
    const a = await agentBoard.evaluate(painted, band(0.7));
    equal(c.strokes, 2, 'strokes on the caller\'s board (its own line, the agent\'s line)');
    equal(a.strokes, 2, 'strokes on the agent\'s board (its own line, the caller\'s line)');
  });

  await s.step('caller: reloads; the board is drawn again from the replay, both lines', async () => {
    await caller.reload();
    widget = (await widgetHost(caller)).host;
    await dialog().waitFor({state: 'visible'});
    await until(async () => (await callerBoard().getAttribute('data-strokes')) === '2', 'two strokes replayed');
    if (!(await callerBoard().isVisible())) await dialog().getByText('Whiteboard', {exact: true}).click();
    await until(async () => {
      const hi = await callerBoard().evaluate(painted, band(0.3));
      const lo = await callerBoard().evaluate(painted, band(0.7));
      return hi.inside > 0 && lo.inside > 0;
    }, 'both lines painted after the reload');
  });

  await s.step('agent: clears; both boards are blank', async () => {
    await panel.getByRole('button', {name: 'Clear'}).click();
    for (const [who, board] of [['agent', agentBoard], ['caller', callerBoard()]]) {
      await until(async () => {
        const p = await board.evaluate(painted, band(0.5));
        return p.all === 0 && p.strokes === 0;
      }, `the ${who}'s board is blank`);
    }
  });

  await s.step('caller: draws after the clear; the agent sees only the new line', async () => {
    await drawLine(caller, callerBoard(), 0.5, 0.3, 0.6);
    await until(async () => {
      const p = await agentBoard.evaluate(painted, band(0.5));
      return p.inside > 0 && p.strokes > 0;
    }, 'the new line on the agent\'s board');
    const hi = await agentBoard.evaluate(painted, band(0.3));
    equal(hi.inside, 0, 'the cleared line is gone from the agent\'s board');
  });

  await s.step('agent: ends the call; the boards are disabled', async () => {
    await panel.getByRole('button', {name: 'End call'}).click();
    await until(() => panel.getByRole('button', {name: 'Clear'}).isDisabled(), 'the agent\'s Clear is disabled');
    await until(() => dialog().getByRole('button', {name: 'Clear'}).isDisabled(), 'the caller\'s Clear is disabled');
  });

  await s.step('agent: switches "Take calls" off again', async () => {
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'false', 'the switch is off');
  });
});
