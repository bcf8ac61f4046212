// A booked call's join page: a countdown to the moment the call opens (by
// the server's clock, not the browser's), a host waiting for the guest
// checks again every few seconds, and the card step with Stripe.

import { cardStep } from './card.js';

const main = document.getElementById('main');
const state = main.dataset.joinState;
// The server's clock minus the browser's, so the countdown is right even
// when the browser's clock is not.
const skew = Date.parse(main.dataset.serverTime) - Date.now();

function words(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [];
  if (d) parts.push(d + (d === 1 ? ' day' : ' days'));
  if (h) parts.push(h + (h === 1 ? ' hour' : ' hours'));
  if (m) parts.push(m + (m === 1 ? ' minute' : ' minutes'));
  if (!d) parts.push((s % 60) + ((s % 60) === 1 ? ' second' : ' seconds'));
  return parts.join(' ');
}

// The booked time in the browser's own zone, before the host's.
const when = document.getElementById('jb-when');
if (when && main.dataset.startsAt) {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const day = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: zone });
    const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone });
    const start = new Date(main.dataset.startsAt);
    const end = new Date(main.dataset.endsAt);
    if (!when.textContent.includes('(' + zone + ')')) {
      when.textContent = `${day.format(start)}, ${clock.format(start)}–${clock.format(end)} (${zone}); ` + when.textContent;
    }
  } catch { /* keep the server's words */ }
}

if (state === 'early') {
  const opens = Date.parse(main.dataset.opensAt);
  const out = document.getElementById('countdown');
  out.hidden = false;
  const tick = () => {
    const left = opens - (Date.now() + skew);
    if (left <= 0) { location.reload(); return; }
    out.textContent = 'Opens in ' + words(left) + '.';
    // Far off, a minute's precision is enough; near, every second.
    setTimeout(tick, left > 3600e3 ? 60e3 : 1000);
  };
  tick();
}

if (state === 'waiting') setTimeout(() => location.reload(), 5000);

const form = document.getElementById('join-form');
if (form) {
  const button = document.getElementById('join-button');
  const card = cardStep({ form, button, label: 'Join the call', busy: 'Joining…' });
  let submitting = false;
  form.addEventListener('submit', async (ev) => {
    if (submitting) { ev.preventDefault(); return; }
    submitting = true;
    if (card.usesStripe) {
      ev.preventDefault();
      submitting = await card.pay();
      return;
    }
    button.disabled = true;
    button.textContent = 'Joining…';
  });
}
