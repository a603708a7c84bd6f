// NBA shot predictor: the web page of apid (/ui). Plain JavaScript, no
// framework and no build step. Everything the page shows that is derived
// from data (zones, teams, codes, accuracy) comes from the API; the page only
// draws and asks.
'use strict';

(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  // The API lives one level above the page (/ui/ → /), wherever apid is
  // mounted behind a proxy.
  const API_BASE = new URL('..', window.location.href);
  const STORE = { token: 'nba.token', user: 'nba.user', expires: 'nba.expires' };
  const DEFAULTS = { team: 'Los Angeles Lakers', opponent: 'LAC', action: 'Jump Shot', shot: { x: 0, y: 150 } };
  const $ = (id) => document.getElementById(id);

  // The API's field names → the control that sets each (for 422 answers).
  const SHOT_FIELDS = {
    player_name: 'player-name', player_id: 'player-id', team_name: 'team', home_team: 'opponent',
    away_team: 'opponent', period: 'period', minutes_remaining: 'minutes', seconds_remaining: 'seconds',
    action_type: 'action-type', x_location: 'shot-x', y_location: 'shot-y', game_date: 'game-date',
    season_type: 'season-type',
  };
  const FIELD_LABELS = { home_team: 'Home team', away_team: 'Away team', username: 'Username', password: 'Password' };

  const state = {
    token: null, user: null, expires: 0, expiryTimer: 0,
    shot: null, zonesSeq: 0, leagueSeq: 0, league: null,
    current: null, view: 'predict', courts: {},
  };

  // ---- Talking to the API -------------------------------------------------

  class APIError extends Error {
    constructor(status, message, { fields = [], session = false } = {}) {
      super(message);
      this.status = status;
      this.fields = fields;
      this.session = session;
    }
  }

  async function api(method, path, { json, form, auth = true } = {}) {
    const headers = { Accept: 'application/json' };
    let body;
    if (form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    } else if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    }
    if (auth) {
      if (!state.token) throw new APIError(401, 'Please log in first.', { session: true });
      headers.Authorization = `Bearer ${state.token}`;
    }
    let res, text;
    try {
      // credentials: 'omit': the API authenticates with the bearer token
      // only; no cookie is ever sent or set.
      res = await fetch(new URL(path, API_BASE), { method, headers, body, credentials: 'omit', cache: 'no-store' });
      text = await res.text();
    } catch (err) {
      throw new APIError(0, 'Cannot reach the API server: check your network connection, and that apid is running.');
    }
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (err) { data = null; }
    }
    if (res.ok) {
      if (data === null) throw new APIError(res.status, `The server sent an answer that is not JSON (HTTP ${res.status}).`);
      return data;
    }
    throw explain(res, data, auth);
  }

  // explain turns an error answer into words a user can act on.
  function explain(res, data, auth) {
    const s = res.status;
    const detail = data && typeof data.detail === 'string' ? data.detail : '';
    if (s === 401 && auth) {
      return new APIError(s, `Your session has expired or is no longer valid${detail ? ` (${detail})` : ''}. Please log in again.`, { session: true });
    }
    if (s === 403 && auth) {
      return new APIError(s, `This account may not use the API${detail ? ` (${detail})` : ''}. Log in with another account.`, { session: true });
    }
    if (s === 422) {
      const list = data && Array.isArray(data.detail) ? data.detail : [];
      const fields = list.map((d) => {
        const loc = Array.isArray(d.loc) ? d.loc : [];
        return { name: loc.length > 1 ? String(loc[loc.length - 1]) : '', msg: String(d.msg || 'invalid value') };
      });
      return new APIError(s, 'Some values were refused; correct them and try again:', { fields });
    }
    if (s === 429) {
      const wait = res.headers.get('Retry-After');
      return new APIError(s, `${detail || 'Too many attempts'}${wait ? `: wait ${wait} s before trying again.` : '.'}`);
    }
    if (s === 503) {
      if (/prediction service/i.test(detail)) {
        return new APIError(s, 'The prediction service (predictd) is unavailable: it is down, or has no model loaded yet. Nothing was stored. Try again in a moment.');
      }
      if (/database/i.test(detail)) {
        return new APIError(s, 'The database is unavailable right now. Nothing was stored. Try again in a moment.');
      }
      return new APIError(s, `The service is unavailable${detail ? ` (${detail})` : ''}. Try again in a moment.`);
    }
    if (s >= 500) {
      const id = res.headers.get('X-Request-ID');
      return new APIError(s, `The server failed (HTTP ${s}${id ? `, request id ${id}` : ''}). Try again; if it keeps failing, tell an administrator.`);
    }
    return new APIError(s, detail || `The request was refused (HTTP ${s}).`);
  }

  // ---- Messages ------------------------------------------------------------

  function labelOf(name) {
    if (!name) return 'Request';
    if (FIELD_LABELS[name]) return FIELD_LABELS[name];
    const id = SHOT_FIELDS[name];
    const label = id && document.querySelector(`label[for="${id}"]`);
    return label ? label.textContent.trim() : name.replace(/_/g, ' ');
  }

  function showMessage(el, text, { fields = [], kind = 'error' } = {}) {
    el.replaceChildren(text);
    el.className = `message${kind === 'error' ? ' error' : kind === 'ok' ? ' ok' : ''}`;
    if (fields.length) {
      const ul = document.createElement('ul');
      for (const f of fields) {
        const li = document.createElement('li');
        li.textContent = `${labelOf(f.name)}: ${f.msg}`;
        ul.append(li);
      }
      el.append(ul);
    }
    el.hidden = false;
  }

  function hideMessage(el) {
    el.hidden = true;
    el.replaceChildren();
  }

  // fail shows an error where it happened; an ended session goes back to
  // the login form instead, with the reason.
  function fail(err, el) {
    if (err instanceof APIError && err.session) {
      signOut(err.message);
      return;
    }
    const e = err instanceof APIError ? err : new APIError(-1, `The page hit an unexpected error: ${err && err.message ? err.message : err}`);
    showMessage(el, e.message, { fields: e.fields });
  }

  function markInvalid(form, fields, map) {
    for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
    for (const f of fields || []) {
      const el = $(map[f.name] || '');
      if (el) el.setAttribute('aria-invalid', 'true');
    }
  }

  // ---- Formatting ------------------------------------------------------------

  const pct = (p) => `${(100 * p).toFixed(1)} %`;
  const madeWord = (v) => (v === 1 ? 'Make' : 'Miss');

  // probColor maps a probability to a diverging blue-yellow-red scale
  // (ColorBrewer RdYlBu, reversed), the legend's gradient.
  const STOPS = [[0, [44, 123, 182]], [0.25, [171, 217, 233]], [0.5, [255, 255, 191]], [0.75, [253, 174, 97]], [1, [215, 25, 28]]];
  function probColor(p) {
    const q = Math.min(1, Math.max(0, Number(p) || 0));
    for (let i = 1; i < STOPS.length; i++) {
      const [p1, c1] = STOPS[i];
      if (q <= p1) {
        const [p0, c0] = STOPS[i - 1];
        const t = (q - p0) / (p1 - p0);
        const c = c0.map((v, k) => Math.round(v + t * (c1[k] - v)));
        return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
      }
    }
    return 'rgb(215, 25, 28)';
  }

  function formatDate(yyyymmdd) {
    const s = String(yyyymmdd || '');
    return /^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6)}` : s;
  }

  function formatTime(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }

  function periodName(p) {
    const n = Number(p);
    if (n >= 5) return `overtime ${n - 4}`;
    return ['', '1st', '2nd', '3rd', '4th'][n] ? `${['', '1st', '2nd', '3rd', '4th'][n]} quarter` : `period ${p}`;
  }

  // ---- Session -----------------------------------------------------------------

  function storage() {
    try { return window.sessionStorage; } catch (err) { return null; } // blocked: memory only
  }

  function saveSession(token, user, expiresIn) {
    state.token = token;
    state.user = user;
    state.expires = Date.now() + 1000 * (Number(expiresIn) || 3600);
    const st = storage();
    if (st) {
      try {
        st.setItem(STORE.token, token);
        st.setItem(STORE.user, user);
        st.setItem(STORE.expires, String(state.expires));
      } catch (err) { /* full or blocked: the session lives in memory */ }
    }
    armExpiry();
  }

  function restoreSession() {
    const st = storage();
    if (!st) return false;
    const token = st.getItem(STORE.token);
    const expires = Number(st.getItem(STORE.expires));
    if (!token || !(expires > Date.now() + 5000)) {
      clearStored();
      return false;
    }
    state.token = token;
    state.user = st.getItem(STORE.user) || '';
    state.expires = expires;
    armExpiry();
    return true;
  }

  function clearStored() {
    const st = storage();
    if (st) for (const k of Object.values(STORE)) st.removeItem(k);
  }

  function armExpiry() {
    clearTimeout(state.expiryTimer);
    const left = state.expires - Date.now();
    state.expiryTimer = setTimeout(() => signOut('Your session expired. Please log in again.'), Math.max(0, left));
  }

  function signOut(message) {
    const wasIn = state.token !== null;
    state.token = null;
    clearTimeout(state.expiryTimer);
    clearStored();
    showAuth(message, wasIn || Boolean(message));
  }

  // ---- Views ------------------------------------------------------------------

  function showAuth(message, focus) {
    $('app-view').hidden = true;
    $('session').hidden = true;
    $('auth-view').hidden = false;
    if (message) showMessage($('auth-message'), message, { kind: 'info' });
    else hideMessage($('auth-message'));
    if (state.user) $('login-username').value = state.user;
    if (focus) (state.user ? $('login-password') : $('login-username')).focus();
  }

  function showApp() {
    $('auth-view').hidden = true;
    hideMessage($('auth-message'));
    $('app-view').hidden = false;
    $('session').hidden = false;
    $('session-user').textContent = state.user;
    selectTab(state.view);
  }

  const TABS = ['predict', 'history', 'verify'];

  function selectTab(name, focus) {
    for (const t of TABS) {
      const on = t === name;
      const tab = $(`tab-${t}`);
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      $(`view-${t}`).hidden = !on;
    }
    state.view = name;
    if (focus) $(`tab-${name}`).focus();
    if (name === 'history') loadHistory();
    if (name === 'verify') {
      loadAccuracy();
      loadRandom();
    }
  }

  function onTabKey(ev) {
    const i = TABS.indexOf(state.view);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    selectTab(TABS[(next + TABS.length) % TABS.length], true);
  }

  // ---- The court ---------------------------------------------------------------

  function makeCourt(holder, label) {
    const svg = $('court-template').content.firstElementChild.cloneNode(true);
    svg.setAttribute('aria-label', label);
    holder.append(svg);
    return svg;
  }

  function svgEl(name, attrs) {
    const el = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    return el;
  }

  // drawY keeps a backcourt shot (beyond half court) on the drawing's edge.
  function drawY(svg, y) {
    const vb = svg.viewBox.baseVal;
    return Math.min(y, vb.y + vb.height - 6);
  }

  function drawMarker(svg, x, y, fill, title) {
    const marks = svg.querySelector('.marks');
    marks.replaceChildren();
    const dy = drawY(svg, y);
    marks.append(svgEl('circle', { class: 'marker-halo', cx: x, cy: dy, r: 13 }));
    const m = svgEl('circle', { class: 'marker', cx: x, cy: dy, r: 10, fill: fill || '#ffffff' });
    if (title) {
      const t = svgEl('title');
      t.textContent = title;
      m.append(t);
    }
    marks.append(m);
    return m;
  }

  function inputBounds() {
    const ix = $('shot-x');
    const iy = $('shot-y');
    return { minX: Number(ix.min), maxX: Number(ix.max), minY: Number(iy.min), maxY: Number(iy.max) };
  }

  function clampShot(x, y) {
    const b = inputBounds();
    return { x: Math.min(b.maxX, Math.max(b.minX, Math.round(x))), y: Math.min(b.maxY, Math.max(b.minY, Math.round(y))) };
  }

  // setShot places the shot: from a click, the arrow keys or the inputs.
  function setShot(x, y, fromInputs) {
    const s = clampShot(x, y);
    state.shot = s;
    if (!fromInputs || Number($('shot-x').value) !== s.x) $('shot-x').value = s.x;
    if (!fromInputs || Number($('shot-y').value) !== s.y) $('shot-y').value = s.y;
    for (const id of ['shot-x', 'shot-y']) $(id).removeAttribute('aria-invalid');
    const svg = state.courts.predict;
    const m = drawMarker(svg, s.x, s.y, '#ffffff', `Shot at x ${s.x}, y ${s.y}`);
    m.dataset.x = s.x;
    m.dataset.y = s.y;
    svg.setAttribute('aria-label', `Half court. Shot placed at x ${s.x}, y ${s.y} tenths of feet from the rim.`);
    $('result').hidden = true; // the last answer was for another spot
    updateZones();
  }

  async function updateZones() {
    const seq = ++state.zonesSeq;
    const { x, y } = state.shot;
    $('zone-basic').textContent = '…';
    try {
      const z = await api('GET', `court/zones?x=${x}&y=${y}`, { auth: false });
      if (seq !== state.zonesSeq) return;
      showZones(z);
    } catch (err) {
      if (seq !== state.zonesSeq) return;
      for (const id of ['zone-distance', 'zone-basic', 'zone-area', 'zone-range', 'zone-type']) $(id).textContent = '–';
      fail(err, $('predict-message'));
    }
  }

  function showZones(z) {
    $('zone-distance').textContent = `${z.shot_distance} ft`;
    $('zone-basic').textContent = z.shot_zone_basic;
    $('zone-area').textContent = z.shot_zone_area;
    $('zone-range').textContent = z.shot_zone_range;
    $('zone-type').textContent = z.shot_type;
  }

  function onCourtClick(ev) {
    const svg = state.courts.predict;
    const ctm = svg.getScreenCTM();
    if (!ctm) return;
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(ctm.inverse());
    setShot(p.x, p.y);
  }

  function onCourtKey(ev) {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      predict();
      return;
    }
    const step = ev.shiftKey ? 50 : 10;
    const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[ev.key];
    if (!d) return;
    ev.preventDefault();
    if (!state.shot) {
      setShot(DEFAULTS.shot.x, DEFAULTS.shot.y);
      return;
    }
    setShot(state.shot.x + d[0], state.shot.y + d[1]);
  }

  let inputTimer = 0;
  function onXYInput() {
    clearTimeout(inputTimer);
    inputTimer = setTimeout(() => {
      const x = $('shot-x').value.trim();
      const y = $('shot-y').value.trim();
      if (/^-?\d+$/.test(x) && /^-?\d+$/.test(y)) setShot(Number(x), Number(y), true);
    }, 250);
  }

  // ---- League facts for the form -------------------------------------------------

  function dateValue() {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec($('game-date').value.trim());
    return m ? Number(m[1] + m[2] + m[3]) : null;
  }

  function fillSelect(sel, items, want) {
    const keep = sel.value || want;
    sel.replaceChildren();
    for (const it of items) {
      const o = document.createElement('option');
      o.value = it.value;
      o.textContent = it.text;
      if (it.code) o.dataset.code = it.code;
      sel.append(o);
    }
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
    else if ([...sel.options].some((o) => o.value === want)) sel.value = want;
  }

  async function loadLeague() {
    const date = dateValue();
    const note = $('season-note');
    if (date === null) {
      note.textContent = 'Enter a game date.';
      return;
    }
    const seq = ++state.leagueSeq;
    try {
      const lg = await api('GET', `league?game_date=${date}`, { auth: false });
      if (seq !== state.leagueSeq) return;
      state.league = lg;
      fillSelect($('season-type'), lg.season_types.map((v) => ({ value: v, text: v })), 'Regular Season');
      fillSelect($('action-type'), lg.action_types.map((v) => ({ value: v, text: v })), DEFAULTS.action);
      fillSelect($('team'), lg.teams.map((t) => ({ value: t.team_name, text: t.team_name, code: t.code })), DEFAULTS.team);
      fillOpponents();
      note.textContent = `Season ${lg.season_label}: ${lg.teams.length} teams.` +
        (lg.in_data_set ? '' : ' This season is outside the data set (1997-98 to 2019-20): the model has never seen it.');
    } catch (err) {
      if (seq !== state.leagueSeq) return;
      note.textContent = '';
      fail(err, $('predict-message'));
    }
  }

  function ownCode() {
    const o = $('team').selectedOptions[0];
    return o ? o.dataset.code : '';
  }

  function fillOpponents() {
    if (!state.league) return;
    const own = ownCode();
    const others = state.league.teams.filter((t) => t.code !== own)
      .map((t) => ({ value: t.code, text: `${t.code} · ${t.team_name}` }));
    fillSelect($('opponent'), others, DEFAULTS.opponent);
  }

  // ---- Predicting --------------------------------------------------------------------

  function intOrNull(v) {
    const s = String(v).trim();
    return /^-?\d+$/.test(s) ? Number(s) : null;
  }

  async function predict() {
    const msg = $('predict-message');
    hideMessage(msg);
    const form = $('shot-form');
    markInvalid(form, []);
    if (!state.shot) {
      showMessage(msg, 'Place the shot first: click the court, use the arrow keys on it, or type X and Y.');
      $('shot-x').setAttribute('aria-invalid', 'true');
      return;
    }
    const own = ownCode();
    const opp = $('opponent').value;
    const home = $('venue-home').checked;
    const body = {
      player_id: intOrNull($('player-id').value),
      player_name: $('player-name').value.trim(),
      team_name: $('team').value,
      home_team: home ? own : opp,
      away_team: home ? opp : own,
      period: intOrNull($('period').value),
      minutes_remaining: intOrNull($('minutes').value),
      seconds_remaining: intOrNull($('seconds').value),
      action_type: $('action-type').value,
      x_location: state.shot.x,
      y_location: state.shot.y,
      game_date: dateValue(),
      season_type: $('season-type').value,
    };
    const button = $('predict-submit');
    button.disabled = true;
    button.textContent = 'Predicting…';
    try {
      const res = await api('POST', 'predict/shot', { json: body });
      showResult(res, body);
    } catch (err) {
      fail(err, msg);
      if (err instanceof APIError) markInvalid($('view-predict'), err.fields, SHOT_FIELDS);
      if (!msg.hidden) msg.scrollIntoView({ block: 'nearest' });
    } finally {
      button.disabled = false;
      button.textContent = 'Predict';
    }
  }

  function showResult(res, body) {
    const color = probColor(res.probability);
    $('result-prob').textContent = pct(res.probability);
    $('result-prediction').textContent = res.prediction === 1 ? 'the shot goes in (make)' : 'the shot misses (miss)';
    $('result-version').textContent = res.model_version;
    $('result-id').textContent = `#${res.prediction_id}`;
    $('result-zones').textContent = `${res.shot_distance} ft · ${res.shot_zone_basic} · ${res.shot_zone_area} · ${res.shot_zone_range} · ${res.shot_type}`;
    const result = $('result');
    result.dataset.predictionId = res.prediction_id;
    result.dataset.probability = res.probability;
    result.style.borderColor = color;
    result.hidden = false;
    result.scrollIntoView({ block: 'nearest' }); // on a phone the button and the answer may be off screen
    const m = drawMarker(state.courts.predict, body.x_location, body.y_location, color,
      `${pct(res.probability)} chance of a make`);
    m.dataset.probability = res.probability;
    m.dataset.x = body.x_location;
    m.dataset.y = body.y_location;
  }

  // ---- My predictions ------------------------------------------------------------------

  function shotOf(p) {
    return p.kind === 'shot' && p.shot && Number.isFinite(p.shot.x_location) && Number.isFinite(p.shot.y_location) ? p.shot : null;
  }

  function outcomeText(v) {
    if (v === 1) return 'Made';
    if (v === 0) return 'Missed';
    return 'Not verified';
  }

  async function loadHistory() {
    const msg = $('history-message');
    hideMessage(msg);
    $('history-summary').textContent = 'Loading…';
    try {
      renderHistory(await api('GET', 'predictions?limit=50'));
    } catch (err) {
      $('history-summary').textContent = '';
      fail(err, msg);
    }
  }

  function renderHistory(list) {
    const svg = state.courts.history;
    const marks = svg.querySelector('.marks');
    marks.replaceChildren();
    const tbody = $('history-table').tBodies[0];
    tbody.replaceChildren();
    const preds = list.predictions;
    // Oldest first, so that the newest dots are drawn on top.
    for (const p of [...preds].reverse()) {
      const s = shotOf(p);
      if (s) marks.append(dot(svg, s, p));
    }
    let verified = 0;
    for (const p of preds) {
      if (p.true_value !== null) verified++;
      tbody.append(row(p));
    }
    $('history-summary').textContent = preds.length === 0
      ? 'No predictions yet: place a shot on the “Predict a shot” tab.'
      : `${preds.length} prediction${preds.length === 1 ? '' : 's'}${preds.length === list.limit ? ` (the latest ${list.limit})` : ''}, ${verified} verified.`;
  }

  function dot(svg, s, p) {
    const g = svgEl('g', { class: 'chart-dot', 'data-prediction-id': p.prediction_id });
    const cx = s.x_location;
    const cy = drawY(svg, s.y_location);
    if (p.true_value === 1) {
      g.append(svgEl('circle', { class: 'dot made', cx, cy, r: 7 }));
    } else if (p.true_value === 0) {
      g.append(svgEl('circle', { class: 'dot missed', cx, cy, r: 7 }));
      g.append(svgEl('path', { class: 'cross', d: `M ${cx - 4} ${cy - 4} L ${cx + 4} ${cy + 4} M ${cx - 4} ${cy + 4} L ${cx + 4} ${cy - 4}` }));
    } else {
      g.append(svgEl('circle', { class: 'dot', cx, cy, r: 7, fill: probColor(p.probability) }));
    }
    g.dataset.outcome = p.true_value === null ? 'unverified' : p.true_value === 1 ? 'made' : 'missed';
    const t = svgEl('title');
    t.textContent = `#${p.prediction_id}: ${pct(p.probability)} chance, predicted ${madeWord(p.prediction).toLowerCase()}` +
      (p.true_value === null ? '' : `, verified ${outcomeText(p.true_value).toLowerCase()}`);
    g.append(t);
    return g;
  }

  function cell(tr, text, sub, cls) {
    const td = document.createElement('td');
    if (cls) td.className = cls;
    td.append(text);
    if (sub) {
      const s = document.createElement('span');
      s.className = 'sub';
      s.textContent = sub;
      td.append(s);
    }
    tr.append(td);
    return td;
  }

  function row(p) {
    const tr = document.createElement('tr');
    tr.dataset.predictionId = p.prediction_id;
    cell(tr, String(p.prediction_id), '', 'num id');
    const s = shotOf(p);
    if (s) {
      cell(tr, `${s.player_name} · ${s.action_type}`,
        `${s.shot_distance} ft, ${s.shot_zone_basic}, ${s.shot_zone_area} · game ${formatDate(s.game_date)} · asked ${formatTime(p.created_at)}`, 'shot');
    } else {
      cell(tr, '39-feature request', `asked ${formatTime(p.created_at)}`, 'shot');
    }
    const model = cell(tr, '', `predicts a ${madeWord(p.prediction).toLowerCase()}`, 'model');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = probColor(p.probability);
    model.prepend(sw, ` ${pct(p.probability)}`);
    const out = cell(tr, outcomeText(p.true_value),
      p.true_value === null ? '' : p.true_value === p.prediction ? 'model right' : 'model wrong', 'outcome');
    if (p.true_value !== null) out.classList.add(p.true_value === 1 ? 'outcome-made' : 'outcome-missed');
    return tr;
  }

  // ---- Verifying ----------------------------------------------------------------------------

  async function loadAccuracy() {
    try {
      const a = await api('GET', 'accuracy');
      const sum = $('accuracy-summary');
      const list = $('accuracy-versions');
      list.replaceChildren();
      if (!a.verifications) {
        sum.textContent = 'No verified predictions yet.';
        return;
      }
      sum.textContent = `${pct(a.accuracy)}: ${a.correct} of the last ${a.verifications} verified predictions were right` +
        (a.verifications < a.window ? '.' : ` (window: last ${a.window}).`);
      for (const v of a.by_model_version) {
        const li = document.createElement('li');
        li.textContent = `Model ${v.model_version}: ${pct(v.accuracy)} (${v.correct} of ${v.verifications})`;
        list.append(li);
      }
    } catch (err) {
      fail(err, $('verify-error'));
    }
  }

  async function loadRandom() {
    hideMessage($('verify-error'));
    try {
      const r = await api('GET', 'verify_random_prediction');
      if (r.prediction_id === undefined) {
        state.current = null;
        $('verify-card').hidden = true;
        const empty = $('verify-empty');
        empty.firstChild.textContent = `${r.message || 'No unverified predictions available'}. `;
        empty.hidden = false;
        state.courts.verify.querySelector('.marks').replaceChildren();
        return;
      }
      state.current = r;
      renderCurrent(r);
    } catch (err) {
      fail(err, $('verify-error'));
    }
  }

  function renderCurrent(r) {
    const ip = r.input_parameters || {};
    const isShot = 'x_location' in ip;
    const x = isShot ? ip.x_location : ip.X_Location;
    const y = isShot ? ip.y_location : ip.Y_Location;
    $('verify-empty').hidden = true;
    $('verify-card').hidden = false;
    $('verify-card').dataset.predictionId = r.prediction_id;
    $('verify-id').textContent = `#${r.prediction_id}`;
    const rows = [];
    if (isShot) {
      rows.push(['Player', `${ip.player_name} (${ip.team_name})`]);
      rows.push(['Game', `${ip.away_team} at ${ip.home_team}, ${formatDate(ip.game_date)}, ${ip.season_type}`]);
      rows.push(['When', `${periodName(ip.period)}, ${ip.minutes_remaining}:${String(ip.seconds_remaining).padStart(2, '0')} left`]);
      rows.push(['Action', ip.action_type]);
    } else {
      rows.push(['Request', '39 features (POST /predict)']);
    }
    rows.push(['Location', Number.isFinite(x) && Number.isFinite(y) ? `x ${x}, y ${y}` : 'unknown']);
    rows.push(['Zone', isShot ? '…' : '–']);
    rows.push(['Model said', `${madeWord(r.model_prediction)}, ${pct(r.probability)} chance of a make`]);
    rows.push(['Model', r.model_version]);
    rows.push(['Predicted', formatTime(r.date_time)]);
    const dl = $('verify-details');
    dl.replaceChildren();
    let zoneDD = null;
    for (const [k, v] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      if (k === 'Zone') zoneDD = dd;
      dl.append(dt, dd);
    }
    const svg = state.courts.verify;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      drawMarker(svg, x, y, probColor(r.probability), `${pct(r.probability)} chance of a make`);
    } else {
      svg.querySelector('.marks').replaceChildren();
    }
    if (isShot && zoneDD) {
      const id = r.prediction_id;
      api('GET', `court/zones?x=${x}&y=${y}`, { auth: false }).then((z) => {
        if (state.current && state.current.prediction_id === id) {
          zoneDD.textContent = `${z.shot_distance} ft, ${z.shot_zone_basic} (${z.shot_zone_area}), ${z.shot_type}`;
        }
      }, () => { zoneDD.textContent = 'unavailable'; });
    }
  }

  async function verify(value) {
    const cur = state.current;
    if (!cur) return;
    const buttons = ['verify-made', 'verify-missed', 'verify-next'].map($);
    for (const b of buttons) b.disabled = true;
    hideMessage($('verify-error'));
    try {
      await api('POST', 'verify_random_prediction', { json: { prediction_id: cur.prediction_id, true_value: value } });
      const right = cur.model_prediction === value;
      showMessage($('verify-message'),
        `Prediction #${cur.prediction_id} verified as ${value === 1 ? 'made' : 'missed'}: the model was ${right ? 'right' : 'wrong'} ` +
        `(it predicted a ${madeWord(cur.model_prediction).toLowerCase()}).`, { kind: 'ok' });
      await Promise.all([loadAccuracy(), loadRandom()]);
    } catch (err) {
      fail(err, $('verify-error'));
      if (err instanceof APIError && (err.status === 404 || err.status === 409)) loadRandom();
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  // ---- Signing in -------------------------------------------------------------------------

  async function login(username, password) {
    const t = await api('POST', 'token', { form: { grant_type: 'password', username, password }, auth: false });
    saveSession(t.access_token, username, t.expires_in);
    showApp();
  }

  function authInputs(form) {
    return [form.querySelector('input[name="username"]'), form.querySelector('input[name="password"]')];
  }

  function checkFilled(form) {
    const missing = [];
    for (const el of authInputs(form)) {
      const empty = el.value.trim() === '';
      if (empty) {
        el.setAttribute('aria-invalid', 'true');
        missing.push({ name: el.name, msg: 'Field required' });
      } else {
        el.removeAttribute('aria-invalid');
      }
    }
    return missing;
  }

  function markAuth(form, fields) {
    for (const f of fields || []) {
      if (!/^[a-z_]+$/.test(f.name)) continue;
      const el = form.querySelector(`input[name="${f.name}"]`);
      if (el) el.setAttribute('aria-invalid', 'true');
    }
  }

  async function onLogin(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    const msg = $('auth-message');
    hideMessage(msg);
    const missing = checkFilled(form);
    if (missing.length) {
      showMessage(msg, 'Enter your username and password:', { fields: missing });
      return;
    }
    const [u, p] = authInputs(form);
    const button = $('login-submit');
    button.disabled = true;
    try {
      await login(u.value.trim(), p.value);
      p.value = '';
    } catch (err) {
      fail(err, msg);
      if (err instanceof APIError) markAuth(form, err.fields);
    } finally {
      button.disabled = false;
    }
  }

  async function onSignup(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    const msg = $('auth-message');
    hideMessage(msg);
    const missing = checkFilled(form);
    if (missing.length) {
      showMessage(msg, 'Choose a username and a password:', { fields: missing });
      return;
    }
    const [u, p] = authInputs(form);
    const username = u.value.trim();
    const button = $('signup-submit');
    button.disabled = true;
    try {
      await api('POST', 'signup', { json: { username, password: p.value, disabled: false }, auth: false });
    } catch (err) {
      fail(err, msg);
      if (err instanceof APIError) markAuth(form, err.fields);
      button.disabled = false;
      return;
    }
    // The account exists: log straight in with it.
    try {
      await login(username, p.value);
      p.value = '';
      u.value = '';
    } catch (err) {
      showMessage(msg, `Account ${username} was created, but logging in failed: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  // ---- Start -----------------------------------------------------------------------------------

  function init() {
    window.addEventListener('error', (ev) => {
      showMessage($('global-message'), `The page hit an error (${ev.message}). Reload the page to continue.`);
    });
    window.addEventListener('unhandledrejection', (ev) => {
      const r = ev.reason;
      showMessage($('global-message'), `Something failed without an answer: ${r && r.message ? r.message : r}.`);
    });

    const predictSvg = makeCourt($('predict-court'), 'Half court: click to place the shot, or use the arrow keys.');
    predictSvg.classList.add('interactive');
    predictSvg.setAttribute('role', 'application');
    predictSvg.setAttribute('tabindex', '0');
    predictSvg.setAttribute('aria-describedby', 'court-help');
    predictSvg.addEventListener('click', onCourtClick);
    predictSvg.addEventListener('keydown', onCourtKey);
    state.courts.predict = predictSvg;
    state.courts.history = makeCourt($('history-court'), 'Shot chart of your recent predictions; the table lists them.');
    state.courts.verify = makeCourt($('verify-court'), 'The shot to verify, on the half court.');

    $('login-form').addEventListener('submit', onLogin);
    $('signup-form').addEventListener('submit', onSignup);
    $('logout').addEventListener('click', () => signOut('You are logged out.'));
    for (const t of TABS) $(`tab-${t}`).addEventListener('click', () => selectTab(t));
    document.querySelector('[role="tablist"]').addEventListener('keydown', onTabKey);

    $('shot-x').addEventListener('input', onXYInput);
    $('shot-y').addEventListener('input', onXYInput);
    $('shot-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      predict();
    });
    $('game-date').addEventListener('change', loadLeague);
    $('team').addEventListener('change', fillOpponents);
    $('period').addEventListener('change', () => {
      $('minutes').max = Number($('period').value) > 4 ? 4 : 11;
    });

    $('history-refresh').addEventListener('click', loadHistory);
    $('verify-made').addEventListener('click', () => verify(1));
    $('verify-missed').addEventListener('click', () => verify(0));
    $('verify-next').addEventListener('click', loadRandom);
    $('verify-reload').addEventListener('click', loadRandom);

    loadLeague();
    if (restoreSession()) showApp();
    else showAuth('', false);
  }

  init();
})();
