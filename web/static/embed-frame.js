// The embedded scheduling widget's frame (/embed/{username}): shows the
// host's free times in the visitor's time zone, tells the embedding page
// what happens (to its origin only, which the server checked against the
// operator's list), and books in a first-party pop-up window, since our
// session cookies are not sent inside another site's frame.
const main = document.getElementById('main');
const parentOrigin = main.dataset.parentOrigin || '';
const framed = window.parent !== window;

function post(event, payload) {
  if (framed && parentOrigin) window.parent.postMessage({ event, payload }, parentOrigin);
}

const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', timeZone: zone });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: zone });

const shortDay = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: zone });

// Regroup the server's slots (by the host's dates) by the visitor's dates,
// and show one day at a time behind a row of day buttons.
function localize() {
  const days = document.getElementById('days');
  if (!days) return;
  const groups = new Map();
  for (const b of days.querySelectorAll('button.slot')) {
    const start = new Date(b.dataset.start);
    const label = dayFmt.format(start);
    if (!groups.has(label)) groups.set(label, { short: shortDay.format(start), buttons: [] });
    b.textContent = timeFmt.format(start);
    groups.get(label).buttons.push(b);
  }
  const picker = document.createElement('div');
  picker.className = 'day-picker';
  picker.setAttribute('role', 'group');
  picker.setAttribute('aria-label', 'Days');
  const sections = [];
  for (const [label, g] of groups) {
    const sec = document.createElement('section');
    sec.className = 'embed-day';
    const h = document.createElement('h2');
    h.textContent = label;
    const ul = document.createElement('ul');
    ul.className = 'slot-list';
    for (const b of g.buttons) {
      const li = document.createElement('li');
      li.append(b);
      ul.append(li);
    }
    sec.append(h, ul);
    const day = document.createElement('button');
    day.type = 'button';
    day.className = 'day';
    day.textContent = g.short;
    day.setAttribute('aria-label', label);
    day.addEventListener('click', () => showDay(sections, sec, day));
    picker.append(day);
    sections.push([sec, day]);
  }
  days.replaceChildren(picker, ...sections.map(([sec]) => sec));
  if (sections.length) showDay(sections, sections[0][0], sections[0][1]);
  const note = document.getElementById('zone-note');
  if (note) note.textContent = `Times in ${zone} (your time zone). The host is in ${main.dataset.hostZone}.`;
}

function showDay(sections, sec, day) {
  for (const [s, d] of sections) {
    s.hidden = s !== sec;
    d.setAttribute('aria-pressed', String(d === day));
  }
}

let chosen = null;
let popup = null;

function choose(button) {
  for (const b of document.querySelectorAll('button.slot[aria-pressed]')) b.removeAttribute('aria-pressed');
  button.setAttribute('aria-pressed', 'true');
  chosen = { start: button.dataset.start, end: button.dataset.end };
  const start = new Date(chosen.start);
  document.getElementById('selected-time').textContent = `${dayFmt.format(start)}, ${timeFmt.format(start)}`;
  const sel = document.getElementById('selected');
  sel.hidden = false;
  document.getElementById('book-button').focus({ preventScroll: true });
  post('vidivo.date_and_time_selected', { scheduled_at: chosen.start, ends_at: chosen.end });
}

function openBooking() {
  if (!chosen) return;
  const q = new URLSearchParams(main.dataset.popupQuery || '');
  q.set('slot', chosen.start);
  const url = `${location.pathname}?${q}`;
  popup = window.open(url, 'vidivo-booking', 'popup,width=480,height=720');
  if (!popup) location.href = url; // pop-ups blocked: book here (works on our own site)
}

// Only our own pop-up, on our own origin, may say a booking was made.
window.addEventListener('message', (e) => {
  if (e.origin !== location.origin || !popup || e.source !== popup) return;
  const d = e.data || {};
  if (d.event !== 'vidivo.booked' || !d.payload) return;
  const b = d.payload;
  document.getElementById('selected').hidden = true;
  const done = document.getElementById('scheduled');
  const start = new Date(b.scheduled_at);
  document.getElementById('scheduled-time').textContent = `${dayFmt.format(start)}, ${timeFmt.format(start)}`;
  document.getElementById('scheduled-link').href = b.booking_url;
  done.hidden = false;
  const btn = document.querySelector('button.slot[aria-pressed]');
  if (btn) btn.closest('li').remove();
  post('vidivo.event_scheduled', { scheduled_call: b });
});

document.addEventListener('click', (e) => {
  const slot = e.target.closest('button.slot');
  if (slot) choose(slot);
  else if (e.target.id === 'book-button') openBooking();
});

localize();
let lastHeight = 0;
new ResizeObserver(() => {
  const h = Math.ceil(document.documentElement.scrollHeight);
  if (h !== lastHeight) {
    lastHeight = h;
    post('vidivo.page_height', { height: `${h}px` });
  }
}).observe(document.body);
