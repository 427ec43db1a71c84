// Tideline's local dashboard: polls the same HTTP API a client would use (plus the local
// runtime's /local/* routes) and draws with uPlot. No build step, no network beyond this origin.
(() => {
  'use strict';
  const POLL_MS = 2000;
  const WINDOW_MS = 15 * 60_000;
  const $ = (id) => document.getElementById(id);
  const fmt = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d));
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

  // The key comes in the URL fragment (never sent to a server), then lives in this tab only.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('key')) {
    sessionStorage.setItem('tideline-key', fragment.get('key'));
    history.replaceState(null, '', location.pathname);
  }
  let apiKey = sessionStorage.getItem('tideline-key');
  let sensor = null;
  let userPicked = false;
  const charts = {};

  function showError(message) {
    const el = $('error');
    el.hidden = !message;
    el.textContent = message || '';
  }

  async function api(path, body) {
    const res = await fetch(path, {
      method: body ? 'POST' : 'GET',
      headers: { 'x-api-key': apiKey || '', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (res.status === 401) {
      $('key-form').hidden = false;
      throw new Error('the API key is missing or wrong: paste the key npm start printed');
    }
    const data = await res.json();
    if (!res.ok) throw new Error(`${path}: ${data.error ? data.error.message : res.status}`);
    return data;
  }

  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    apiKey = $('key-input').value.trim();
    sessionStorage.setItem('tideline-key', apiKey);
    $('key-form').hidden = true;
    tick();
  });
  $('sensor').addEventListener('change', () => {
    sensor = $('sensor').value;
    userPicked = true;
    tick();
  });

  function fillSensors(ids, misbehaving, alerting) {
    const select = $('sensor');
    const flag = new Map(misbehaving.map((m) => [m.sensor_id, m.behaviour]));
    for (const id of alerting) flag.set(id, 'alert');
    const wanted = ids.map((id) => `${id}${flag.has(id) ? ` (${flag.get(id)})` : ''}`).join('|');
    if (select.dataset.options !== wanted) {
      select.innerHTML = ids.map((id) => `<option value="${esc(id)}">${esc(id)}${flag.has(id) ? ` · ${esc(flag.get(id))}` : ''}</option>`).join('');
      select.dataset.options = wanted;
    }
    if (!userPicked) sensor = alerting[0] || (misbehaving[0] && misbehaving[0].sensor_id) || ids[0] || null;
    if (sensor) select.value = sensor;
  }

  function renderNow(s) {
    const latest = s.latest;
    const normal = s.normal_for_this_hour;
    if (!latest) {
      $('now').innerHTML = '<span class="muted">no reading of this sensor yet</span>';
      return;
    }
    const t = latest.temperature;
    const range = normal && normal.expected_temperature_range;
    let band = '';
    if (range && t !== null) {
      const lo = Math.min(range.low, t) - 1;
      const hi = Math.max(range.high, t) + 1;
      const pct = (v) => `${(100 * (v - lo)) / (hi - lo)}%`;
      band = `<div class="band" title="normal band for hour ${normal.hour_of_day}: ${fmt(range.low)} to ${fmt(range.high)}">
        <div class="normal" style="left:${pct(range.low)};width:calc(${pct(range.high)} - ${pct(range.low)})"></div>
        <div class="mark" style="left:${pct(t)}"></div></div>
        <div class="muted">normal for ${normal.hour_of_day}:00 UTC: ${fmt(range.low)} – ${fmt(range.high)} °C (mean ${fmt(normal.temperature.mean)}, n ${normal.temperature.count})</div>`;
    }
    $('now').innerHTML = `
      <div><div class="big" id="now-temp">${fmt(t)} °C</div><div class="muted">${esc(latest.ts)}</div></div>
      <div>${band}</div>
      <div><span class="tag ${esc(latest.anomaly_classification)}">${esc(latest.anomaly_classification)}</span>
        <div>z ${fmt(latest.temperature_z_score)} · score ${fmt(latest.anomaly_score)} · risk ${fmt(latest.predictive_failure_risk)}</div>
        <div class="muted">pressure ${fmt(latest.pressure)} · vibration ${fmt(latest.vibration, 3)} · ${esc(latest.status)}</div></div>
      <div class="muted">${s.open_alerts && s.open_alerts.length ? `<b style="color:var(--crit)">${s.open_alerts.length} open alert(s)</b>` : 'no open alert'}</div>`;
  }

  function plot(id, opts, data) {
    const el = $(id);
    const width = Math.max(300, el.clientWidth || 800);
    if (!charts[id]) {
      charts[id] = new uPlot({ width, height: 220, ...opts }, data, el);
    } else {
      if (charts[id].width !== width) charts[id].setSize({ width, height: 220 });
      charts[id].setData(data);
    }
  }

  const axes = [{ stroke: '#8b9bab', grid: { stroke: '#223' } }, { stroke: '#8b9bab', grid: { stroke: '#223' } }];

  function renderSeries(all) {
    // Judged readings only: backfilled history has no judgment to draw.
    all = all.filter((r) => r.anomaly_classification !== null);
    all.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    // A null row where readings pause for over 30 s, so uPlot breaks the line instead of bridging the gap.
    const rows = [];
    for (const r of all) {
      const prev = rows[rows.length - 1];
      if (prev && Date.parse(r.ts) - Date.parse(prev.ts) > 30_000) rows.push({ ts: new Date(Date.parse(prev.ts) + 1).toISOString() });
      rows.push(r);
    }
    const x = rows.map((r) => Date.parse(r.ts) / 1000);
    const col = (k) => rows.map((r) => (r[k] === null || r[k] === undefined ? null : r[k]));
    const mean = col('avg_temp_historical');
    const sd = col('stddev_temp_historical');
    const hi = mean.map((m, i) => (m === null || sd[i] === null ? null : m + 3 * sd[i]));
    const lo = mean.map((m, i) => (m === null || sd[i] === null ? null : m - 3 * sd[i]));
    plot(
      'chart-temp',
      {
        axes,
        series: [{}, { label: 'temperature', stroke: '#58a6ff', width: 2 }, { label: 'hour mean', stroke: '#3fb950', dash: [4, 4], points: { show: false } }, { label: '+3σ', stroke: '#d29922', points: { show: false } }, { label: '−3σ', stroke: '#d29922', points: { show: false } }],
        bands: [{ series: [3, 4], fill: 'rgba(63,185,80,0.10)' }],
      },
      [x, col('temperature'), mean, hi, lo],
    );
    plot(
      'chart-scores',
      {
        axes,
        series: [{}, { label: 'hour-of-day z', stroke: '#58a6ff' }, { label: 'profile z', stroke: '#a371f7' }, { label: 'seasonal z', stroke: '#8b9bab' }, { label: 'composite score', stroke: '#f85149', width: 2 }],
      },
      [x, col('temperature_z_score'), col('z_score'), col('seasonal_z_score'), col('anomaly_score')],
    );
  }

  function renderAlerts(a) {
    const items = [...a.open.map((x) => ({ ...x, open: true })), ...a.recently_closed.map((x) => ({ ...x, open: false }))].slice(0, 50);
    $('alerts').innerHTML = items.length
      ? items
          .map((x) => {
            const r = x.expected_range;
            return `<li class="${x.open ? 'open' : 'closed'}" data-sensor="${esc(x.sensor_id)}">
              <b>${esc(x.kind)}</b> ${esc(x.sensor_id)} <span class="muted">${esc(new Date(x.opened_at).toISOString().slice(11, 19))}${x.open ? '' : ' · closed'}</span><br>
              ${fmt(x.reading && x.reading.temperature)} °C${r ? ` (normal ${fmt(r.low)} – ${fmt(r.high)})` : ''} · z ${fmt(x.temperature_z_score)} · score ${fmt(x.anomaly_score)} · risk ${fmt(x.predictive_failure_risk)}</li>`;
          })
          .join('')
      : '<li class="closed">no alert yet</li>';
    for (const li of $('alerts').querySelectorAll('li[data-sensor]')) {
      li.addEventListener('click', () => {
        sensor = li.dataset.sensor;
        userPicked = true;
        $('sensor').value = sensor;
        tick();
      });
    }
  }

  function renderMix(result) {
    const rows = result.rows.map((r) => ({ name: r.anomaly_classification, count: Number(r.count) }));
    const total = rows.reduce((s, r) => s + r.count, 0) || 1;
    rows.sort((a, b) => b.count - a.count);
    $('mix').innerHTML = rows
      .map((r) => `<div class="bar"><span class="tag ${esc(r.name)}" style="min-width:170px">${esc(r.name)}</span><div class="fill" style="width:${(160 * r.count) / total}px"></div>${r.count.toLocaleString()} (${fmt((100 * r.count) / total, 1)} %)</div>`)
      .join('') || '<span class="muted">no readings in the last hour</span>';
  }

  function renderTruth(t, status) {
    const kinds = Object.entries(status.simulator.injected).map(([k, n]) => `${esc(k)} ${n}`).join(' · ') || 'none yet';
    $('truth').innerHTML = `<div>${t.caught} of ${t.injected} injected readings caught by an alert <span class="muted">(${kinds}; ${status.simulator.malformed_sent} malformed sent)</span></div>
      <div class="muted">${t.recent.slice(0, 5).map((r) => `${esc(r.ground_truth.kind)} ${esc(r.ground_truth.sensor_id)} ${r.caught_by ? '✓' : '✗'}`).join(' · ')}</div>`;
  }

  function renderSla(sla, status) {
    const last = sla.hours[sla.hours.length - 1];
    const rows = [
      ['freshness p50 (produce → judged)', `${fmt(status.freshness_ms.p50, 0)} ms`],
      ['freshness p95', `${fmt(status.freshness_ms.p95, 0)} ms`],
      ['consumer lag', status.stream.lag === null ? 'see the Kafka cluster' : `${status.stream.lag} records`],
      ['readings judged', status.executor.processed.toLocaleString()],
      ['dead letters', status.executor.deadLetters.toLocaleString()],
    ];
    if (last) {
      rows.push(
        ['queries (this hour)', String(last.query_count)],
        ['query p50 / p95 / p99', `${fmt(last.p50_latency_ms, 0)} / ${fmt(last.p95_latency_ms, 0)} / ${fmt(last.p99_latency_ms, 0)} ms`],
        ['queries/s · mean concurrency (L = λW)', `${fmt(last.queries_per_second, 3)} · ${fmt(last.avg_concurrent_queries, 3)}`],
        [`SLA: within ${sla.sla_ms} ms`, `${fmt(100 * last.sla_compliance_rate, 1)} %`],
      );
    }
    $('sla').innerHTML = rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('');
  }

  let busy = false;
  async function tick() {
    if (busy || !apiKey) {
      if (!apiKey) $('key-form').hidden = false;
      return;
    }
    busy = true;
    try {
      const now = Date.now();
      const [status, alerts, truth, sla, mix] = await Promise.all([
        api('/local/status'),
        api('/alerts?limit=50'),
        api('/local/ground-truth'),
        api('/metrics/sla'),
        // Judged readings only: backfilled history sits in the same lake with no judgment.
        api('/query', {
          from: now - 3_600_000,
          to: now,
          where: { classification: ['NORMAL', 'WARNING', 'CRITICAL_ANOMALY', 'INSUFFICIENT_HISTORY'] },
          group_by: ['classification'],
          metrics: ['temperature'],
          aggregates: ['count'],
        }),
      ]);
      fillSensors(status.simulator.sensor_ids, status.simulator.misbehaving, [...new Set(alerts.open.map((a) => a.sensor_id))]);
      renderAlerts(alerts);
      renderMix(mix);
      renderTruth(truth, status);
      renderSla(sla, status);
      if (sensor) {
        const [s, rows] = await Promise.all([
          api(`/sensors/${encodeURIComponent(sensor)}`),
          api('/query', {
            select: 'rows',
            sensors: [sensor],
            from: now - WINDOW_MS,
            to: now + 60_000,
            columns: ['ts', 'anomaly_classification', 'temperature', 'avg_temp_historical', 'stddev_temp_historical', 'temperature_z_score', 'z_score', 'seasonal_z_score', 'anomaly_score'],
            limit: 5000,
          }),
        ]);
        renderNow(s);
        renderSeries(rows.rows);
      }
      $('pulse').textContent = `live · ${new Date().toISOString().slice(11, 19)} UTC · ${status.executor.processed.toLocaleString()} readings judged`;
      showError(null);
    } catch (e) {
      showError(e.message);
    } finally {
      busy = false;
    }
  }

  tick();
  setInterval(tick, POLL_MS);
})();
