// Voice over WebRTC through real browsers with a fake microphone: a
// visitor and an agent in a call, the visitor starts voice, the agent's tab
// shows the incoming voice call and accepts, both peer connections reach
// "connected" (the signalling travels as `signal` messages through the
// stack), audio packets that decode to sound arrive each way (getStats),
// the visitor mutes, the agent ends the voice call and both sides go back
// to "Start voice"; voice again, the visitor reloads mid-voice (the
// agent's side ends, the replay restarts nothing); a declined voice call;
// the agent reloads mid-voice (its bye ends the visitor's side).  Run by
// t/browser.t.

import {scenario, env, diag, equal, until, hasTexts, widgetHost, startCall, takeCalls} from './lib.mjs';

const CALLER_NAME = 'Voice Valentina';
const AFTER_RELOAD = 'Are you still there?';
const AFTER_AGENT_RELOAD = 'Yes, I can hear you again.';

// Every RTCPeerConnection a page makes, in window.ccPeers (a test hook,
// injected before the page's own scripts), for their getStats().
function recordPeers() {
  const Native = window.RTCPeerConnection;
  window.ccPeers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.ccPeers.push(this);
    }
  };
}

// Audio received by the page's open peer connections: RTP bytes and
// packets, and the energy of what was decoded (inbound-rtp), summed.
function inboundAudio(page) {
  return page.evaluate(async () => {
    const sum = {bytes: 0, packets: 0, energy: 0};
    for (const pc of window.ccPeers || []) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') {
          sum.bytes += r.bytesReceived || 0;
          sum.packets += r.packetsReceived || 0;
          sum.energy += r.totalAudioEnergy || 0;
        }
      });
    }
    return sum;
  });
}

// Audio flows into the page: its received packets keep growing, and what
// they decode to is not silence (the other side's fake microphone beeps).
async function audioArrives(page, who) {
  const first = await inboundAudio(page);
  return until(async () => {
    const now = await inboundAudio(page);
    return now.packets >= first.packets + 25 && now.bytes > first.bytes && now.energy > first.energy && now;
  }, `audio packets arriving at the ${who} (first ${JSON.stringify(first)})`, 30000);
}

await scenario('voice', async (s) => {
  const agentCtx = await s.agentContext(env.agent);
  const callerCtx = await s.callerContext();
  await agentCtx.addInitScript(recordPeers);
  await callerCtx.addInitScript(recordPeers);
  const agent = await agentCtx.newPage();
  const caller = await callerCtx.newPage();
  let availability;

  await s.step('agent: opens the dashboard and takes calls', async () => {
    availability = await takeCalls(agent);
  });

  let widget;
  const dialog = () => widget.getByRole('dialog', {name: 'Talk to us'});
  const callerVoice = () => dialog().getByRole('group', {name: 'Voice'});

  await s.step('caller: starts a call; no voice button before an agent answers', async () => {
    widget = await startCall(caller, CALLER_NAME);
    await callerVoice().waitFor({state: 'visible'});
    const early = await callerVoice().getByRole('button', {name: 'Start voice'}).count();
    const answered = /talking with/.test(await dialog().getByRole('status').first().innerText());
    equal(early === 0 || answered, true, 'no "Start voice" while queued');
  });

  const panel = agent.getByRole('tabpanel', {name: CALLER_NAME});
  const agentVoice = panel.getByRole('group', {name: 'Voice'});

  // the caller starts voice, the agent accepts, both connect
  async function voiceAgain() {
    await callerVoice().getByRole('button', {name: 'Start voice'}).click();
    await agentVoice.getByRole('button', {name: 'Accept voice'}).click();
    for (const [who, bar] of [['agent', agentVoice], ['caller', callerVoice()]]) {
      await until(async () => await bar.getAttribute('data-connection') === 'connected',
        `the ${who}'s RTCPeerConnection is connected`, 30000);
    }
  }

  await s.step('agent: accepts the call', async () => {
    await agent.getByRole('listitem', {name: CALLER_NAME}).getByRole('button', {name: 'Accept'}).click();
    await panel.waitFor({state: 'visible'});
    await hasTexts(dialog().getByRole('status').first(), ['talking with'], 'the caller status');
  });

  await s.step('caller: "Start voice"; the agent\'s tab shows the incoming voice call', async () => {
    await callerVoice().getByRole('button', {name: 'Start voice'}).click();
    await hasTexts(agentVoice, ['Incoming voice call'], 'the agent\'s voice bar');
    await agentVoice.getByRole('button', {name: 'Accept voice'}).waitFor({state: 'visible'});
    await agentVoice.getByRole('button', {name: 'Decline'}).waitFor({state: 'visible'});
    equal(await callerVoice().getAttribute('data-state'), 'calling', 'the caller\'s voice state');
    await s.screenshot(agent, 'voice-01-agent-incoming');
  });

  await s.step('agent: accepts voice; both peer connections reach "connected"', async () => {
    await agentVoice.getByRole('button', {name: 'Accept voice'}).click();
    for (const [who, bar] of [['agent', agentVoice], ['caller', callerVoice()]]) {
      await until(async () => await bar.getAttribute('data-connection') === 'connected',
        `the ${who}'s RTCPeerConnection is connected`, 30000);
      await hasTexts(bar.getByRole('status'), ['Voice connected'], `the ${who}'s voice status`);
    }
    await s.screenshot(dialog(), 'voice-02-caller-connected');
    await s.screenshot(agent, 'voice-03-agent-connected');
  });

  await s.step('both: audio bytes arrive each way, into a live track the <audio> plays', async () => {
    await until(() => callerVoice().evaluate((el) => {
      const audio = el.querySelector('audio');
      const tracks = audio && audio.srcObject ? audio.srcObject.getAudioTracks() : [];
      return tracks.length > 0 && tracks[0].readyState === 'live';
    }), 'a live remote audio track in the caller\'s <audio>');
    const toCaller = await audioArrives(caller, 'caller');
    const toAgent = await audioArrives(agent, 'agent');
    diag(`audio received: caller ${JSON.stringify(toCaller)}, agent ${JSON.stringify(toAgent)}`);
  });

  await s.step('caller: mutes and unmutes (a toggle button)', async () => {
    const mute = callerVoice().getByRole('button', {name: 'Mute'});
    await mute.click();
    equal(await mute.getAttribute('aria-pressed'), 'true', 'Mute pressed');
    equal(await callerVoice().getAttribute('data-muted'), 'true', 'the microphone track is off');
    await mute.click();
    equal(await mute.getAttribute('aria-pressed'), 'false', 'Mute released');
  });

  await s.step('agent: ends the voice call; both sides are back to "Start voice"', async () => {
    await agentVoice.getByRole('button', {name: 'End voice'}).click();
    for (const [who, bar] of [['agent', agentVoice], ['caller', callerVoice()]]) {
      await until(async () => await bar.getAttribute('data-state') === 'idle', `the ${who}'s voice is off`);
      await bar.getByRole('button', {name: 'Start voice'}).waitFor({state: 'visible'});
    }
    await hasTexts(callerVoice().getByRole('status'), ['ended the voice call'], 'the caller\'s voice status');
  });

  await s.step('caller: starts voice again; the agent accepts; connected', async () => {
    await voiceAgain();
  });

  await s.step('caller: reloads mid-voice; the agent\'s voice ends, the replay starts nothing', async () => {
    await caller.reload();
    widget = (await widgetHost(caller)).host;
    await hasTexts(dialog().getByRole('status').first(), ['talking with'], 'the caller status after the reload');
    await until(async () => await agentVoice.getAttribute('data-state') === 'idle', 'the agent\'s voice is off');
    // the replay holds the old offer and answer: once a line sent now is
    // shown, the caller has gone through them
    await panel.getByLabel('Message to the caller').fill(AFTER_RELOAD);
    await panel.getByRole('button', {name: 'Send'}).click();
    await hasTexts(dialog().getByRole('log', {name: 'Conversation'}), [AFTER_RELOAD], 'the caller\'s conversation');
    equal(await callerVoice().getAttribute('data-state'), 'idle', 'the caller\'s voice state after the reload');
    await callerVoice().getByRole('button', {name: 'Start voice'}).waitFor({state: 'visible'});
  });

  await s.step('caller: starts voice again, the agent declines', async () => {
    await callerVoice().getByRole('button', {name: 'Start voice'}).click();
    await agentVoice.getByRole('button', {name: 'Decline'}).click();
    await until(async () => await callerVoice().getAttribute('data-state') === 'idle', 'the caller\'s voice is off');
    equal(await agentVoice.getAttribute('data-state'), 'idle', 'the agent\'s voice state');
  });

  await s.step('agent: reloads mid-voice; its bye, sent as the page unloads, ends the caller\'s voice', async () => {
    await voiceAgain();
    await agent.reload();
    await until(async () => await callerVoice().getAttribute('data-state') === 'idle', 'the caller\'s voice is off');
    // the caller's side may also see the connection drop first: what the
    // agent's page sent as it went is in the call's transcript
    const call = await caller.evaluate(() => JSON.parse(sessionStorage.getItem('callcenter.call')).call);
    await until(async () => {
      const res = await agentCtx.request.get(`/agent/calls/${encodeURIComponent(call)}`);
      const signals = ((await res.json()).transcript || []).filter((m) => m.message && m.message.type === 'signal'
        && m.message.sdp && ['offer', 'bye'].includes(m.message.sdp.type));
      const last = signals[signals.length - 1];
      return last && last.from === 'agent' && last.message.sdp.type === 'bye';
    }, 'the agent\'s bye after the last offer, in the transcript');
    // the dashboard reopens the call it holds; once a line the caller sends
    // now is shown, the transcript's old offers are behind it
    await panel.waitFor({state: 'visible'});
    await dialog().getByLabel('Message', {exact: true}).fill(AFTER_AGENT_RELOAD);
    await caller.keyboard.press('Enter');
    await hasTexts(panel.getByRole('log', {name: 'Conversation'}), [AFTER_AGENT_RELOAD], 'the agent\'s conversation');
    equal(await agentVoice.getAttribute('data-state'), 'idle', 'the agent\'s voice state after the reload');
  });

  await s.step('agent: ends the call and switches "Take calls" off', async () => {
    await panel.getByRole('button', {name: 'End call'}).click();
    await hasTexts(dialog().getByRole('status').first(), ['ended'], 'the caller status');
    await availability.click();
    await until(async () => await availability.getAttribute('aria-checked') === 'false', 'the switch is off');
  });
}, {media: true});
