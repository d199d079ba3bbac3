// The console's behaviour: poll the JSON API, render tables, call redrive/pause/resume/trace.
// Every request carries the per-run token from the page's <meta>; the API refuses requests without it.
const token = document.querySelector('meta[name="hookyard-token"]').content;
const $ = (selector) => document.querySelector(selector);

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '' : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function button(td, label, onClick, primary) {
  const b = document.createElement('button');
  b.textContent = label;
  if (primary) b.className = 'primary';
  b.addEventListener('click', onClick);
  td.appendChild(b);
  return b;
}

function say(text) {
  $('#message').textContent = text;
}

let names = [];

async function refresh() {
  const { integrations } = await call('GET', '/api/status');
  names = integrations.map((i) => i.name);
  const body = $('#integrations tbody');
  body.replaceChildren();
  for (const i of integrations) {
    const row = document.createElement('tr');
    row.dataset.integration = i.name;
    cell(row, i.name);
    cell(row, `${i.queue.visible} / ${i.queue.inFlight}`);
    cell(row, i.dlq.visible + i.dlq.inFlight, i.dlq.visible > 0 ? 'ALARM' : 'OK');
    cell(row, i.oldestMessageAgeSeconds === undefined ? '–' : `${i.oldestMessageAgeSeconds} s`);
    cell(row, i.paused ? `paused (${i.consumption})` : i.consumption, i.paused ? 'ALARM' : '');
    cell(row, i.circuit.state, i.circuit.state === 'closed' ? 'OK' : 'ALARM');
    const alarms = cell(row, '');
    for (const a of i.alarms) {
      const span = document.createElement('div');
      span.textContent = `${a.name.replace(/^hookyard-[a-z]+-/, '')}: ${a.state}`;
      span.className = a.state;
      alarms.appendChild(span);
    }
    const actions = cell(row, '');
    if (i.paused)
      button(actions, 'Resume', () => act('POST', `/api/resume/${i.name}`, undefined, `${i.name} resumed`));
    else button(actions, 'Pause', () => act('POST', `/api/pause/${i.name}`, undefined, `${i.name} paused`));
    body.appendChild(row);
  }
  const select = $('#trace-integration');
  if (select.options.length !== names.length) {
    select.replaceChildren(...names.map((n) => new Option(n, n)));
  }
  const dlqBody = $('#dlq tbody');
  const rows = [];
  for (const name of names) {
    const { events, holdSeconds } = await call('GET', `/api/dlq/${name}`);
    $('#dlq-note').textContent = `(read by peeking: each message hidden ≤ ${holdSeconds} s, then released)`;
    for (const e of events) {
      const row = document.createElement('tr');
      row.dataset.eventId = e.eventId;
      cell(row, name);
      cell(row, e.eventId);
      cell(row, e.eventType);
      cell(row, e.errorClass);
      cell(row, e.reason, 'reason');
      cell(row, e.httpStatus);
      cell(row, e.attempts);
      cell(row, e.lastFailureAt || e.sentAt);
      cell(row, e.count);
      const actions = cell(row, '');
      button(
        actions,
        'Redrive',
        () =>
          act(
            'POST',
            `/api/redrive/${name}`,
            { ids: [e.eventId] },
            (r) => `redrive ${e.eventId}: moved ${r.moved}, skipped ${r.skipped}, failed ${r.failed}`,
          ),
        true,
      );
      button(actions, 'Trace', () => trace(name, e.eventId));
      rows.push(row);
    }
  }
  if (rows.length === 0) {
    const row = document.createElement('tr');
    cell(row, 'The DLQ is empty.', 'muted').colSpan = 10;
    rows.push(row);
  }
  dlqBody.replaceChildren(...rows);
}

async function act(method, path, body, done) {
  try {
    const result = await call(method, path, body);
    say(typeof done === 'function' ? done(result) : done);
  } catch (error) {
    say(`failed: ${error.message}`);
  }
  await refresh().catch((error) => say(`refresh failed: ${error.message}`));
}

async function trace(name, eventId) {
  $('#trace-integration').value = name;
  $('#trace-id').value = eventId;
  try {
    const t = await call('GET', `/api/trace/${encodeURIComponent(name)}/${encodeURIComponent(eventId)}`);
    $('#trace').replaceChildren(
      ...t.steps.map((s) => {
        const li = document.createElement('li');
        li.textContent = `${s.at ?? ''} ${s.state}: ${s.detail}`;
        return li;
      }),
    );
    $('#trace-next').textContent = `${t.outcome} — next: ${t.next}`;
  } catch (error) {
    say(`trace failed: ${error.message}`);
  }
}

$('#trace-form').addEventListener('submit', (event) => {
  event.preventDefault();
  trace($('#trace-integration').value, $('#trace-id').value.trim());
});

refresh().catch((error) => say(`failed: ${error.message}`));
setInterval(() => refresh().catch((error) => say(`refresh failed: ${error.message}`)), 3000);
