// The agents' inbox: vanilla JS, no build step. Every text from the server reaches the page through
// textContent or an attribute, never as HTML, so a participant's words cannot become markup.

(() => {
  const KEY_STORE = 'tagih.inbox.key';
  const LANG_STORE = 'tagih.inbox.lang';
  const POLL_MS = 2000;
  // the open conversation is fetched again when its last message changes, and at least this often
  const VIEW_REFRESH_MS = 10000;

  const $ = (id) => document.getElementById(id);
  const state = {
    key: sessionStorage.getItem(KEY_STORE),
    lang: localStorage.getItem(LANG_STORE) === 'en' ? 'en' : 'id',
    dict: null,
    me: null,
    tab: 'open',
    list: [],
    selected: null,
    view: null,
    viewFetchedAt: 0,
    viewSeen: '',
    timer: null,
  };

  const t = (key, vars = {}) => {
    const text = state.dict?.[state.lang]?.[key] ?? state.dict?.id?.[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
  };

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  };

  class ApiError extends Error {
    constructor(status, body) {
      super(body?.message ?? `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${state.key}`,
        // the server's refusals come in the page's language: `Gagal: {message}` reads as one sentence
        'accept-language': state.lang,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
    if (res.status === 401) {
      signOut(t('signInFailed'));
      throw new ApiError(401, data);
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  const age = (iso) => {
    const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
    if (minutes < 60) return t('minutes', { n: minutes });
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return t('hours', { h: hours, m: minutes % 60 });
    return t('days', { d: Math.floor(hours / 24), h: hours % 24 });
  };
  const locale = () => (state.lang === 'en' ? 'en-GB' : 'id-ID');
  const clock = (iso) =>
    new Date(iso).toLocaleString(locale(), {
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
  const rupiah = (n) => `Rp${new Intl.NumberFormat('id-ID').format(n)}`;
  const reasonText = (reason) => {
    const key = `reason.${reason}`;
    return t(key) === key ? reason : t(key);
  };
  const statusText = (h) =>
    h.status === 'assigned'
      ? t('status.assigned', { name: h.assignedTo === state.me?.name ? t('you') : (h.assignedTo ?? '') })
      : t(`status.${h.status}`);

  function notice(text, isError = false) {
    const p = $('notice');
    p.textContent = text;
    p.className = isError ? 'error' : '';
  }

  function applyStaticTexts() {
    document.documentElement.lang = state.lang;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-placeholder]'))
      node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder));
    $('lang').value = state.lang;
    $('who').textContent = state.me ? t('signedInAs', { name: state.me.name }) : '';
    for (const tab of document.querySelectorAll('[data-tab]'))
      tab.setAttribute('aria-selected', String(tab.dataset.tab === state.tab));
  }

  // ---- the queue ----

  function renderList() {
    const ul = $('queue-list');
    ul.replaceChildren(
      ...state.list.map((h) => {
        const badges = el('span');
        if (h.overdue) badges.append(el('span', { class: 'badge overdue' }, t('overdue')), ' ');
        badges.append(el('span', { class: `badge ${h.status}` }, statusText(h)));
        const li = el(
          'li',
          { 'data-id': String(h.id), 'data-status': h.status },
          el(
            'div',
            { class: 'line' },
            el('span', { class: 'name' }, h.name ?? h.waId),
            el('span', { class: 'age' }, age(h.createdAt)),
          ),
          el('div', { class: 'line muted' }, el('span', { class: 'reason' }, reasonText(h.reason)), badges),
        );
        if (h.id === state.selected) li.setAttribute('aria-current', 'true');
        li.addEventListener('click', () => select(h.id));
        return li;
      }),
    );
    $('queue-empty').hidden = state.list.length > 0;
  }

  async function refreshList() {
    const query = state.tab === 'resolved' ? '?status=resolved' : '';
    state.list = await api('GET', `/api/handoffs${query}`);
    renderList();
    const current = state.list.find((h) => h.id === state.selected);
    const due = Date.now() - state.viewFetchedAt > VIEW_REFRESH_MS;
    if (
      state.selected !== null &&
      (due || (current && `${current.lastMessageId}:${current.status}` !== state.viewSeen))
    )
      await refreshView();
  }

  // ---- the conversation ----

  function renderView() {
    const v = state.view;
    if (!v) return;
    const h = v.handoff;
    $('pick').hidden = true;
    $('conv').hidden = false;
    $('conv-name').textContent = v.participant?.name ?? h.name ?? h.waId;
    const meta = [h.waId];
    if (v.participant) meta.push(`KPJ ${v.participant.kpj}`, v.participant.category);
    meta.push(reasonText(h.reason), statusText(h), age(h.createdAt));
    $('conv-meta').textContent = meta.join(' · ');

    const mine = h.status === 'assigned' && h.assignedTo === state.me?.name;
    $('claim').hidden = h.status !== 'waiting';
    $('resolve').hidden = h.status === 'resolved';
    $('resolve').disabled = h.status === 'assigned' && !mine && state.me?.role !== 'admin';

    const bills = $('bills');
    if (!v.bills || v.bills.unpaid.length === 0) bills.replaceChildren(el('li', {}, t('none')));
    else
      bills.replaceChildren(
        ...v.bills.unpaid.map((b) =>
          el('li', {}, `${b.period}: ${rupiah(b.outstanding)} (${t('due')} ${b.dueDate})`),
        ),
        el('li', {}, el('strong', {}, `${t('total')}: ${rupiah(v.bills.total)}`)),
      );
    const payments = $('payments');
    if (v.payments.length === 0) payments.replaceChildren(el('li', {}, t('none')));
    else
      payments.replaceChildren(
        ...v.payments.map((p) =>
          el('li', {}, `${p.period}: ${rupiah(p.amount)}, ${p.channel}, ${clock(p.paidAt)}`),
        ),
      );
    const consent = [];
    if (!v.participant) consent.push(t('unregistered'));
    else {
      consent.push(v.consent?.optedOut ? t('optedOut') : t('optedIn'));
      if (!v.participant.registeredNumber) consent.push(t('otherNumber'));
    }
    $('consent').textContent = consent.join('. ');

    renderLinkRequest(v.linkRequest, mine);

    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(
      ...v.messages.map((m) => {
        const who =
          m.author === 'participant' ? t('participant') : m.author === 'agent' ? t('you') : t('bot');
        const words = m.text ?? (m.templateName ? `[${m.templateName}]` : `[${m.type}]`);
        return el(
          'li',
          { class: `${m.direction} ${m.author}`, 'data-id': String(m.id), 'data-author': m.author },
          el('span', { class: 'text' }, words),
          el(
            'span',
            { class: 'meta' },
            `${who} · ${clock(m.at)} · ${m.status}${m.errorCode ? ` ${m.errorCode}` : ''}`,
          ),
        );
      }),
    );
    if (atBottom || state.scrollOnRender) list.scrollTop = list.scrollHeight;
    state.scrollOnRender = false;
    renderWindow();
  }

  /** What the sender typed, the registered number and whether it was told; the decision for the holder. */
  function renderLinkRequest(request, mine) {
    const box = $('link-request');
    box.hidden = !request;
    if (!request) return;
    $('link-typed').textContent = t('linkRequest.typed', { kpj: request.kpj, name: request.name });
    $('link-registered').textContent = request.registeredWaId
      ? t('linkRequest.registered', {
          number: request.registeredWaId,
          status: t(`noticeStatus.${request.noticeStatus ?? 'none'}`),
        })
      : t('linkRequest.noRegistered');
    const pending = request.status === 'pending';
    $('link-state').textContent = pending
      ? mine
        ? t('linkRequest.hint')
        : t('claimFirst')
      : t(`linkRequest.${request.status}`, { name: (request.decidedBy ?? '').replace(/^key:/, '') });
    $('link-actions').hidden = !pending;
    $('link-approve').disabled = !mine;
    $('link-reject').disabled = !mine;
  }

  function renderWindow() {
    const v = state.view;
    if (!v) return;
    const h = v.handoff;
    const info = $('window-info');
    const closesAt = v.window.closesAt ? Date.parse(v.window.closesAt) : null;
    const open = closesAt !== null && closesAt > Date.now();
    if (open) {
      const minutes = Math.floor((closesAt - Date.now()) / 60000);
      info.textContent = t('windowOpen', {
        time:
          minutes < 60
            ? t('minutes', { n: minutes })
            : t('hours', { h: Math.floor(minutes / 60), m: minutes % 60 }),
      });
    } else info.textContent = closesAt === null ? t('windowNever') : t('windowClosed');
    info.className = open ? '' : 'closed';
    const mine = h.status === 'assigned' && h.assignedTo === state.me?.name;
    $('reply-text').disabled = !mine || !open;
    $('send').disabled = !mine || !open;
    $('canned').disabled = !mine || !open;
    $('reengage').hidden = !mine || open || !v.participant;
  }

  async function refreshView() {
    if (state.selected === null) return;
    const id = state.selected;
    const view = await api('GET', `/api/handoffs/${id}`);
    if (state.selected !== id) return;
    state.view = view;
    state.viewFetchedAt = Date.now();
    state.viewSeen = `${view.handoff.lastMessageId}:${view.handoff.status}`;
    renderView();
  }

  async function loadCanned(id) {
    const select = $('canned');
    select.replaceChildren(el('option', { value: '' }, t('canned')));
    const canned = await api('GET', `/api/handoffs/${id}/canned`);
    for (const c of canned) {
      const channel = c.key.startsWith('pay.steps.') ? c.key.slice('pay.steps.'.length) : null;
      const label = channel ? t('canned.pay', { channel }) : t(`canned.${c.key}`);
      const option = el('option', { value: c.key }, label);
      option.dataset.text = c.text;
      select.append(option);
    }
  }

  async function select(id) {
    state.selected = id;
    state.view = null;
    state.scrollOnRender = true;
    $('reply-text').value = '';
    notice('');
    renderList();
    await Promise.all([refreshView(), loadCanned(id)]).catch(fail);
  }

  function fail(err) {
    if (err instanceof ApiError && err.status === 401) return;
    notice(t('failed', { message: err.message }), true);
    const offer = err instanceof ApiError ? err.body?.reengage : null;
    if (offer) $('reengage').hidden = false;
  }

  async function act(method, path, body, done) {
    try {
      await api(method, path, body);
      notice(done);
      await refreshList();
      await refreshView();
      return true;
    } catch (err) {
      fail(err);
      return false;
    }
  }

  // ---- signing in and the loop ----

  function signOut(message = '') {
    sessionStorage.removeItem(KEY_STORE);
    state.key = null;
    state.me = null;
    clearInterval(state.timer);
    $('app').hidden = true;
    $('signout').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message;
    applyStaticTexts();
  }

  async function start() {
    try {
      state.me = await api('GET', '/api/inbox/me');
    } catch (err) {
      signOut(err instanceof ApiError && err.status === 403 ? t('signInFailed') : err.message);
      return;
    }
    $('signin').hidden = true;
    $('app').hidden = false;
    $('signout').hidden = false;
    applyStaticTexts();
    await refreshList().catch(fail);
    clearInterval(state.timer);
    state.timer = setInterval(() => {
      refreshList().catch(fail);
      renderWindow();
    }, POLL_MS);
  }

  function wire() {
    $('signin-form').addEventListener('submit', (event) => {
      event.preventDefault();
      state.key = $('key').value.trim();
      $('key').value = '';
      sessionStorage.setItem(KEY_STORE, state.key);
      start();
    });
    $('signout').addEventListener('click', () => signOut());
    $('lang').addEventListener('change', () => {
      state.lang = $('lang').value === 'en' ? 'en' : 'id';
      localStorage.setItem(LANG_STORE, state.lang);
      applyStaticTexts();
      renderList();
      renderView();
      if (state.selected !== null) loadCanned(state.selected).catch(fail);
    });
    for (const tab of document.querySelectorAll('[data-tab]')) {
      tab.addEventListener('click', () => {
        state.tab = tab.dataset.tab;
        applyStaticTexts();
        refreshList().catch(fail);
      });
    }
    $('claim').addEventListener('click', () =>
      act('POST', `/api/handoffs/${state.selected}/claim`, null, t('claimed')),
    );
    $('resolve').addEventListener('click', () =>
      act('POST', `/api/handoffs/${state.selected}/resolve`, null, t('resolved')),
    );
    $('link-approve').addEventListener('click', () =>
      act('POST', `/api/handoffs/${state.selected}/link/approve`, null, t('linkApproved')),
    );
    $('link-reject').addEventListener('click', () =>
      act('POST', `/api/handoffs/${state.selected}/link/reject`, null, t('linkRejected')),
    );
    $('reengage').addEventListener('click', () =>
      act('POST', `/api/handoffs/${state.selected}/reengage`, null, t('reengaged')),
    );
    $('canned').addEventListener('change', () => {
      const option = $('canned').selectedOptions[0];
      const text = option?.dataset.text;
      if (text) {
        const box = $('reply-text');
        box.value = box.value ? `${box.value}\n\n${text}` : text;
        box.focus();
      }
      $('canned').value = '';
    });
    $('reply-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const box = $('reply-text');
      const text = box.value;
      if (text.trim() === '') return;
      $('send').disabled = true;
      state.scrollOnRender = true;
      const ok = await act('POST', `/api/handoffs/${state.selected}/messages`, { text }, t('sent'));
      if (ok) box.value = '';
      renderWindow();
    });
  }

  async function boot() {
    state.dict = await (await fetch('/inbox/i18n.json')).json();
    wire();
    applyStaticTexts();
    if (state.key) await start();
    else signOut();
  }

  boot();
})();
