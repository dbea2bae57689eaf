// The participant's phone, for the demo: vanilla JS, no build step. Every text reaches the page through
// textContent, never as HTML, so a message body cannot become markup.

(() => {
  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);
  const state = { people: [], selected: null, seen: '', timer: null, openList: null };

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  };

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      // the page is in Indonesian, and so are the server's refusals it shows
      headers: { 'accept-language': 'id', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
    if (!res.ok) throw new Error(data?.message ?? `HTTP ${res.status}`);
    return data;
  }

  const clock = (iso) => new Date(iso).toLocaleTimeString('id-ID', { hour: '2-digit', minute: '2-digit' });
  const TICKS = { pending: '○', sent: '✓', delivered: '✓✓', read: '✓✓' };
  const rupiah = (n) => `Rp${n.toLocaleString('id-ID')}`;

  function renderPeople() {
    const q = $('search').value.trim().toLowerCase();
    const list = $('people-list');
    list.replaceChildren();
    for (const p of state.people) {
      if (q && !p.name.toLowerCase().includes(q) && !p.kpj.includes(q)) continue;
      const meta = `${p.category} · KPJ ${p.kpj} · ${p.unpaid} bln tunggakan${p.messages ? ` · ${p.messages} pesan` : ''}`;
      const li = el(
        'li',
        { 'data-wa': p.waId, 'aria-selected': String(p.waId === state.selected) },
        el('span', { class: 'name' }, p.name),
        el('span', { class: 'meta' }, meta),
      );
      li.addEventListener('click', () => select(p.waId));
      list.append(li);
    }
  }

  async function loadPeople() {
    state.people = await api('GET', '/simulator/api/participants');
    renderPeople();
  }

  function tap(button, contextId) {
    const body =
      button.kind === 'button'
        ? { kind: 'button', payload: button.id, title: button.title, contextId }
        : { kind: button.kind, id: button.id, title: button.title, contextId };
    return send(body);
  }

  function bubble(m) {
    const li = el('li', {
      class: 'bubble',
      'data-direction': m.direction,
      'data-kind': m.kind,
      'data-id': m.id,
    });
    if (m.header) li.append(el('span', { class: 'header' }, m.header));
    li.append(el('span', { class: 'text' }, m.text));
    if (m.footer) li.append(el('span', { class: 'footer' }, m.footer));
    const time = el('span', { class: 'time' }, clock(m.at));
    time.append(
      el('span', { class: 'tick', 'data-status': m.status, title: m.status }, TICKS[m.status] ?? ''),
    );
    li.append(time);
    if (m.buttons.length > 0) {
      const actions = el('div', { class: 'actions' });
      for (const b of m.buttons) {
        const button = el('button', { type: 'button', 'data-id': b.id }, b.title);
        button.addEventListener('click', () => tap(b, m.id));
        actions.append(button);
      }
      li.append(actions);
    }
    if (m.kind === 'list') {
      const actions = el('div', { class: 'actions' });
      const open = el('button', { type: 'button', class: 'list-open' }, `☰ ${m.listButton}`);
      const rows = el('div', { class: 'rows' });
      rows.hidden = state.openList !== m.id;
      open.addEventListener('click', () => {
        rows.hidden = !rows.hidden;
        state.openList = rows.hidden ? null : m.id;
      });
      for (const s of m.sections) {
        if (s.title) rows.append(el('span', { class: 'section' }, s.title));
        for (const r of s.rows) {
          const row = el('button', { type: 'button', 'data-id': r.id }, r.title);
          if (r.description) row.append(el('span', { class: 'desc' }, r.description));
          row.addEventListener('click', () => tap(r, m.id));
          rows.append(row);
        }
      }
      actions.append(open);
      li.append(actions, rows);
    }
    return li;
  }

  async function refresh() {
    if (!state.selected) return;
    const waId = state.selected;
    const chat = await api('GET', `/simulator/api/chats/${waId}`);
    if (waId !== state.selected) return;
    $('chat-name').textContent = chat.participant?.name ?? waId;
    $('chat-meta').textContent = chat.participant
      ? `${chat.participant.category} · KPJ ${chat.participant.kpj} · +${waId}`
      : `+${waId}`;
    const seen = JSON.stringify(chat.messages.map((m) => [m.id, m.status]));
    if (seen !== state.seen) {
      state.seen = seen;
      const box = $('messages');
      const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 40;
      box.replaceChildren(...chat.messages.map(bubble));
      if (atBottom) box.scrollTop = box.scrollHeight;
    }
    // the chat is on screen: what has been delivered is read now
    if (!document.hidden && chat.messages.some((m) => m.direction === 'out' && m.status === 'delivered')) {
      await api('POST', `/simulator/api/chats/${waId}/read`);
    }
  }

  async function send(body) {
    $('notice').textContent = '';
    try {
      await api('POST', `/simulator/api/chats/${state.selected}/messages`, body);
      await refresh();
    } catch (err) {
      $('notice').textContent = `Gagal mengirim: ${err.message}`;
    }
  }

  async function select(waId) {
    state.selected = waId;
    state.seen = '';
    state.openList = null;
    $('pick').hidden = true;
    $('chat').hidden = false;
    $('messages').replaceChildren();
    renderPeople();
    await refresh();
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  $('search').addEventListener('input', renderPeople);
  $('compose').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('text').value.trim();
    if (!text) return;
    $('text').value = '';
    await send({ kind: 'text', text });
  });
  $('pay').addEventListener('click', async () => {
    try {
      const result = await api('POST', `/simulator/api/chats/${state.selected}/pay`);
      $('notice').textContent =
        result.recorded > 0
          ? `Pembayaran ${rupiah(result.total)} tercatat.`
          : 'Tidak ada iuran yang belum dibayar.';
      await loadPeople();
    } catch (err) {
      $('notice').textContent = `Gagal: ${err.message}`;
    }
  });

  const params = new URLSearchParams(location.search);
  loadPeople()
    .then(() => {
      const wa = params.get('wa') ?? state.people.find((p) => p.kpj === params.get('kpj'))?.waId;
      if (wa) return select(wa);
    })
    .catch((err) => {
      $('pick').textContent = `Gagal memuat: ${err.message}`;
    });
  state.timer = setInterval(() => {
    refresh().catch(() => {});
  }, POLL_MS);
  setInterval(() => {
    loadPeople().catch(() => {});
  }, POLL_MS * 10);
})();
