// cdiffset page: upload a SAR image to the API v1, follow the job's event stream, show and offer the results.
// Plain JavaScript, no build step. With a token, every API call (and image) is fetched with its Authorization header.
'use strict';
const API = 'api/v1';
const $ = (id) => document.getElementById(id);
let token = localStorage.getItem('cdiffset-token') || '';
let current = null;       // id of the job on screen
let streamAbort = null;   // stops the current event stream
const blobUrls = [];

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (token) h['Authorization'] = 'Bearer ' + token;
  return h;
}

async function api(path, init) {
  init = init || {};
  const res = await fetch(path, Object.assign({}, init, { headers: headers(init.headers) }));
  if (res.status === 401) {
    $('token-panel').hidden = false;
    throw new Error((await errorText(res)) || 'this server needs a token');
  }
  return res;
}

async function errorText(res) {
  try { const j = await res.json(); return j.error || res.statusText; } catch (e) { return res.status + ' ' + res.statusText; }
}

function showError(msg) {
  $('error').textContent = msg;
  $('error').hidden = !msg;
}

// ---------------------------------------------------------------- model information
async function loadModel() {
  try {
    const res = await api(API + '/models');
    if (!res.ok) throw new Error(await errorText(res));
    const m = (await res.json()).models[0];
    const p = m.parameters;
    $('model-info').textContent = `Model ${m.name}: ${(p.unet / 1e6).toFixed(1)} M UNet + ${(p.vae / 1e6).toFixed(1)} M VAE parameters, `
      + `${m.sampling.sampler} ${m.sampling.steps} steps, SAR guidance ${m.sampling.sar_guidance}, ${m.precision}`;
    $('steps').placeholder = m.sampling.steps;
    $('sar_guidance').placeholder = m.sampling.sar_guidance;
    if (!m.confidence) { $('confidence').checked = false; $('confidence').disabled = true; }
    if (m.card) { $('card-link').href = m.card; $('card-link').hidden = false; }
    $('token-panel').hidden = true;
    loadRecent();
  } catch (e) {
    $('model-info').textContent = e.message;
  }
}

// ---------------------------------------------------------------- picking a file
function setFile(file) {
  if (!file) return;
  const dt = new DataTransfer();
  dt.items.add(file);
  $('file').files = dt.files;
  fileChosen();
}

function fileChosen() {
  const f = $('file').files[0];
  $('submit').disabled = !f;
  if (f) $('drop-text').innerHTML = '<strong></strong><br><span class="muted"></span>';
  if (f) {
    $('drop-text').querySelector('strong').textContent = f.name;
    $('drop-text').querySelector('span').textContent = (f.size / 1024).toFixed(0) + ' KB · click or drop to change';
  }
}

// ---------------------------------------------------------------- submitting
async function submit(ev) {
  ev.preventDefault();
  showError('');
  const f = $('file').files[0];
  if (!f) return;
  const form = new FormData();
  form.append('image', f, f.name);
  for (const k of ['steps', 'seed', 'sar_guidance', 'sampler']) if ($(k).value !== '') form.append(k, $(k).value);
  form.append('confidence', $('confidence').checked ? 'true' : 'false');
  $('submit').disabled = true;
  try {
    const res = await api(API + '/translations', { method: 'POST', body: form });
    if (res.status === 429) {
      throw new Error((await errorText(res)) + ' (retry after ' + (res.headers.get('Retry-After') || '?') + ' s)');
    }
    if (res.status !== 202) throw new Error(await errorText(res));
    const j = await res.json();
    show(j.id);
    loadRecent();
  } catch (e) {
    showError(e.message);
  } finally {
    $('submit').disabled = !$('file').files[0];
  }
}

// ---------------------------------------------------------------- following a job
function show(id) {
  current = id;
  if (streamAbort) streamAbort.abort();
  $('job').hidden = false;
  $('result').hidden = true;
  $('cancel').hidden = false;
  setProgress(0, 'waiting…');
  watch(id);
}

function setProgress(percent, text) {
  const p = Math.max(0, Math.min(100, percent));
  $('progress-fill').style.width = p + '%';
  $('progress').setAttribute('aria-valuenow', String(p));
  $('progress-text').textContent = (Math.round(p * 10) / 10) + ' %';
  $('state-text').textContent = text;
}

function render(s) {
  if (s.id !== current) return;
  $('job-name').textContent = s.name ? '— ' + s.name : '';
  if (s.state === 'queued') setProgress(0, 'queued, position ' + s.position);
  else if (s.state === 'running') {
    const eta = s.eta_seconds == null ? '' : ', about ' + Math.ceil(s.eta_seconds) + ' s left';
    setProgress(s.percent || 0, `running: step ${s.step} of ${s.steps || '?'} (${s.status})${eta}`);
  } else if (s.state === 'done') {
    setProgress(100, 'done in ' + (s.seconds || 0).toFixed(1) + ' s');
    $('cancel').hidden = true;
    showResult(s);
  } else if (s.state === 'failed') {
    setProgress(0, 'failed');
    $('cancel').hidden = true;
    showError(s.error);
  } else if (s.state === 'deleted') {
    setProgress(0, 'deleted');
    $('cancel').hidden = true;
  }
}

// Server-Sent Events read with fetch (EventSource cannot send the Authorization header).
async function watch(id) {
  const ctl = new AbortController();
  streamAbort = ctl;
  let last = null;
  try {
    const res = await api(`${API}/translations/${id}/events`, { headers: { Accept: 'text/event-stream' }, signal: ctl.signal });
    if (!res.ok) throw new Error(await errorText(res));
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let event = 'message', data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (!data) continue;
        last = JSON.parse(data);
        render(last);
      }
    }
  } catch (e) {
    if (ctl.signal.aborted) return;
    showError(e.message);
    return;
  }
  if (ctl.signal.aborted || id !== current) return;
  loadRecent();
  // the stream ended before the job did (server restarted): look again shortly
  if (!last || last.state === 'queued' || last.state === 'running') setTimeout(() => { if (id === current) watch(id); }, 2000);
}

async function imageUrl(path) {
  const res = await api(path);
  if (!res.ok) throw new Error(await errorText(res));
  const u = URL.createObjectURL(await res.blob());
  blobUrls.push(u);
  return u;
}

function loadInto(img, url) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('cannot show ' + img.alt));
    img.src = url;
  });
}

async function showResult(s) {
  while (blobUrls.length) URL.revokeObjectURL(blobUrls.pop());
  const f = s.files || {};
  const dl = $('downloads');
  dl.textContent = '';
  const links = [['eo_png', 'EO (PNG)'], ['eo_tif', 'EO (GeoTIFF)'], ['confidence_png', 'confidence (PNG)'], ['confidence_tif', 'confidence (GeoTIFF)']];
  for (const [k, label] of links) {
    if (!f[k]) continue;
    const a = document.createElement('a');
    a.textContent = '⬇ ' + label;
    a.href = '#';
    a.onclick = async (e) => {
      e.preventDefault();
      const u = await imageUrl(f[k]);
      const t = document.createElement('a');
      t.href = u; t.download = f[k].split('/').pop(); t.click();
    };
    dl.appendChild(a);
  }
  $('result').hidden = false;
  try {
    const [eo, sar, conf] = await Promise.all([
      f.eo_png ? imageUrl(f.eo_png) : null, f.sar_png ? imageUrl(f.sar_png) : null, f.confidence_png ? imageUrl(f.confidence_png) : null]);
    if (s.id !== current) return;
    if (!eo) { showError('the scene is too large to preview; use the downloads'); return; }
    await Promise.all([loadInto($('eo-image'), eo), loadInto($('thumb-eo'), eo),
      sar ? loadInto($('sar-image'), sar) : loadInto($('sar-image'), eo), sar ? loadInto($('thumb-sar'), sar) : null]);
    $('overlay-control').hidden = $('legend').hidden = $('thumb-conf-fig').hidden = !conf;
    if (conf) { await loadInto($('conf-overlay'), conf); await loadInto($('thumb-conf'), conf); }
    else $('conf-overlay').removeAttribute('src');
    $('eo-image').dataset.job = s.id;
  } catch (e) {
    showError(e.message);
  }
}

function swipe() {
  const v = $('swipe').value;
  $('eo-image').style.clipPath = `inset(0 0 0 ${v}%)`;
  $('swipe-line').style.left = v + '%';
}

async function cancel() {
  if (!current) return;
  const res = await api(`${API}/translations/${current}`, { method: 'DELETE' });
  if (res.status !== 204) showError(await errorText(res));
  loadRecent();
}

// ---------------------------------------------------------------- recent jobs
async function loadRecent() {
  try {
    const res = await api(API + '/translations?limit=10');
    if (!res.ok) return;
    const list = (await res.json()).translations;
    const ul = $('recent');
    ul.textContent = '';
    if (!list.length) { const li = document.createElement('li'); li.className = 'muted'; li.textContent = 'none yet'; ul.appendChild(li); }
    for (const s of list) {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = `${s.name} (${s.width}×${s.height})`;
      const st = document.createElement('span');
      st.className = 'state ' + s.state;
      st.textContent = s.state;
      li.append(name, st);
      li.onclick = () => { showError(''); show(s.id); };
      ul.appendChild(li);
    }
  } catch (e) { /* shown elsewhere */ }
}

// ---------------------------------------------------------------- wiring
$('file').addEventListener('change', fileChosen);
const drop = $('drop');
for (const t of ['dragenter', 'dragover']) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add('over'); });
for (const t of ['dragleave', 'drop']) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove('over'); });
drop.addEventListener('drop', (e) => setFile(e.dataTransfer.files[0]));
$('upload-form').addEventListener('submit', submit);
$('swipe').addEventListener('input', swipe);
$('opacity').addEventListener('input', () => { $('conf-overlay').style.opacity = $('opacity').value / 100; });
$('cancel').addEventListener('click', cancel);
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  localStorage.setItem('cdiffset-token', token);
  showError('');
  loadModel();
});
swipe();
loadModel();
