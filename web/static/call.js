// The in-call page: WebRTC between the guest and the host through our
// signaling relay (/signal/ws) and TURN, with the call's time and cost as
// the server bills them. The guest makes every offer (docs/signaling.md);
// the host answers. Data comes from <main data-*> and from the page's JSON
// endpoints under /call/{id}/.

const main = document.getElementById('main');
const d = main.dataset;
const id = d.callId;
const role = d.role;
const peer = d.peerName;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const el = (x) => document.getElementById(x);
const remote = el('remote');
const local = el('local');

let status = d.callStatus;
let info = null; // the latest POST /call/{id}/connect answer
let infoTimer = 0;
let ws = null;
let wsRetry = 0;
let pc = null;
let pending = []; // ICE candidates that came before the remote description
let media = null;
let leaving = false;
let conn = 'Connecting to ' + peer + '…';
let last = null; // the latest GET /call/{id}/state answer
let lastAt = 0; // performance.now() when it came
let seenWindows = 0;
let heldNoticeUntil = 0;

function show(x, text) {
  const e = el(x);
  e.textContent = text || '';
  e.hidden = !text;
}

async function api(method, path) {
  const resp = await fetch(path, {
    method, credentials: 'same-origin', cache: 'no-store',
    headers: method === 'POST' ? { 'X-CSRF-Token': csrf } : {},
  });
  let body = {};
  try { body = await resp.json(); } catch { /* not JSON */ }
  if (!resp.ok) {
    const err = new Error(body.error ? body.error.message : 'HTTP ' + resp.status);
    err.status = resp.status;
    throw err;
  }
  return body;
}

// ---- Time and money, by the server's clock ----

function clock(secs) {
  const h = Math.floor(secs / 3600), m = Math.floor(secs / 60) % 60, s = secs % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return (h ? h + ':' : '') + mm + ':' + String(s).padStart(2, '0');
}

const ended = (s) => s === 'completed' || s === 'missed' || s === 'failed';

function stateText() {
  if (status === 'active') return conn;
  if (role === 'host') return peer + ' is waiting. Answer from your dashboard.';
  return (status === 'ringing' ? 'Ringing ' : 'Calling ') + peer + '…';
}

// tick shows the elapsed time: the server's count plus the time since it
// answered (a monotonic clock), never past what is held.
function tick() {
  if (!last) return;
  let secs = last.elapsed_seconds;
  if (last.status === 'active' && last.active_at) {
    secs += Math.floor((performance.now() - lastAt) / 1000);
    const cap = last.paid_until ? (Date.parse(last.paid_until) - Date.parse(last.active_at)) / 1000 : Infinity;
    secs = Math.min(secs, cap);
  }
  el('elapsed').textContent = clock(secs);
  el('cost').textContent = '$' + last.cost;
}

function holdNotice(st) {
  if (st.status !== 'active' || st.next_hold_in_seconds == null) return '';
  const w = st.window_size_minutes;
  const from = st.windows_held * w + 1, to = (st.windows_held + 1) * w;
  const amount = '$' + st.window_amount;
  if (seenWindows && st.windows_held > seenWindows) heldNoticeUntil = performance.now() + 20000;
  seenWindows = st.windows_held;
  if (performance.now() < heldNoticeUntil) {
    const held = `minutes ${from - w}–${to - w}`;
    return role === 'host' ? `${amount} is now held for ${held}.` : `We now hold ${amount} for ${held}.`;
  }
  const n = st.next_hold_in_seconds;
  if (n > 60 || n < -30) return '';
  const when = n > 0 ? `in ${n} s` : 'now';
  return role === 'host'
    ? `The guest's hold for minutes ${from}–${to} (${amount}) is placed ${when}.`
    : `Your first ${from - 1} minutes are nearly up: we hold ${amount} for minutes ${from}–${to} ${when}. You still pay only for the minutes you use.`;
}

function render(st) {
  const was = status;
  status = st.status;
  main.dataset.callStatus = status;
  show('call-state', stateText());
  show('hold-notice', holdNotice(st));
  tick();
  if (role === 'host' && was !== 'active' && status === 'active') connect();
}

async function poll() {
  if (leaving) return;
  try {
    last = await api('GET', `/call/${id}/state`);
    lastAt = performance.now();
    render(last);
    if (ended(last.status)) return finish();
  } catch (err) {
    if (err.status === 404) return finish();
  }
  setTimeout(poll, status === 'active' ? 3000 : 1500);
}

// ---- Camera and microphone ----

async function getMedia() {
  const gum = (c) => navigator.mediaDevices.getUserMedia(c);
  try {
    media = await gum({ video: true, audio: true });
  } catch {
    try { media = await gum({ audio: true }); } catch { media = null; }
    show('media-help', el('media-help').textContent);
  }
  if (media) local.srcObject = media;
}

function toggle(button, kind) {
  const off = button.getAttribute('aria-pressed') !== 'true';
  button.setAttribute('aria-pressed', String(off));
  if (media) media.getTracks().filter((t) => t.kind === kind).forEach((t) => { t.enabled = !off; });
}

el('mute').addEventListener('click', (ev) => toggle(ev.currentTarget, 'audio'));
el('camera').addEventListener('click', (ev) => toggle(ev.currentTarget, 'video'));

function play() {
  remote.play().then(() => { el('play').hidden = true; }, () => { el('play').hidden = false; });
}
el('play').addEventListener('click', play);

// ---- Signaling: a fresh token (and TURN credentials) before each expires ----

function rtcConfig() {
  const t = info.turn_credentials;
  const servers = t.urls && t.urls.length ? [{ urls: t.urls, username: t.username, credential: t.credential }] : [];
  return { iceServers: servers, iceTransportPolicy: info.ice_policy === 'relay' ? 'relay' : 'all' };
}

async function refreshInfo() {
  info = await api('POST', `/call/${id}/connect`);
  clearTimeout(infoTimer);
  infoTimer = setTimeout(() => {
    refreshInfo().then(() => { if (pc) pc.setConfiguration(rtcConfig()); }).catch((err) => {
      if (err.status === 409 || err.status === 404) finish();
    });
  }, info.expires_in * 800);
}

function send(type, payload) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type, payload }));
}

function setConn(text) {
  conn = text;
  if (status === 'active') show('call-state', text);
}

let connecting = false;

async function connect() {
  if (leaving || ws || connecting) return;
  connecting = true;
  try {
    await mediaReady; // tracks go into the first offer or answer
    await refreshInfo();
  } catch (err) {
    if (err.status === 409 || err.status === 404) return finish();
    return reconnectLater();
  } finally {
    connecting = false;
  }
  const u = new URL(info.ws_url, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('token', info.signaling_token);
  const sock = new WebSocket(u);
  ws = sock;
  sock.onopen = () => { wsRetry = 0; };
  sock.onmessage = (ev) => {
    try { onSignal(JSON.parse(ev.data)); } catch (err) { console.warn('signaling message', err); }
  };
  sock.onclose = (ev) => {
    if (ws === sock) ws = null;
    if (leaving) return;
    if (ev.code === 1000) return finish(); // the call ended
    if (ev.code === 4001) return show('call-error', 'This call is open in another tab or device.');
    if (ev.code === 1008) return show('call-error', 'The connection was refused: ' + ev.reason);
    reconnectLater();
  };
}

function reconnectLater() {
  setConn('Reconnecting…');
  setTimeout(connect, Math.min(10000, 500 * 2 ** wsRetry++));
}

function onSignal(m) {
  switch (m.type) {
    case 'peer_joined': // connected anew: both sides start a fresh negotiation
      startPC();
      if (role === 'guest') offer();
      break;
    case 'peer_left':
      setConn(peer + ' lost the connection; waiting for them to come back…');
      break;
    case 'offer':
      if (role === 'host') answer(m.payload);
      break;
    case 'answer':
      if (role === 'guest' && pc) pc.setRemoteDescription(m.payload).then(flush).catch(warn);
      break;
    case 'ice_candidate':
      if (pc && pc.remoteDescription) pc.addIceCandidate(m.payload).catch(warn);
      else pending.push(m.payload);
      break;
    case 'error':
      console.warn('signaling error', m.payload);
  }
}

const warn = (err) => console.warn(err);

// ---- WebRTC ----

function startPC() {
  if (pc) pc.close();
  pending = [];
  const p = new RTCPeerConnection(rtcConfig());
  pc = p;
  const kinds = [];
  if (media) media.getTracks().forEach((t) => { p.addTrack(t, media); kinds.push(t.kind); });
  if (role === 'guest') {
    // The offer asks for both kinds even when we send none.
    ['audio', 'video'].filter((k) => !kinds.includes(k)).forEach((k) => p.addTransceiver(k, { direction: 'recvonly' }));
  }
  p.ontrack = (ev) => {
    const stream = ev.streams[0] || new MediaStream([ev.track]);
    if (remote.srcObject !== stream) { remote.srcObject = stream; play(); }
  };
  p.onicecandidate = (ev) => { if (ev.candidate && p === pc) send('ice_candidate', ev.candidate.toJSON()); };
  p.onconnectionstatechange = () => { if (p === pc) onConnState(p); };
}

let restartTimer = 0;

function onConnState(p) {
  clearTimeout(restartTimer);
  switch (p.connectionState) {
    case 'connected':
      return setConn('Connected to ' + peer + '.');
    case 'disconnected': // often passes by itself; restart if it does not
      setConn('The connection is unstable…');
      restartTimer = setTimeout(() => { if (p === pc && p.connectionState !== 'connected') restartIce(); }, 3000);
      return;
    case 'failed':
      setConn('Reconnecting…');
      return restartIce();
  }
}

// restartIce gathers new candidates (with fresh TURN credentials) after a
// network blip. The guest offers; the host's side follows that offer.
async function restartIce() {
  if (role !== 'guest' || !pc) return;
  try {
    await refreshInfo();
    pc.setConfiguration(rtcConfig());
    await offer({ iceRestart: true });
  } catch (err) {
    warn(err);
  }
}

async function offer(opts) {
  const p = pc;
  const o = await p.createOffer(opts);
  await p.setLocalDescription(o);
  send('offer', p.localDescription.toJSON());
}

async function answer(desc) {
  if (!pc) startPC();
  const p = pc;
  try {
    await p.setRemoteDescription(desc);
    flush();
    await p.setLocalDescription(await p.createAnswer());
    send('answer', p.localDescription.toJSON());
  } catch (err) {
    warn(err);
  }
}

function flush() {
  const list = pending;
  pending = [];
  list.forEach((c) => pc.addIceCandidate(c).catch(warn));
}

// ---- Hanging up, and the end ----

el('hangup').addEventListener('click', async (ev) => {
  const button = ev.currentTarget;
  button.disabled = true;
  leaving = true;
  try {
    await api('POST', `/call/${id}/end`);
  } catch (err) {
    if (err.status !== 404) {
      leaving = false;
      button.disabled = false;
      return show('call-error', 'We could not hang up: ' + err.message + '. Try again.');
    }
  }
  finish();
});

// finish leaves for the summary (the same URL, now that the call ended).
function finish() {
  leaving = true;
  clearTimeout(infoTimer);
  if (ws) ws.close(1000);
  if (pc) pc.close();
  if (media) media.getTracks().forEach((t) => t.stop());
  location.replace(`/call/${id}`);
}

const mediaReady = getMedia();
setInterval(tick, 1000);
poll();
// The host joins the media once they have answered, never before the call
// is billed; render() connects them when the call becomes active.
if (role === 'guest' || status === 'active') connect();
