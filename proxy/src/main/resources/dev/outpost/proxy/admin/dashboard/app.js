// Outpost proxy dashboard: polls /api/status and /api/jobs every 2 s with the token from the page's fragment
// (#token=...), keeps 5 minutes of samples in memory and draws them as plain SVG (no libraries, no CDN).
// Every headline element also carries the raw API value in data-value, so tests and scripts can read it exactly.
'use strict';

(function () {
  const POLL_MILLIS = 2000;
  const HISTORY_MILLIS = 5 * 60 * 1000;
  const SVG = 'http://www.w3.org/2000/svg';

  const history = []; // {t, hitRatio|null, cacheRate, originRate, p50, p99}
  let previous = null; // the last status, for per-interval deltas
  let timer = null;

  const $ = (id) => document.getElementById(id);

  function token() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const t = params.get('token');
    return t && t.trim() ? t.trim() : null;
  }

  // ---- formatting (the dashboard test mirrors these rules) ----

  const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

  function fmtBytes(n) {
    if (!Number.isFinite(n)) return '—';
    let v = Math.abs(n);
    let u = 0;
    while (v >= 1024 && u < UNITS.length - 1) {
      v /= 1024;
      u++;
    }
    const s = u === 0 ? String(Math.round(v)) : v.toFixed(1);
    return (n < 0 ? '-' : '') + s + ' ' + UNITS[u];
  }

  function fmtRate(bytesPerSec) {
    return fmtBytes(bytesPerSec) + '/s';
  }

  function fmtPercent(ratio) {
    return Number.isFinite(ratio) ? (ratio * 100).toFixed(1) + ' %' : '—';
  }

  function fmtMillis(ms) {
    if (!Number.isFinite(ms)) return '—';
    if (ms >= 10000) return (ms / 1000).toFixed(1) + ' s';
    if (ms >= 100) return Math.round(ms) + ' ms';
    if (ms >= 1) return ms.toFixed(1) + ' ms';
    return ms.toFixed(2) + ' ms';
  }

  function fmtCount(n) {
    return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
  }

  // A point in time: the time of day (en-GB, 24 h), with the date in front when it is not today.
  function fmtTime(millis) {
    if (!Number.isFinite(millis) || millis <= 0) return '—';
    const d = new Date(millis);
    const time = d.toLocaleTimeString('en-GB');
    return d.toDateString() === new Date().toDateString() ? time : d.toLocaleDateString('en-GB') + ' ' + time;
  }

  function fmtDuration(seconds) {
    if (!Number.isFinite(seconds) || seconds < 0) return '—';
    const s = Math.floor(seconds);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + ' d ' + h + ' h';
    if (h > 0) return h + ' h ' + m + ' min';
    if (m > 0) return m + ' min ' + (s % 60) + ' s';
    return s + ' s';
  }

  function setValue(id, raw, text) {
    const el = $(id);
    el.textContent = text;
    el.dataset.value = raw === null || raw === undefined ? '' : String(raw);
  }

  // ---- errors ----

  class ApiError extends Error {}

  function showError(message) {
    const e = $('error');
    e.textContent = message;
    e.hidden = false;
    document.body.classList.add('stale');
  }

  function clearError() {
    $('error').hidden = true;
    $('error').textContent = '';
    document.body.classList.remove('stale');
  }

  async function getJson(path, t) {
    let response;
    try {
      response = await fetch(path, {headers: {Authorization: 'Bearer ' + t}, cache: 'no-store'});
    } catch (e) {
      throw new ApiError('Cannot reach the proxy at ' + location.host + ' (' + e.message + '). '
          + 'Is outpost-proxy running with its admin listener on this address?');
    }
    if (response.status === 401 || response.status === 403) {
      throw new ApiError('The proxy refused the admin token (HTTP ' + response.status + '). '
          + 'Open this page as ' + location.origin + '/#token=<admin token>.');
    }
    if (!response.ok) {
      throw new ApiError('The proxy answered HTTP ' + response.status + ' for ' + path + '.');
    }
    try {
      return await response.json();
    } catch (e) {
      throw new ApiError('The proxy sent an unreadable answer for ' + path + ' (' + e.message + ').');
    }
  }

  // ---- rendering ----

  function renderStatus(s) {
    const st = s.stats || {}, cache = s.cache || {}, link = s.link || {}, sub = s.subscription || {};
    $('origin').textContent = link.origin || '—';
    $('version').textContent = s.version || '—';
    $('uptime').textContent = fmtDuration(s.uptimeSeconds);
    $('updated').textContent = new Date().toLocaleTimeString('en-GB');

    // The link's state (ADR 0004), since when, and what last went wrong.
    const state = String(link.state || 'UNKNOWN').toUpperCase();
    const LINK = {
      CONNECTED: 'Origin connected', DEGRADED: 'Origin degraded', DISCONNECTED: 'Origin disconnected',
      REPLAYING: 'Replaying writes',
    };
    const badge = $('link-state');
    badge.textContent = LINK[state] || state;
    badge.dataset.value = state;
    badge.className = 'badge ' + (LINK[state] ? state.toLowerCase() : 'unknown');
    setValue('link-since', link.sinceMillis, Number.isFinite(link.sinceMillis) ? 'since ' + fmtTime(link.sinceMillis) : '—');
    const linkError = $('link-error');
    if (link.lastError) {
      setValue('link-error', link.lastErrorAtMillis, 'last error ' + fmtTime(link.lastErrorAtMillis) + ': ' + link.lastError);
      linkError.hidden = false;
    } else {
      setValue('link-error', null, '');
      linkError.hidden = true;
    }

    setValue('hit-ratio', st.hitRatio, fmtPercent(st.hitRatio));
    $('block-hits').textContent = fmtCount(st.blockHits);
    $('block-misses').textContent = fmtCount(st.blockMisses);

    setValue('wan-saved', st.wanBytesSaved, fmtBytes(st.wanBytesSaved));
    setValue('bytes-from-cache', st.bytesFromCache, fmtBytes(st.bytesFromCache));
    setValue('bytes-from-origin', st.bytesFromOrigin, fmtBytes(st.bytesFromOrigin));

    setValue('latency-p50', st.latencyP50Millis, fmtMillis(st.latencyP50Millis));
    setValue('latency-p99', st.latencyP99Millis, fmtMillis(st.latencyP99Millis));
    setValue('requests', st.requests, fmtCount(st.requests));

    const fill = cache.limitBytes > 0 ? cache.bytes / cache.limitBytes : NaN;
    setValue('cache-fill', Number.isFinite(fill) ? fill : null, fmtPercent(fill));
    const bar = $('cache-fill-bar');
    bar.style.width = Number.isFinite(fill) ? Math.min(100, fill * 100).toFixed(1) + '%' : '0';
    bar.className = 'fill' + (fill >= 0.95 ? ' hot' : '');
    setValue('cache-bytes', cache.bytes, fmtBytes(cache.bytes));
    setValue('cache-limit', cache.limitBytes, fmtBytes(cache.limitBytes));
    setValue('cache-entries', cache.entries, fmtCount(cache.entries));
    setValue('cache-pinned', cache.pinnedBytes, fmtBytes(cache.pinnedBytes));
    // The cache's filesystem filled: the bound kept is below cache.maxBytes until the proxy restarts.
    const lowered = $('cache-lowered');
    lowered.hidden = !cache.limitReason;
    lowered.textContent = cache.limitReason
      ? 'bound lowered from ' + fmtBytes(cache.configuredLimitBytes) + ': ' + cache.limitReason : '';

    setValue('invalidations', st.invalidations, fmtCount(st.invalidations));
    setValue('subscription-seq', sub.seq, fmtCount(sub.seq));
    setValue('subscription-lag', sub.lag, fmtCount(sub.lag));
    $('subscription-live').textContent = sub.live ? 'live' : 'catching up';
  }

  function record(s, now) {
    const st = s.stats || {};
    let hitRatio = null, cacheRate = 0, originRate = 0;
    if (previous) {
      const dt = (now - previous.t) / 1000;
      const dh = st.blockHits - previous.stats.blockHits;
      const dm = st.blockMisses - previous.stats.blockMisses;
      // A counter that went backwards means the proxy restarted: start the deltas afresh.
      if (dt > 0 && dh >= 0 && dm >= 0) {
        hitRatio = dh + dm > 0 ? dh / (dh + dm) : null;
        cacheRate = Math.max(0, st.bytesFromCache - previous.stats.bytesFromCache) / dt;
        originRate = Math.max(0, st.bytesFromOrigin - previous.stats.bytesFromOrigin) / dt;
      }
    }
    previous = {t: now, stats: st};
    history.push({t: now, hitRatio, cacheRate, originRate, p50: st.latencyP50Millis, p99: st.latencyP99Millis});
    while (history.length && history[0].t < now - HISTORY_MILLIS) history.shift();
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  // One chart: a window ending now that grows with the history from 1 to 5 minutes, a y axis from 0 to a
  // round maximum, one polyline per series (a null value breaks the line), optionally filled down to the axis.
  function drawChart(svg, now, series, yMaxAtLeast, fmt, ceiling) {
    const w = Math.max(200, svg.clientWidth || 400), h = Math.max(100, svg.clientHeight || 150);
    const left = 64, right = 8, top = 8, bottom = 20;
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    let max = yMaxAtLeast;
    for (const s of series) for (const p of history) if (Number.isFinite(p[s.key])) max = Math.max(max, p[s.key]);
    max = ceiling(max);
    const span = Math.min(HISTORY_MILLIS, Math.max(60000, history.length ? now - history[0].t : 0));
    const x = (t) => left + (w - left - right) * (1 - (now - t) / span);
    const y = (v) => top + (h - top - bottom) * (1 - v / max);
    for (const f of [0, 0.5, 1]) {
      el('line', {x1: left, x2: w - right, y1: y(max * f), y2: y(max * f), class: 'grid'}, svg);
      el('text', {x: left - 6, y: y(max * f) + 4, class: 'axis', 'text-anchor': 'end'}, svg).textContent =
          f === 0 ? '0' : fmt(max * f);
    }
    for (const [label, t] of [['-' + Math.round(span / 60000) + ' min', now - span], ['now', now]]) {
      el('text', {x: x(t), y: h - 4, class: 'axis', 'text-anchor': label === 'now' ? 'end' : 'start'}, svg)
          .textContent = label;
    }
    for (const s of series) {
      let run = [];
      const flush = () => {
        if (run.length === 1) {
          el('circle', {cx: run[0][0], cy: run[0][1], r: 2.5, class: s.cls}, svg);
        } else if (run.length > 1) {
          if (s.area) {
            const pts = run.map((p) => p.join(',')).join(' ');
            el('polygon', {points: run[0][0] + ',' + y(0) + ' ' + pts + ' ' + run[run.length - 1][0] + ',' + y(0),
              class: s.cls + ' area'}, svg);
          }
          el('polyline', {points: run.map((p) => p.join(',')).join(' '), class: s.cls}, svg);
        }
        run = [];
      };
      for (const p of history) {
        if (Number.isFinite(p[s.key])) run.push([x(p.t).toFixed(1), y(p[s.key]).toFixed(1)]);
        else flush();
      }
      flush();
    }
  }

  function niceCeiling(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  // Byte scales end on a round number of their own unit (50 MiB/s, not 47.7 MiB/s).
  function niceBytesCeiling(v) {
    let unit = 1;
    while (v / unit >= 1024) unit *= 1024;
    return niceCeiling(v / unit) * unit;
  }

  function drawCharts(now) {
    drawChart($('chart-hit'), now, [{key: 'hitRatio', cls: 's-hit', area: true}], 1,
        (v) => Math.round(v * 100) + ' %', () => 1);
    drawChart($('chart-bytes'), now, [
      {key: 'cacheRate', cls: 's-cache', area: true},
      {key: 'originRate', cls: 's-origin', area: true},
    ], 1024, (v) => fmtRate(v).replace('.0 ', ' '), niceBytesCeiling);
    drawChart($('chart-latency'), now, [
      {key: 'p99', cls: 's-p99'},
      {key: 'p50', cls: 's-p50'},
    ], 1, (v) => fmtMillis(v).replace(/\.0+ /, ' '), niceCeiling);
  }

  function renderJobs(jobs) {
    const box = $('jobs');
    box.dataset.count = String(jobs.length);
    box.replaceChildren();
    if (!jobs.length) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = 'No warm jobs.';
      box.appendChild(p);
      return;
    }
    const order = {RUNNING: 0, QUEUED: 1, FAILED: 2, DONE: 3, CANCELLED: 4};
    const sorted = [...jobs].sort((a, b) => (order[a.state] ?? 5) - (order[b.state] ?? 5));
    for (const j of sorted) {
      const done = (j.bytesPresent || 0) + (j.bytesFetched || 0);
      const fraction = j.bytesTotal > 0 ? Math.min(1, done / j.bytesTotal) : (j.state === 'DONE' ? 1 : 0);
      const row = document.createElement('div');
      row.className = 'job ' + String(j.state || '').toLowerCase();
      row.id = 'job-' + j.id;
      row.dataset.state = j.state;
      row.dataset.progress = String(fraction);

      const head = document.createElement('div');
      head.className = 'job-head';
      const name = document.createElement('span');
      name.className = 'job-name';
      const paths = Array.isArray(j.paths) && j.paths.length ? j.paths.join(', ') : '/';
      name.textContent = (j.kind || 'warm') + ' ' + (j.snapshot || 'latest') + ' · ' + paths;
      const state = document.createElement('span');
      state.className = 'job-state';
      state.textContent = j.state;
      head.append(name, state);

      const bar = document.createElement('div');
      bar.className = 'bar';
      const fill = document.createElement('div');
      fill.className = 'fill';
      fill.style.width = (fraction * 100).toFixed(1) + '%';
      bar.appendChild(fill);

      const detail = document.createElement('div');
      detail.className = 'sub job-detail';
      const parts = [
        fmtPercent(fraction),
        fmtBytes(done) + ' of ' + fmtBytes(j.bytesTotal),
        fmtCount((j.blocksPresent || 0) + (j.blocksFetched || 0)) + ' of ' + fmtCount(j.blocksTotal) + ' blocks',
        fmtBytes(j.bytesFetched) + ' fetched',
      ];
      if (j.blocksFailed > 0) parts.push(fmtCount(j.blocksFailed) + ' failed');
      if (j.dirsListed > 0) parts.push(fmtCount(j.dirsListed) + ' directories listed');
      if (j.state === 'RUNNING') {
        parts.push(fmtRate(j.rateBytesPerSecNow));
        if (Number.isFinite(j.etaSeconds) && j.etaSeconds >= 0) parts.push('ETA ' + fmtDuration(j.etaSeconds));
      }
      if (j.error) parts.push(String(j.error));
      detail.textContent = parts.join(' · ');
      row.append(head, bar, detail);
      box.appendChild(row);
    }
  }

  // ---- polling ----

  async function poll() {
    const t = token();
    if (!t) {
      showError('No admin token. Open this page as ' + location.origin + '/#token=<admin token>, or paste it below.');
      $('token-form').hidden = false;
      return;
    }
    $('token-form').hidden = true;
    try {
      const [status, jobs] = await Promise.all([getJson('/api/status', t), getJson('/api/jobs', t)]);
      const now = Date.now();
      renderStatus(status);
      record(status, now);
      drawCharts(now);
      renderJobs(Array.isArray(jobs) ? jobs : []);
      clearError();
    } catch (e) {
      showError(e instanceof ApiError ? e.message : 'Dashboard error: ' + e.message);
    } finally {
      timer = setTimeout(poll, POLL_MILLIS);
    }
  }

  function restart() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    history.length = 0;
    previous = null;
    poll();
  }

  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = $('token-input').value.trim();
    $('token-input').value = '';
    if (v) location.hash = 'token=' + encodeURIComponent(v);
  });
  window.addEventListener('hashchange', restart);
  restart();
})();
