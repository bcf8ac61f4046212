// The join page: a camera and microphone preview before paying, and the
// card step (card.js: with the Stripe gateway, Stripe's Payment Element).
// The form works without this script with the sandbox's test cards.

import { cardStep } from './card.js';

const form = document.getElementById('join-form');
const button = document.getElementById('join-button');
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
const card = cardStep({ form, button, label: 'Pay and join', busy: 'Placing the hold…', before: stopPreview });
form.addEventListener('submit', async (ev) => {
  if (submitting) { ev.preventDefault(); return; }
  if (card.usesStripe) {
    ev.preventDefault();
    submitting = true;
    submitting = await card.pay();
    return;
  }
  submitting = true;
  button.disabled = true;
  button.textContent = 'Placing the hold…';
  stopPreview();
});

// Back from the call with the browser's back button: the page comes from
// the cache as it was left, with its button disabled.
window.addEventListener('pageshow', (ev) => {
  if (!ev.persisted) return;
  submitting = false;
  button.disabled = false;
  button.textContent = 'Pay and join';
});
