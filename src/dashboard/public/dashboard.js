// The campaign dashboard: vanilla JS, no build step. Every text from the server reaches the page through
// textContent or an attribute, never as HTML.

(() => {
  const KEY_STORE = 'tagih.dashboard.key';
  const POLL_MS = 2000;
  const STEPS = [
    ['queued', 'Antre'],
    ['sent', 'Terkirim'],
    ['delivered', 'Diterima'],
    ['read', 'Dibaca'],
    ['replied', 'Membalas'],
    ['paid', 'Membayar'],
  ];
  const $ = (id) => document.getElementById(id);
  const state = { key: sessionStorage.getItem(KEY_STORE), timer: null, audiences: [], seen: '' };

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  };
  const rupiah = (n) => `Rp${Math.round(n).toLocaleString('id-ID')}`;
  const pct = (x) => `${(x * 100).toFixed(1)}%`;

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${state.key}`,
        // the page is in Indonesian, and so are the server's refusals it shows (`Gagal: {message}`)
        'accept-language': 'id',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
    if (res.status === 401 || res.status === 403) {
      signOut(res.status === 403 ? 'Kunci ini bukan kunci admin.' : 'Kunci tidak dikenal.');
      throw new Error('unauthorised');
    }
    if (!res.ok) throw new Error(data?.message ?? `HTTP ${res.status}`);
    return data;
  }

  function signOut(message = '') {
    state.key = null;
    sessionStorage.removeItem(KEY_STORE);
    clearInterval(state.timer);
    $('app').hidden = true;
    $('signout').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message;
  }

  function funnel(c) {
    const top = Math.max(1, c.stats.queued);
    const grid = el('div', { class: 'funnel', role: 'img', 'aria-label': `Funnel ${c.name}` });
    for (const [step, label] of STEPS) {
      const n = c.stats[step] ?? 0;
      const bar = el('div', { class: 'bar', 'data-step': step });
      bar.style.width = `${Math.min(100, (n / top) * 100)}%`;
      grid.append(
        el('span', { class: 'label' }, label),
        el('div', { class: 'track' }, bar),
        el('span', { class: 'count', 'data-step': step }, String(n)),
      );
    }
    return grid;
  }

  function fact(label, value, name) {
    return el('div', { 'data-fact': name }, el('strong', {}, value), label);
  }

  function card(c) {
    const schedule =
      c.schedule?.dueDateOffsetDays !== undefined
        ? `H${c.schedule.dueDateOffsetDays} pukul ${c.schedule.time}`
        : 'sekali kirim';
    const failures = Object.entries(c.failuresByCode);
    const facts = el(
      'div',
      { class: 'facts' },
      fact(
        'gagal menurut kode',
        failures.length ? failures.map(([code, n]) => `${code}: ${n}`).join(', ') : 'tidak ada',
        'failures',
      ),
      fact('biaya WhatsApp', rupiah(c.costIdr), 'cost'),
      fact('dibayar sesudah pengingat', rupiah(c.paidAfterIdr), 'paidAfter'),
      fact('dilewati', String(c.stats.skipped), 'skipped'),
    );
    if (c.impact) {
      const u = c.impact.uplift;
      const ci = c.impact.ci95;
      facts.append(
        fact(
          `kenaikan vs kelompok kontrol (${c.impact.days} hari)`,
          u === null ? 'belum ada data' : `${pct(u)}${ci ? ` (${pct(ci[0])} – ${pct(ci[1])})` : ''}`,
          'uplift',
        ),
      );
    }
    const status = el('span', { class: 'status', 'data-status': c.status }, c.status);
    return el(
      'li',
      { class: 'campaign', 'data-id': String(c.id) },
      el('h2', {}, `#${c.id} ${c.name}`, status),
      el(
        'p',
        { class: 'meta' },
        `${c.template} · ${schedule} · ${c.recipients} penerima${c.holdoutPercent ? ` · kontrol ${c.holdoutPercent}%` : ''}${c.pauseReason ? ` · ${c.pauseReason}` : ''}`,
      ),
      funnel(c),
      facts,
    );
  }

  async function refresh() {
    const data = await api('GET', '/api/dashboard');
    const seen = JSON.stringify(data);
    if (seen === state.seen) return;
    state.seen = seen;
    $('empty').hidden = data.campaigns.length > 0;
    $('campaigns').replaceChildren(...data.campaigns.map(card));
    const select = $('new-audience');
    const chosen = select.value;
    state.audiences = data.audiences;
    select.replaceChildren(
      ...data.audiences.map((a, i) => el('option', { value: String(i) }, `${a.label} (${a.size} peserta)`)),
    );
    if (chosen && Number(chosen) < data.audiences.length) select.value = chosen;
  }

  function signedIn() {
    $('signin').hidden = true;
    $('app').hidden = false;
    $('signout').hidden = false;
    clearInterval(state.timer);
    state.timer = setInterval(() => refresh().catch(() => {}), POLL_MS);
    return refresh();
  }

  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    state.key = $('key').value.trim();
    state.seen = '';
    try {
      await signedIn();
      sessionStorage.setItem(KEY_STORE, state.key);
    } catch {
      // signOut has said why
    }
  });
  $('signout').addEventListener('click', () => signOut());
  $('new-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const audience = state.audiences[Number($('new-audience').value)]?.audience ?? {};
    $('new-notice').textContent = '';
    try {
      const created = await api('POST', '/api/campaigns', {
        name: $('new-name').value.trim(),
        template: { name: $('new-template').value, language: 'id' },
        audience,
      });
      await api('POST', `/api/campaigns/${created.id}/start`);
      $('new-notice').textContent = `Kampanye #${created.id} dimulai untuk ${created.audienceSize} peserta.`;
      await refresh();
    } catch (err) {
      $('new-notice').textContent = `Gagal: ${err.message}`;
    }
  });

  if (state.key) signedIn().catch(() => {});
  else signOut();
})();
