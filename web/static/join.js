// The join page: a camera and microphone preview before paying, and with
// the Stripe gateway, Stripe's Payment Element confirming a SetupIntent in
// the browser (the card number goes to Stripe, never to us). The form
// works without this script with the sandbox's test cards.

const main = document.getElementById('main');
const form = document.getElementById('join-form');
const button = document.getElementById('join-button');
const csrf = document.querySelector('meta[name="csrf-token"]').content;
let preview = null;

function say(id, text) {
  const el = document.getElementById(id);
  el.textContent = text;
  el.hidden = !text;
}

// The preview is only a check: if it fails, the join still works, and the
// call page asks again.
async function startPreview() {
  const video = document.getElementById('preview');
  const start = document.getElementById('preview-start');
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say('preview-status', 'This browser cannot use a camera here. You can still join; the other side will not see you.');
    start.hidden = true;
    return;
  }
  start.disabled = true;
  say('preview-status', 'Asking for your camera and microphone…');
  try {
    preview = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    video.srcObject = preview;
    video.hidden = false;
    const cam = preview.getVideoTracks()[0];
    const mic = preview.getAudioTracks()[0];
    say('preview-status', `Camera: ${cam ? cam.label || 'on' : 'none'}. Microphone: ${mic ? mic.label || 'on' : 'none'}. You look ready.`);
    start.hidden = true;
  } catch (err) {
    const denied = err && (err.name === 'NotAllowedError' || err.name === 'SecurityError');
    say('preview-status', denied
      ? 'Your browser blocked the camera and microphone. Allow them from the camera icon in the address bar, then try again. You can also join without them.'
      : 'We could not start your camera or microphone (' + (err && err.name || 'error') + '). Check that no other app uses them. You can still join.');
    start.disabled = false;
  }
}

function stopPreview() {
  if (preview) preview.getTracks().forEach((t) => t.stop());
  preview = null;
}

async function autoPreview() {
  // Ask at once only when the browser already allows it; otherwise wait
  // for the button, so the permission prompt comes with its reason.
  try {
    const st = await navigator.permissions.query({ name: 'camera' });
    if (st.state === 'granted') startPreview();
  } catch { /* permissions API without "camera": wait for the button */ }
}

document.getElementById('preview-start').addEventListener('click', startPreview);
autoPreview();

// One submission only: a second click must not start a second call.
let submitting = false;
form.addEventListener('submit', (ev) => {
  if (submitting) { ev.preventDefault(); return; }
  if (main.dataset.stripeKey) { ev.preventDefault(); payWithStripe(); return; }
  submitting = true;
  button.disabled = true;
  button.textContent = 'Placing the hold…';
  stopPreview();
});

// Stripe: the Payment Element is mounted without an intent; on submit the
// server creates a SetupIntent and Stripe.js confirms it with the card.
let stripe = null;
let elements = null;

function mountStripe() {
  if (!main.dataset.stripeKey) return;
  if (typeof window.Stripe !== 'function') {
    // Stripe.js loads after this module; wait for it.
    setTimeout(mountStripe, 100);
    return;
  }
  stripe = window.Stripe(main.dataset.stripeKey);
  elements = stripe.elements({ mode: 'setup', currency: 'usd', paymentMethodTypes: ['card'] });
  const el = document.getElementById('payment-element');
  el.textContent = '';
  elements.create('payment').mount(el);
}

async function payWithStripe() {
  if (!elements) return;
  submitting = true;
  button.disabled = true;
  say('card-error', '');
  const fail = (msg) => {
    say('card-error', msg);
    submitting = false;
    button.disabled = false;
    button.textContent = 'Pay and join';
  };
  button.textContent = 'Checking your card…';
  const { error: invalid } = await elements.submit();
  if (invalid) return fail(invalid.message);
  let secret;
  try {
    const resp = await fetch(`/c/${main.dataset.code}/setup-intent`, {
      method: 'POST', headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin',
    });
    const body = await resp.json();
    if (!resp.ok) return fail(body.error ? body.error.message : 'Something went wrong; try again.');
    secret = body.client_secret;
  } catch {
    return fail('We could not reach the server. Check your connection and try again.');
  }
  const { error, setupIntent } = await stripe.confirmSetup({
    elements, clientSecret: secret, redirect: 'if_required',
    confirmParams: { return_url: location.href },
  });
  if (error) return fail(error.message);
  document.getElementById('payment_method_id').value = setupIntent.payment_method;
  button.textContent = 'Placing the hold…';
  stopPreview();
  form.submit(); // not a submit event: goes straight to the server
}

mountStripe();

// Back from the call with the browser's back button: the page comes from
// the cache as it was left, with its button disabled.
window.addEventListener('pageshow', (ev) => {
  if (!ev.persisted) return;
  submitting = false;
  button.disabled = false;
  button.textContent = 'Pay and join';
});
