// The scheduling page, enhanced. The server renders every step for the
// zone in ?tz= (the page works without this script); here the browser's
// own zone is detected and the calendar swapped in place for it, months,
// days and zones change without a full reload, the month grid is moved
// through with the arrow keys, and the confirm step takes a card with
// Stripe when the host asks for one.

import { cardStep } from './card.js';

const main = document.getElementById('main');

function urlWith(params) {
  const u = new URL(location.href);
  u.searchParams.delete('slot');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.pathname + u.search;
}

// load fetches another step of the page and swaps the calendar in; on any
// surprise it simply goes there.
async function load(url, { push = true, focus = null } = {}) {
  let doc;
  try {
    const resp = await fetch(url, { credentials: 'same-origin' });
    if (resp.status >= 500) throw new Error(String(resp.status));
    doc = new DOMParser().parseFromString(await resp.text(), 'text/html');
  } catch {
    location.href = url;
    return;
  }
  const fresh = doc.getElementById('scheduler');
  const freshMain = doc.getElementById('main');
  if (!fresh || !freshMain || freshMain.dataset.step) {
    location.href = url;
    return;
  }
  document.getElementById('scheduler').replaceWith(document.adoptNode(fresh));
  main.dataset.zone = freshMain.dataset.zone;
  document.title = doc.title;
  if (push) history.pushState({ url }, '', url); else history.replaceState({ url }, '', url);
  enhance();
  const el = focus && document.querySelector(focus);
  if (el) {
    if (!el.hasAttribute('tabindex') && !/^(A|SELECT|BUTTON)$/.test(el.tagName)) el.setAttribute('tabindex', '-1');
    el.focus();
  }
}

// The month grid: one tab stop, arrows move by day and week, Home and End
// to the week's ends, Page Up and Page Down change the month.
function enhanceGrid() {
  const grid = document.getElementById('month-grid');
  if (!grid) return;
  const days = [...grid.querySelectorAll('.day')];
  const start = days.find((d) => d.getAttribute('aria-current') === 'date') ||
    days.find((d) => d.tagName === 'A') || days[0];
  days.forEach((d) => d.setAttribute('tabindex', d === start ? '0' : '-1'));
  grid.addEventListener('keydown', (ev) => {
    const i = days.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    switch (ev.key) {
      case 'ArrowLeft': j = i - 1; break;
      case 'ArrowRight': j = i + 1; break;
      case 'ArrowUp': j = i - 7; break;
      case 'ArrowDown': j = i + 7; break;
      case 'Home': j = i - ((new Date(days[i].dataset.date + 'T12:00:00Z').getUTCDay() + 6) % 7); break;
      case 'End': j = i + 6 - ((new Date(days[i].dataset.date + 'T12:00:00Z').getUTCDay() + 6) % 7); break;
      case 'PageUp': case 'PageDown': {
        const nav = document.querySelectorAll('.month-nav a');
        const link = [...nav].find((a) => a.getAttribute('aria-label').startsWith(ev.key === 'PageUp' ? 'Previous' : 'Next'));
        if (link) { ev.preventDefault(); load(link.getAttribute('href'), { focus: '#month-grid .day[tabindex="0"]' }); }
        return;
      }
      default: return;
    }
    ev.preventDefault();
    j = Math.max(0, Math.min(days.length - 1, j));
    days[i].setAttribute('tabindex', '-1');
    days[j].setAttribute('tabindex', '0');
    days[j].focus();
  });
}

function enhance() {
  enhanceGrid();
  const select = document.getElementById('tz');
  const apply = document.getElementById('zone-apply');
  if (select && apply) {
    apply.hidden = true; // the select applies itself
    select.addEventListener('change', () => load(urlWith({ tz: select.value }), { focus: '#tz' }));
  }
  const scheduler = document.getElementById('scheduler');
  scheduler.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-nav]');
    if (!a || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
    const href = a.getAttribute('href');
    if (new URL(href, location.href).searchParams.has('slot')) return; // the confirm step loads whole
    ev.preventDefault();
    const focus = a.classList.contains('day') ? '#day-title' : '#month-grid .day[tabindex="0"]';
    load(href, { focus });
  });
}

window.addEventListener('popstate', () => load(location.pathname + location.search, { push: false }));

enhance();

// The visitor's own zone, unless the address names one.
const detected = (() => {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone; } catch { return ''; }
})();
if (detected && !new URL(location.href).searchParams.has('tz') && detected !== main.dataset.zone) {
  // The mark times the page's first render in the visitor's zone.
  load(urlWith({ tz: detected }), { push: false }).then(() => performance.mark('vidivo-zone-shown'));
}

// The confirm step: one booking per click, the card with Stripe if asked.
const form = document.getElementById('book-form');
if (form) {
  const button = document.getElementById('book-button');
  const card = cardStep({ form, button, label: 'Book this time', busy: 'Booking…' });
  let submitting = false;
  form.addEventListener('submit', async (ev) => {
    if (submitting) { ev.preventDefault(); return; }
    submitting = true;
    if (card.usesStripe && form.querySelector('#payment-element')) {
      ev.preventDefault();
      submitting = await card.pay();
      return;
    }
    button.disabled = true;
    button.textContent = 'Booking…';
  });
  window.addEventListener('pageshow', (ev) => {
    if (!ev.persisted) return;
    submitting = false;
    button.disabled = false;
    button.textContent = 'Book this time';
  });
}
