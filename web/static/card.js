// The card step of the join page and the booking pages. With the Stripe
// gateway, Stripe's Payment Element is mounted without an intent; on
// submit the server creates a SetupIntent (at the element's
// data-setup-url) and Stripe.js confirms it with the card, so the card
// number goes to Stripe, never to us; the payment method's id then goes
// with the form. The sandbox's test-card select needs no script.

const csrf = document.querySelector('meta[name="csrf-token"]').content;

function say(text) {
  const el = document.getElementById('card-error');
  if (!el) return;
  el.textContent = text;
  el.hidden = !text;
}

// cardStep prepares the card step of form. label is the button's text;
// busy its text while the form goes to the server; before runs just
// before it goes. It returns whether Stripe takes the card (then the
// page's submit handler calls pay instead of submitting).
export function cardStep({ form, button, label, busy, before = () => {} }) {
  const key = document.getElementById('main').dataset.stripeKey;
  const box = document.getElementById('payment-element');
  let stripe = null;
  let elements = null;

  function mount() {
    if (typeof window.Stripe !== 'function') {
      // Stripe.js loads after this module; wait for it.
      setTimeout(mount, 100);
      return;
    }
    stripe = window.Stripe(key);
    elements = stripe.elements({ mode: 'setup', currency: 'usd', paymentMethodTypes: ['card'] });
    box.textContent = '';
    elements.create('payment').mount(box);
  }

  // pay confirms the card with Stripe, then submits the form; it answers
  // false if the form did not go (the page may be submitted again).
  async function pay() {
    if (!elements) return false;
    button.disabled = true;
    say('');
    const fail = (msg) => {
      say(msg);
      button.disabled = false;
      button.textContent = label;
      return false;
    };
    button.textContent = 'Checking your card…';
    const { error: invalid } = await elements.submit();
    if (invalid) return fail(invalid.message);
    let secret;
    try {
      const resp = await fetch(box.dataset.setupUrl, {
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
    button.textContent = busy;
    before();
    form.submit(); // not a submit event: goes straight to the server
    return true;
  }

  const usesStripe = Boolean(key && box);
  if (usesStripe) mount();
  return { usesStripe, pay };
}
