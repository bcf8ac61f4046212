/* Vidivo scheduling widget: https://<vidivo>/embed.js. No dependencies.
   Vidivo.initInlineWidget({url, parentElement, prefill, utm})
   Vidivo.initPopupWidget({url, prefill, utm})
   Vidivo.initBadgeWidget({url, text, color, textColor, branding})
   <div class="vidivo-inline-widget" data-url="https://<vidivo>/jane"></div>
   The frame posts {event, payload} messages (vidivo.page_height,
   vidivo.date_and_time_selected, vidivo.event_scheduled) to this page's
   origin; listeners must check event.origin, as this script does. */
(function () {
  'use strict';
  if (window.Vidivo && window.Vidivo.initInlineWidget) return;
  var me = document.currentScript;
  var base = me && me.src ? me.src : location.href;
  var utmKeys = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'];

  function camel(k) { return k.replace(/_(\w)/g, function (_, c) { return c.toUpperCase(); }); }

  // frameURL maps a scheduling URL (/jane, /jane/intro, /schedule/jane) to
  // its embed page, with this page's origin, prefill and UTM parameters.
  function frameURL(o) {
    var u = new URL(o.url, base);
    var parts = u.pathname.split('/').filter(Boolean);
    if (parts[0] === 'schedule' || parts[0] === 'embed') parts.shift();
    u.pathname = '/embed/' + parts.join('/');
    var q = u.searchParams, p = o.prefill || {}, t = o.utm || {};
    q.set('embed_origin', location.origin);
    var note = p.note || (p.customAnswers && p.customAnswers.a1);
    [['name', p.name], ['email', p.email], ['note', note]].forEach(function (kv) {
      if (kv[1]) q.set(kv[0], kv[1]);
    });
    utmKeys.forEach(function (k) {
      var v = t[k] || t[camel(k)];
      if (v) q.set(k, v);
    });
    return u;
  }

  function css(el, s) { for (var k in s) el.style[k] = s[k]; return el; }

  function frame(o, onMessage) {
    var u = frameURL(o);
    var f = css(document.createElement('iframe'), { width: '100%', height: '100%', minHeight: '600px', border: '0', display: 'block' });
    f.src = u.href;
    f.title = 'Book a call';
    window.addEventListener('message', function (e) {
      // Only our frame, from Vidivo's origin, is listened to.
      if (e.origin !== u.origin || e.source !== f.contentWindow || !e.data) return;
      if (onMessage) onMessage(e.data);
    });
    return f;
  }

  function initInlineWidget(o) {
    var parent = o.parentElement || document.querySelector('.vidivo-inline-widget');
    if (!parent) throw new Error('Vidivo: no parentElement');
    parent.setAttribute('data-vidivo-ready', '1');
    var f = frame(o, function (d) {
      if (d.event === 'vidivo.page_height' && d.payload && /^\d+px$/.test(d.payload.height)) {
        f.style.height = d.payload.height;
        f.style.minHeight = '0';
      }
    });
    parent.appendChild(f);
    return f;
  }

  var open = null;
  function closePopup() {
    if (!open) return;
    open.remove();
    document.removeEventListener('keydown', onKey);
    if (open.opener && open.opener.focus) open.opener.focus();
    open = null;
  }
  function onKey(e) { if (e.key === 'Escape') closePopup(); }

  function initPopupWidget(o) {
    closePopup();
    var overlay = css(document.createElement('div'), { position: 'fixed', inset: '0', zIndex: '2147483000',
      background: 'rgba(17,24,39,.6)', display: 'flex', alignItems: 'center', justifyContent: 'center' });
    overlay.className = 'vidivo-overlay';
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-modal', 'true');
    overlay.setAttribute('aria-label', 'Book a call');
    var box = css(document.createElement('div'), { position: 'relative', width: 'min(100vw, 720px)',
      height: 'min(100vh, 760px)', background: '#fff', borderRadius: '10px', overflow: 'hidden' });
    var x = css(document.createElement('button'), { position: 'absolute', top: '6px', right: '6px', zIndex: '1',
      font: '600 20px/1 system-ui, sans-serif', width: '36px', height: '36px', border: '0', borderRadius: '18px',
      background: '#111827', color: '#fff', cursor: 'pointer' });
    x.type = 'button';
    x.textContent = '\u00d7';
    x.setAttribute('aria-label', 'Close');
    x.addEventListener('click', closePopup);
    overlay.addEventListener('click', function (e) { if (e.target === overlay) closePopup(); });
    box.appendChild(x);
    box.appendChild(frame(o));
    overlay.appendChild(box);
    overlay.opener = document.activeElement;
    document.body.appendChild(overlay);
    document.addEventListener('keydown', onKey);
    open = overlay;
    x.focus();
    return overlay;
  }

  function initBadgeWidget(o) {
    var wrap = css(document.createElement('div'), { position: 'fixed', right: '20px', bottom: '20px', zIndex: '2147482999',
      textAlign: 'center', font: '14px/1.3 system-ui, sans-serif' });
    wrap.className = 'vidivo-badge';
    var b = css(document.createElement('button'), { background: o.color || '#1d4ed8', color: o.textColor || '#ffffff',
      border: '0', borderRadius: '999px', padding: '12px 20px', font: '600 15px/1.2 system-ui, sans-serif',
      cursor: 'pointer', boxShadow: '0 2px 10px rgba(0,0,0,.25)' });
    b.type = 'button';
    b.textContent = o.text || 'Schedule time with me';
    b.addEventListener('click', function () { initPopupWidget({ url: o.url, prefill: o.prefill, utm: o.utm }); });
    wrap.appendChild(b);
    if (o.branding) {
      var p = css(document.createElement('div'), { marginTop: '4px', fontSize: '11px', color: '#4b5563' });
      p.textContent = 'powered by Vidivo';
      wrap.appendChild(p);
    }
    document.body.appendChild(wrap);
    return wrap;
  }

  function auto() {
    var els = document.querySelectorAll('.vidivo-inline-widget[data-url]:not([data-vidivo-ready])');
    for (var i = 0; i < els.length; i++) initInlineWidget({ url: els[i].getAttribute('data-url'), parentElement: els[i] });
  }

  window.Vidivo = { initInlineWidget: initInlineWidget, initPopupWidget: initPopupWidget,
    initBadgeWidget: initBadgeWidget, closePopupWidget: closePopup };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', auto);
  else auto();
})();
