// The group session room: the entry page's card step (card.js), then a
// full mesh of WebRTC through our signaling relay (/signal/ws) and TURN:
// one RTCPeerConnection per other participant, addressed by participant
// id ("to"), with perfect negotiation (the participant with the smaller
// id is polite). Guests wait in the lobby until a host admits them; hosts
// admit, remove and turn on "admit on arrival". Data comes from
// <main data-*> and the JSON endpoints under /s/{token}/.

import { cardStep } from './card.js';

const main = document.getElementById('main');
const d = main.dataset;
const base = '/s/' + d.token;
const me = d.participantId;
const role = d.role;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const el = (x) => document.getElementById(x);

// ---- The entry page's card step ----

const payForm = el('pay-form');
if (payForm) {
  const button = el('pay-button');
  const label = button.textContent;
  const card = cardStep({ form: payForm, button, label, busy: 'Paying…' });
  let submitting = false;
  payForm.addEventListener('submit', async (ev) => {
    if (submitting) { ev.preventDefault(); return; }
    submitting = true;
    if (card.usesStripe) {
      ev.preventDefault();
      submitting = await card.pay();
      return;
    }
    button.disabled = true;
    button.textContent = 'Paying…';
  });
}

// ---- The room ----

let info = null; // the latest POST /s/{token}/join answer
let room = null; // the latest room state
let media = null;
let ws = null;
let wsRetry = 0;
let leaving = false;
let inRoom = false;
const peers = new Map(); // participant id → peer
let chain = Promise.resolve();
let pollTimer = 0;

function show(x, text) {
  const e = el(x);
  if (!e) return;
  e.textContent = text || '';
  e.hidden = !text;
}

async function api(method, path, body) {
  const headers = method === 'POST' ? { 'X-CSRF-Token': csrf } : {};
  if (body) headers['Content-Type'] = 'application/json';
  const resp = await fetch(base + path, {
    method, credentials: 'same-origin', cache: 'no-store', headers, body: body ? JSON.stringify(body) : undefined,
  });
  let out = {};
  try { out = await resp.json(); } catch { /* not JSON */ }
  if (!resp.ok) {
    const err = new Error(out.error ? out.error.message : 'HTTP ' + resp.status);
    err.status = resp.status;
    throw err;
  }
  return out;
}

const nameOf = (id) => {
  const p = room && room.participants.find((q) => q.participant_id === id);
  return p ? p.display_name : 'A participant';
};

async function getMedia() {
  const gum = (c) => navigator.mediaDevices.getUserMedia(c);
  try {
    media = await gum({ video: true, audio: true });
  } catch {
    try { media = await gum({ audio: true }); } catch { media = null; }
    show('media-help', el('media-help').textContent);
  }
  if (media) el('local').srcObject = media;
}

function toggle(button, kind) {
  const off = button.getAttribute('aria-pressed') !== 'true';
  button.setAttribute('aria-pressed', String(off));
  if (media) media.getTracks().filter((t) => t.kind === kind).forEach((t) => { t.enabled = !off; });
}

function setState(state) {
  main.dataset.roomState = state;
}

// enter asks to join: a host (or an admitted guest) gets what to connect
// with; a waiting guest polls until a host admits them.
async function enter() {
  if (leaving) return;
  el('entry').hidden = true;
  el('room').hidden = false;
  if (!media) await getMedia();
  let j;
  try {
    j = await api('POST', '/join');
  } catch (err) {
    show('room-error', err.message);
    if (err.status === 410 || err.status === 404 || err.status === 402) return;
    return setTimeout(enter, 3000);
  }
  renderRoom(j.room);
  if (j.lobby) {
    setState('lobby');
    show('room-status', 'Waiting in the lobby: a host will let you in.');
    return setTimeout(enter, 1500);
  }
  info = j;
  inRoom = true;
  setState('in');
  show('room-error', '');
  show('room-status', 'In the session.');
  connect();
  clearTimeout(pollTimer);
  poll();
}

async function poll() {
  if (leaving || !inRoom) return;
  try {
    const st = await api('GET', '/room');
    // A host removed us (the relay closes our socket too; this covers a
    // socket held by another instance).
    if (!st.admitted) return gone('A host removed you from the session.');
    renderRoom(st);
  } catch (err) {
    if (err.status === 404) return gone('Your link no longer opens this session.');
  }
  pollTimer = setTimeout(poll, 2000);
}

function renderRoom(st) {
  room = st;
  el('tiles').querySelectorAll('figure[data-peer]').forEach((f) => {
    const cap = f.querySelector('figcaption');
    if (cap) cap.textContent = nameOf(f.dataset.peer);
  });
  if (role !== 'host') return;
  main.dataset.admitOnArrival = String(st.admit_on_arrival);
  el('admit-on-arrival').checked = st.admit_on_arrival;
  const list = el('lobby-list');
  list.textContent = '';
  for (const w of st.waiting) {
    const li = document.createElement('li');
    li.textContent = w.display_name + ' ';
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'small';
    b.textContent = 'Admit ' + w.display_name;
    b.addEventListener('click', () => act('admit', { participant_id: w.participant_id }));
    li.appendChild(b);
    list.appendChild(li);
  }
  el('lobby-empty').hidden = st.waiting.length > 0;
}

async function act(action, body) {
  try {
    renderRoom(await api('POST', '/' + action, body));
  } catch (err) {
    show('room-error', err.message);
  }
}

// ---- Signaling ----

function rtcConfig() {
  const t = info.turn_credentials;
  const servers = t && t.urls && t.urls.length ? [{ urls: t.urls, username: t.username, credential: t.credential }] : [];
  // One transport per peer (max-bundle): one TURN allocation each, well
  // within a participant's quota of allocations.
  return { iceServers: servers, iceTransportPolicy: info.ice_policy === 'relay' ? 'relay' : 'all', bundlePolicy: 'max-bundle' };
}

function send(type, to, payload) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type, to, payload }));
}

function connect() {
  if (leaving || ws) return;
  const u = new URL(info.ws_url, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('token', info.signaling_token);
  const sock = new WebSocket(u);
  ws = sock;
  sock.onopen = () => { wsRetry = 0; };
  sock.onmessage = (ev) => {
    let m;
    try { m = JSON.parse(ev.data); } catch { return; }
    // One message at a time: a description is applied before the
    // candidates that follow it.
    chain = chain.then(() => onSignal(m)).catch((err) => console.warn('signaling', m.type, err));
  };
  sock.onclose = (ev) => {
    if (ws === sock) ws = null;
    if (leaving) return;
    if (ev.code === 4001) return gone('You entered this session from another tab or device, so this page left it.');
    if (ev.code === 1008 && /removed/.test(ev.reason)) return gone('A host removed you from the session.');
    if (ev.code === 1008 || ev.code === 1000) return gone(ev.reason ? 'You left the session: ' + ev.reason + '.' : 'You left the session.');
    reconnectLater();
  };
}

// reconnectLater joins again (a fresh token) and reconnects.
function reconnectLater() {
  show('room-status', 'Reconnecting…');
  inRoom = false;
  setTimeout(enter, Math.min(10000, 500 * 2 ** wsRetry++));
}

async function onSignal(m) {
  switch (m.type) {
    case 'peer_joined': // connected anew: a fresh negotiation with them.
      // The impolite side (the larger id) offers; the polite one waits for
      // its offer, so the two rarely collide (perfect negotiation copes
      // when they do).
      closePeer(m.from);
      if (me > m.from) peerFor(m.from);
      else tileFor(m.from);
      break;
    case 'peer_left':
      closePeer(m.from);
      break;
    case 'offer':
    case 'answer':
      await onDescription(m.from, m.payload);
      break;
    case 'ice_candidate':
      await onCandidate(m.from, m.payload);
      break;
    case 'error':
      console.warn('signaling error', m.payload);
  }
}

// ---- The mesh: one peer connection per other participant ----

function tileFor(id) {
  let fig = el('tiles').querySelector(`figure[data-peer="${CSS.escape(id)}"]`);
  if (fig) return fig;
  fig = document.createElement('figure');
  fig.className = 'tile';
  fig.dataset.peer = id;
  const v = document.createElement('video');
  v.autoplay = true;
  v.playsInline = true;
  v.setAttribute('aria-label', 'Video of ' + nameOf(id));
  const cap = document.createElement('figcaption');
  cap.textContent = nameOf(id);
  fig.append(v, cap);
  const p = room && room.participants.find((q) => q.participant_id === id);
  if (role === 'host' && p && p.role === 'guest') {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'small danger';
    b.textContent = 'Remove ' + nameOf(id);
    b.addEventListener('click', () => act('remove', { participant_id: id }));
    fig.appendChild(b);
  }
  el('tiles').appendChild(fig);
  return fig;
}

function peerFor(id) {
  let p = peers.get(id);
  if (p) return p;
  const pc = new RTCPeerConnection(rtcConfig());
  p = { pc, polite: me < id, makingOffer: false, ignoreOffer: false, pending: [] };
  peers.set(id, p);
  const video = tileFor(id).querySelector('video');
  pc.ontrack = (ev) => {
    if (video.srcObject !== ev.streams[0]) video.srcObject = ev.streams[0];
    video.play().catch(() => {});
  };
  pc.onicecandidate = (ev) => { if (ev.candidate) send('ice_candidate', id, ev.candidate); };
  // A connection that failed (a busy machine can time ICE out while many
  // peers negotiate at once) restarts ICE: a new offer, same peer.
  pc.onconnectionstatechange = () => { if (pc.connectionState === 'failed') pc.restartIce(); };
  pc.onnegotiationneeded = async () => {
    try {
      p.makingOffer = true;
      await pc.setLocalDescription();
      send('offer', id, pc.localDescription);
    } catch (err) {
      console.warn('offer', err);
    } finally {
      p.makingOffer = false;
    }
  };
  if (media) media.getTracks().forEach((t) => pc.addTrack(t, media));
  else {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
  }
  return p;
}

async function onDescription(from, desc) {
  const p = peerFor(from);
  const pc = p.pc;
  const collision = desc.type === 'offer' && (p.makingOffer || pc.signalingState !== 'stable');
  p.ignoreOffer = !p.polite && collision;
  if (p.ignoreOffer) return;
  await pc.setRemoteDescription(desc);
  for (const c of p.pending.splice(0)) await pc.addIceCandidate(c).catch(() => {});
  if (desc.type === 'offer') {
    await pc.setLocalDescription();
    send('answer', from, pc.localDescription);
  }
}

async function onCandidate(from, cand) {
  const p = peerFor(from);
  if (!p.pc.remoteDescription) {
    p.pending.push(cand);
    return;
  }
  try {
    await p.pc.addIceCandidate(cand);
  } catch (err) {
    if (!p.ignoreOffer) console.warn('candidate', err);
  }
}

function closePeer(id) {
  const p = peers.get(id);
  if (p) {
    p.pc.close();
    peers.delete(id);
  }
  const fig = el('tiles').querySelector(`figure[data-peer="${CSS.escape(id)}"]`);
  if (fig) fig.remove();
}

// ---- Leaving ----

function gone(message) {
  leaving = true;
  inRoom = false;
  setState('left');
  for (const id of [...peers.keys()]) closePeer(id);
  if (ws) ws.close(1000);
  if (media) media.getTracks().forEach((t) => t.stop());
  el('room').hidden = true;
  el('entry').hidden = true;
  el('left').hidden = false;
  show('left-message', message);
}

const enterButton = el('enter');
if (enterButton) {
  enterButton.addEventListener('click', () => { enterButton.disabled = true; enter(); });
}
el('mute').addEventListener('click', (ev) => toggle(ev.currentTarget, 'audio'));
el('camera').addEventListener('click', (ev) => toggle(ev.currentTarget, 'video'));
el('leave').addEventListener('click', () => {
  if (main.dataset.roomState === 'lobby') api('POST', '/leave').catch(() => {});
  gone('You left the session. Open your link again to go back in while it runs.');
});
const aoa = el('admit-on-arrival');
if (aoa) aoa.addEventListener('change', () => act('admit-on-arrival', { on: aoa.checked }));
