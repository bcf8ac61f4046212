// The host's dashboard: rings when a guest joins (the page's event stream,
// a generated tone, the tab title), shows Answer and Decline for each
// ringing call, copies link addresses, and sends the browser's time zone
// with the link form. Answer and Decline are plain forms: they work
// without this script.

const main = document.getElementById('main');
const list = document.getElementById('incoming-list');
const section = document.getElementById('incoming');
const template = document.getElementById('incoming-template');
const announce = document.getElementById('ring-announce');
const ringStatus = document.getElementById('ring-status');
const baseTitle = document.title;

// --- ringing: a two-tone phone ring made with Web Audio (no audio file) ---
let audio = null;
let ringTimer = null;
let titleTimer = null;

function ringOnce() {
  if (!audio) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    audio = new Ctx();
  }
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  const t = audio.currentTime;
  for (const [start, freq] of [[0, 440], [0, 480], [0.5, 440], [0.5, 480]]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + start);
    gain.gain.exponentialRampToValueAtTime(0.12, t + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + start + 0.4);
    osc.connect(gain).connect(audio.destination);
    osc.start(t + start);
    osc.stop(t + start + 0.42);
  }
}

function startRinging() {
  if (ringTimer) return;
  ringOnce();
  ringTimer = setInterval(ringOnce, 3000);
  let on = false;
  titleTimer = setInterval(() => {
    on = !on;
    document.title = on ? '📞 Incoming call · Vidivo' : baseTitle;
  }, 1000);
}

function stopRinging() {
  clearInterval(ringTimer);
  clearInterval(titleTimer);
  ringTimer = titleTimer = null;
  document.title = baseTitle;
}

// Browsers start audio only after the person has interacted with the
// page: the first click or key press unlocks it.
function unlockAudio() {
  if (audio && audio.state === 'suspended') audio.resume().catch(() => {});
}
document.addEventListener('click', unlockAudio, { once: true });
document.addEventListener('keydown', unlockAudio, { once: true });

// --- the list of ringing calls ---
function listed(id) {
  return [...list.children].some((li) => li.dataset.callId === id);
}

function addCall(ev) {
  if (!ev || typeof ev.call_id !== 'string' || listed(ev.call_id)) return;
  const li = template.content.firstElementChild.cloneNode(true);
  const name = ev.guest_name || 'A guest';
  li.dataset.callId = ev.call_id;
  li.querySelector('.guest').textContent = name;
  li.querySelector('.rate').textContent = `$${ev.rate_per_minute} a minute`;
  li.querySelector('.window').textContent = String(ev.window_size_minutes);
  li.querySelector('form.answer').action = `/dashboard/calls/${encodeURIComponent(ev.call_id)}/answer`;
  li.querySelector('form.decline').action = `/dashboard/calls/${encodeURIComponent(ev.call_id)}/decline`;
  list.append(li);
  section.hidden = false;
  announce.textContent = `${name} is calling. Answer or decline.`;
  startRinging();
}

// keepOnly drops calls that stopped ringing (the guest left, or the
// host answered in another tab).
function keepOnly(ids) {
  for (const li of [...list.children]) {
    if (!ids.has(li.dataset.callId)) li.remove();
  }
  if (list.children.length === 0) {
    section.hidden = true;
    stopRinging();
  }
}

async function refresh() {
  try {
    const resp = await fetch('/dashboard/ringing', { headers: { Accept: 'application/json' } });
    if (!resp.ok) return;
    const body = await resp.json();
    for (const c of body.calls) addCall(c);
    keepOnly(new Set(body.calls.map((c) => c.call_id)));
  } catch {
    // Offline for a moment: the next refresh tries again.
  }
}

function listen() {
  const es = new EventSource('/dashboard/events');
  es.addEventListener('open', () => {
    ringStatus.textContent = 'Keep this page open: it rings when a guest joins one of your links.';
  });
  es.addEventListener('call.incoming', (e) => {
    try {
      addCall(JSON.parse(e.data));
    } catch {
      // A malformed event is ignored; the refresh below lists the call.
    }
  });
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      ringStatus.textContent = 'Live ringing is unavailable (too many open dashboards?). This page checks for calls every few seconds.';
    }
  });
}

// Answering or declining stops the ring at once.
list?.addEventListener('submit', () => stopRinging());

if (main.dataset.role === 'host' && list) {
  listen();
  if (list.children.length > 0) startRinging();
  // Drop calls that ended, and catch calls the stream missed.
  setInterval(refresh, 10000);
}

// --- copy a link's address ---
for (const btn of document.querySelectorAll('button.copy')) {
  btn.addEventListener('click', async () => {
    const input = document.getElementById(btn.dataset.copy);
    const status = btn.closest('li')?.querySelector('.copy-status');
    try {
      await navigator.clipboard.writeText(input.value);
      if (status) status.textContent = 'Copied.';
    } catch {
      // No clipboard access (an http page, or refused): select the text
      // so the person can copy it themselves.
      input.focus();
      input.select();
      if (status) status.textContent = 'Press Ctrl+C (or ⌘C) to copy the selected address.';
    }
  });
}

// --- the link form: the expiry is typed in the browser's time zone ---
const form = document.getElementById('link-form');
form?.addEventListener('submit', () => {
  const value = document.getElementById('expires_at').value;
  const offset = document.getElementById('tz_offset');
  offset.value = value ? String(new Date(value).getTimezoneOffset()) : '';
});

// After a refused form, take the person to its first marked field.
document.querySelector('#link-form [aria-invalid="true"]')?.focus();
