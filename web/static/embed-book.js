// The widget's pop-up (first-party): shows the chosen time in the
// visitor's zone, and once booked tells the frame that opened it — on our
// own origin only — then closes.
const main = document.getElementById('main');
const t = document.getElementById('book-time');
if (t) {
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
  t.textContent = `${fmt.format(new Date(t.dataset.start))} (your time)`;
}
const close = document.getElementById('close-window');
if (close) close.addEventListener('click', () => window.close());

const d = main.dataset;
if (d.bookingId && window.opener) {
  window.opener.postMessage({
    event: 'vidivo.booked',
    payload: {
      id: d.bookingId, scheduled_at: d.scheduledAt, ends_at: d.endsAt,
      join_url: d.joinUrl, booking_url: d.bookingUrl,
    },
  }, location.origin);
  setTimeout(() => window.close(), 1500);
}
