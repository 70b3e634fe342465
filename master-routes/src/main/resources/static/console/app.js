/* Chronoroute web console. Talks to the master's REST API with the login session (cookie) and the session's CSRF
 * token on every write; no token in any URL. Every value from a calendar is inserted as text, never as HTML. */
(function () {
  'use strict';

  var REFRESH_MS = 4000;
  var session = null;
  var calendar = null;
  var view = 'calendar';
  var agentColors = {};
  var palette = ['#1f5fbf', '#1b7f3b', '#b35c00', '#7b3fa0', '#00838f', '#a0306a', '#5d6b00', '#8a4b2d'];
  var MULTI = '#3d4a5c';
  var timer = null;
  var busy = false;

  // ------------------------------------------------------------------ helpers

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) { return; }
        if (k === 'text') { e.textContent = v; }
        else if (k === 'class') { e.className = v; }
        else if (k.indexOf('on') === 0) { e.addEventListener(k.substring(2), v); }
        else { e.setAttribute(k, v === true ? '' : v); }
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }

  function fmtTime(s) {
    if (!s) { return '—'; }
    var d = new Date(s);
    return isNaN(d.getTime()) ? String(s) : d.toLocaleString();
  }

  function kv(pairs) {
    var dl = el('dl', { 'class': 'kv' });
    pairs.forEach(function (p) {
      dl.appendChild(el('dt', { text: p[0] }));
      var v = p[1];
      dl.appendChild(v instanceof Node ? el('dd', null, [v]) : el('dd', { text: v === null || v === undefined || v === '' ? '—' : String(v) }));
    });
    return dl;
  }

  function api(method, path, body) {
    var headers = { 'Accept': 'application/json' };
    if (method !== 'GET') { headers[session.csrf_header] = session.csrf_token; }
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; }
    return fetch(path, {
      method: method, headers: headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = { reason: t }; }
        if (r.status === 401) { showLogin(); }
        return { status: r.status, ok: r.ok, data: data };
      });
    });
  }

  function reasonOf(res) {
    var d = res.data || {};
    return (d.reason || d.message || d.error || ('HTTP ' + res.status)) + (d.field ? ' (' + d.field + ')' : '');
  }

  function notice(text, kind) {
    var n = $('notice');
    n.textContent = text;
    n.className = 'notice' + (kind ? ' ' + kind : '');
    n.hidden = !text;
  }

  function colorOf(origins) {
    if (!origins || origins.length === 0) { return MULTI; }
    if (origins.length > 1) { return MULTI; }
    var a = origins[0];
    if (!agentColors[a]) {
      agentColors[a] = palette[Object.keys(agentColors).length % palette.length];
    }
    return agentColors[a];
  }

  function renderLegend() {
    var l = clear($('legend'));
    Object.keys(agentColors).sort().forEach(function (a) {
      l.appendChild(el('span', null, [el('i', { style: 'background:' + agentColors[a] }), 'agent ' + a]));
    });
    l.appendChild(el('span', null, [el('i', { style: 'background:' + MULTI }), 'several origins']));
  }

  // ------------------------------------------------------------------ session

  function loadSession() {
    return fetch('/console/session', { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (s) { session = s; return s; });
  }

  function showLogin() {
    stopRefresh();
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-user').focus();
  }

  function showApp() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('user').textContent = session.user;
    $('feed-url').value = session.feed_url || '';
    route();
    startRefresh();
  }

  function login(ev) {
    ev.preventDefault();
    $('login-error').textContent = '';
    var form = new URLSearchParams();
    form.set('username', $('login-user').value);
    form.set('password', $('login-password').value);
    var headers = { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/json' };
    headers[session.csrf_header] = session.csrf_token;
    fetch('/console/login', { method: 'POST', headers: headers, body: form.toString(), credentials: 'same-origin' })
      .then(function (r) {
        if (r.status !== 200) {
          return r.json().catch(function () { return {}; }).then(function (d) {
            $('login-error').textContent = d.reason || 'Login failed';
            return loadSession();
          });
        }
        $('login-password').value = '';
        return loadSession().then(function () { showApp(); oauthReturn(); });
      })
      .catch(function (e) { $('login-error').textContent = 'The master cannot be reached: ' + e.message; });
  }

  function logout() {
    api('POST', '/console/logout').then(function () {
      session = null;
      if (calendar) { calendar.destroy(); calendar = null; }
      return loadSession();
    }).then(showLogin);
  }

  // ------------------------------------------------------------------ navigation

  var gotoDate = null;

  function route() {
    var h = (location.hash || '#calendar').substring(1);
    var m = /^calendar\/(\d{4}-\d{2}-\d{2})$/.exec(h);   // #calendar/2026-12-07 opens the calendar at that date
    if (m) { h = 'calendar'; gotoDate = m[1]; }
    if (['calendar', 'agents', 'destinations', 'conflicts', 'updates'].indexOf(h) < 0) { h = 'calendar'; }
    if (view !== h) { notice(''); }
    view = h;
    document.querySelectorAll('.tabs a').forEach(function (a) {
      if (a.getAttribute('data-view') === h) { a.setAttribute('aria-current', 'page'); }
      else { a.removeAttribute('aria-current'); }
    });
    document.querySelectorAll('.view').forEach(function (s) { s.hidden = s.id !== 'view-' + h; });
    refresh(true);
  }

  function startRefresh() {
    stopRefresh();
    timer = setInterval(function () { refresh(false); }, REFRESH_MS);
  }

  function stopRefresh() {
    if (timer) { clearInterval(timer); timer = null; }
  }

  function refresh(first) {
    if (!session || !session.authenticated) { return; }
    if (busy) {
      if (first) { setTimeout(function () { refresh(true); }, 250); }   // a view change waits for the running refresh
      return;
    }
    if (document.querySelector('dialog[open]') && !first) { return; }
    busy = true;
    var p;
    if (view === 'calendar') { p = refreshCalendar(first); }
    else if (view === 'agents') { p = renderAgents(); }
    else if (view === 'destinations') { p = renderDestinations(); }
    else if (view === 'conflicts') { p = renderConflicts(); }
    else { p = renderUpdates(); }
    Promise.all([p, countConflicts()]).then(function () {
      $('last-refresh').textContent = 'Last refresh ' + new Date().toLocaleTimeString() + '.';
    }).catch(function (e) {
      notice('Refresh failed: ' + e.message, 'bad');
    }).then(function () { busy = false; });
  }

  var shown = {};

  /** True when this view already shows exactly this data: then it is not rebuilt (keeps focus and scroll). */
  function unchanged(name, data) {
    var key = JSON.stringify(data);
    if (shown[name] === key) { return true; }
    shown[name] = key;
    return false;
  }

  function countConflicts() {
    return api('GET', '/sync/conflicts/recent?status=open&limit=1000').then(function (r) {
      var n = r.ok ? r.data.count : 0;
      var b = $('conflict-count');
      b.textContent = n;
      b.hidden = !n;
      b.setAttribute('aria-label', n + ' open');
    });
  }

  // ------------------------------------------------------------------ calendar

  var NARROW_TOOLBAR = { left: 'prev,next today', center: 'title', right: 'listWeek,dayGridMonth' };
  var WIDE_TOOLBAR = { left: 'prev,next today', center: 'title', right: 'dayGridMonth,timeGridWeek,listWeek' };

  function isNarrow() { return window.matchMedia('(max-width: 640px)').matches; }

  function refreshCalendar(first) {
    if (!calendar) {
      var narrow = isNarrow();
      calendar = new FullCalendar.Calendar($('calendar'), {
        initialView: narrow ? 'listWeek' : 'dayGridMonth',
        headerToolbar: narrow ? NARROW_TOOLBAR : WIDE_TOOLBAR,
        windowResize: function () {
          // a phone-sized window gets the list of the week, a wide one the month
          var n = isNarrow();
          calendar.setOption('headerToolbar', n ? NARROW_TOOLBAR : WIDE_TOOLBAR);
          if (n && calendar.view.type !== 'listWeek') { calendar.changeView('listWeek'); }
          if (!n && calendar.view.type === 'listWeek') { calendar.changeView('dayGridMonth'); }
        },
        height: 'auto',
        nowIndicator: true,
        firstDay: 1,
        eventTimeFormat: { hour: '2-digit', minute: '2-digit', hour12: false },
        events: function (info, ok, fail) {
          api('GET', '/sync/events/fullcalendar?expand=true&start=' + encodeURIComponent(info.startStr)
              + '&end=' + encodeURIComponent(info.endStr)).then(function (r) {
            if (!r.ok) { fail(new Error(reasonOf(r))); return; }
            ok(r.data.map(function (e) {
              var c = colorOf(e.extendedProps.origins);
              e.backgroundColor = c;
              e.borderColor = c;
              e.textColor = '#fff';
              return e;
            }));
            renderLegend();
          }).catch(fail);
        },
        eventClick: function (info) {
          info.jsEvent.preventDefault();
          openEvent(info.event.id, info.event.start);
        },
        eventDidMount: function (info) {
          info.el.setAttribute('tabindex', '0');
          info.el.setAttribute('role', 'button');
          info.el.setAttribute('aria-label', info.event.title + ', ' + info.event.start.toLocaleString());
          info.el.addEventListener('keydown', function (k) {
            if (k.key === 'Enter' || k.key === ' ') { k.preventDefault(); openEvent(info.event.id, info.event.start); }
          });
          info.el.setAttribute('data-event-id', info.event.id);
        }
      });
      if (gotoDate) { calendar.gotoDate(gotoDate); gotoDate = null; }
      calendar.render();
      return Promise.resolve();
    }
    if (gotoDate) { calendar.gotoDate(gotoDate); gotoDate = null; }
    if (!first) { calendar.refetchEvents(); }
    else { calendar.updateSize(); calendar.refetchEvents(); }
    return Promise.resolve();
  }

  function timeText(t) {
    if (!t) { return '—'; }
    if (t.date) { return t.date + ' (all day)'; }
    var s = t.date_time || '';
    return s + (t.time_zone ? ' ' + t.time_zone : (s && !/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? ' (floating)' : ''));
  }

  function openEvent(id, occurrenceStart) {
    var d = $('event-dialog');
    $('event-title').textContent = 'Event';
    clear($('event-details')).appendChild(el('p', { 'class': 'muted', text: 'Loading…' }));
    $('event-form').hidden = true;
    $('event-message').textContent = '';
    $('event-message').className = 'message';
    if (!d.open) { d.showModal(); }
    api('GET', '/sync/events/' + encodeURIComponent(id)).then(function (r) {
      if (!r.ok) { clear($('event-details')).appendChild(el('p', { 'class': 'error', text: reasonOf(r) })); return; }
      showEvent(r.data, occurrenceStart);
    });
  }

  function showEvent(data, occurrenceStart) {
    var e = data.event;
    $('event-title').textContent = e.title || '(no title)';
    var box = clear($('event-details'));
    var recurring = (e.rrule && e.rrule.length) || (e.rdate && e.rdate.length);
    var pairs = [
      ['When', timeText(e.start) + ' → ' + timeText(e.end)],
      ['Location', e.location],
      ['Status', e.status]
    ];
    if (recurring) {
      pairs.push(['Repeats', (e.rrule || []).join('; ')]);
      if (occurrenceStart) { pairs.push(['This occurrence', occurrenceStart.toLocaleString()]); }
      if (e.exdate && e.exdate.length) { pairs.push(['Except', e.exdate.map(timeText).join(', ')]); }
    }
    if (e.recurrence_id) { pairs.push(['Replaces occurrence', timeText(e.recurrence_id)]); }
    pairs.push(['Description', e.description]);
    pairs.push(['UID', e.uid]);
    pairs.push(['Conflict', data.open_conflicts.length ? data.open_conflicts.length + ' open (see Conflicts)' : 'none']);
    box.appendChild(kv(pairs));
    box.appendChild(el('h3', { text: 'Origins' }));
    var rows = data.origins.map(function (o) {
      var tags = [];
      if (o.divergent) { tags.push(el('span', { 'class': 'tag warn', text: 'divergent' })); }
      else if (o.update_pending) { tags.push(el('span', { 'class': 'tag', text: 'update pending' })); }
      tags.push(el('span', { 'class': 'tag' + (o.writable ? '' : ' bad'), text: o.writable ? 'writable' : 'read-only' }));
      return el('tr', null, [el('td', { text: o.agent_id }), el('td', { text: o.source || '—' }),
        el('td', { text: o.calendar_name || o.calendar_id || '—' }),
        el('td', null, tags.concat(o.writable ? [] : [el('div', { 'class': 'small muted', text: o.not_writable_reason })]))]);
    });
    box.appendChild(el('div', { 'class': 'table-wrap' }, [el('table', { id: 'origins-table' }, [
      el('thead', null, [el('tr', null, [el('th', { text: 'Agent' }), el('th', { text: 'Source' }),
        el('th', { text: 'Calendar' }), el('th', { text: 'State' })])]),
      el('tbody', null, rows)])]));
    var writable = data.origins.some(function (o) { return o.writable; });
    var actions = el('div', { 'class': 'actions' });
    if (writable) {
      actions.appendChild(el('button', { type: 'button', id: 'edit-event', text: recurring ? 'Edit series' : 'Edit',
        onclick: function () { editEvent(data); } }));
      actions.appendChild(el('button', { type: 'button', 'class': 'danger', id: 'delete-event',
        text: recurring ? 'Delete series' : 'Delete', onclick: function () { deleteEvent(data); } }));
    } else {
      actions.appendChild(el('p', { 'class': 'message bad', id: 'not-writable',
        text: 'This event cannot be edited here: none of the calendars it comes from accepts writes '
          + '(read-only sources such as Outlook for Mac or a folder without allowEventUpdates).' }));
    }
    box.appendChild(actions);
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function localInput(t) {
    // value for <input type=datetime-local|date>, in the browser's time zone
    if (!t) { return ''; }
    if (t.date) { return t.date; }
    var s = t.date_time;
    if (!/[zZ]|[+-]\d\d:?\d\d$/.test(s)) { return s.substring(0, 16); }
    var d = new Date(s);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function wireTime(value, allDay) {
    if (!value) { return null; }
    if (allDay) { return { date: value.substring(0, 10) }; }
    var d = new Date(value);
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? '+' : '-';
    off = Math.abs(off);
    var iso = value.length === 16 ? value + ':00' : value;
    return { date_time: iso + sign + pad(Math.floor(off / 60)) + ':' + pad(off % 60), time_zone: tz };
  }

  function setAllDay(on) {
    ['ef-start', 'ef-end'].forEach(function (id) {
      var i = $(id);
      var v = i.value;
      i.type = on ? 'date' : 'datetime-local';
      i.value = on ? v.substring(0, 10) : (v.length === 10 ? v + 'T09:00' : v);
    });
  }

  var editing = null;

  function editEvent(data) {
    editing = data;
    var e = data.event;
    var f = $('event-form');
    f.hidden = false;
    $('ef-target-row').hidden = true;
    $('event-form-note').textContent = ((e.rrule && e.rrule.length) ? 'Changes apply to the whole series. ' : '')
      + 'Written to: ' + data.origins.filter(function (o) { return o.writable; })
        .map(function (o) { return o.agent_id + '/' + o.source; }).join(', ');
    $('ef-title').value = e.title || '';
    $('ef-allday').checked = !!(e.start && e.start.date);
    $('ef-start').type = $('ef-allday').checked ? 'date' : 'datetime-local';
    $('ef-end').type = $('ef-start').type;
    $('ef-start').value = localInput(e.start);
    $('ef-end').value = localInput(e.end);
    editing.shown = { start: $('ef-start').value, end: $('ef-end').value, allDay: $('ef-allday').checked };
    $('ef-location').value = e.location || '';
    $('ef-description').value = e.description || '';
    $('ef-title').focus();
  }

  function newEvent() {
    editing = null;
    var d = $('event-dialog');
    $('event-title').textContent = 'New event';
    clear($('event-details'));
    $('event-message').textContent = '';
    $('event-message').className = 'message';
    var f = $('event-form');
    f.hidden = false;
    f.reset();
    $('ef-start').type = 'datetime-local';
    $('ef-end').type = 'datetime-local';
    $('event-form-note').textContent = 'The event is written into the chosen calendar; it appears here once its agent has written it.';
    var sel = clear($('ef-target'));
    $('ef-target-row').hidden = false;
    if (!d.open) { d.showModal(); }
    api('GET', '/sync/agents').then(function (r) {
      var agents = r.ok ? r.data : [];
      return Promise.all(agents.map(function (a) { return api('GET', '/sync/agents/' + encodeURIComponent(a.id) + '/status'); }));
    }).then(function (list) {
      list.forEach(function (r) {
        if (!r.ok) { return; }
        ((r.data.stats || {}).source_list || []).forEach(function (s) {
          if (s.writable) {
            var v = r.data.id + '/' + s.name;
            sel.appendChild(el('option', { value: v, text: v, selected: v === session.default_target }));
          }
        });
      });
      if (!sel.options.length) {
        sel.appendChild(el('option', { value: '', text: 'no agent reports a writable calendar' }));
      }
    });
    $('ef-title').focus();
  }

  function saveEvent(ev) {
    ev.preventDefault();
    var allDay = $('ef-allday').checked;
    var body = editing ? JSON.parse(JSON.stringify(editing.event)) : {};
    body.title = $('ef-title').value;
    var shown = editing ? editing.shown : null;
    // times the user did not touch keep their own zone; changed ones are written in the browser's zone
    if (!shown || shown.allDay !== allDay || shown.start !== $('ef-start').value) { body.start = wireTime($('ef-start').value, allDay); }
    if (!shown || shown.allDay !== allDay || shown.end !== $('ef-end').value) { body.end = wireTime($('ef-end').value, allDay); }
    body.location = $('ef-location').value || null;
    body.description = $('ef-description').value || null;
    var p;
    if (editing) {
      p = api('PUT', '/sync/events/' + encodeURIComponent(editing.id), body);
    } else {
      var t = $('ef-target').value;
      if (t) { body.target = { agent_id: t.substring(0, t.indexOf('/')), source: t.substring(t.indexOf('/') + 1) }; }
      p = api('POST', '/sync/events', body);
    }
    $('ef-save').disabled = true;
    p.then(function (r) { written(r); }).then(function () { $('ef-save').disabled = false; });
  }

  function written(r) {
    var m = $('event-message');
    if (r.status === 202) {
      var d = r.data;
      var text = 'Saved: ' + d.action + ' sent to ' + d.origins_written.map(function (o) { return o.agent_id + '/' + o.source; }).join(', ')
        + '. It shows here after the agent’s next heartbeat.';
      if (d.origins_not_writable.length) {
        text += ' Not written (read-only): ' + d.origins_not_writable.map(function (o) {
          return o.agent_id + '/' + o.source + ' – ' + o.reason;
        }).join('; ') + '.';
      }
      m.textContent = text;
      m.className = 'message ok';
      notice(text, 'ok');
      $('event-form').hidden = true;
    } else {
      m.textContent = 'Not saved: ' + reasonOf(r);
      m.className = 'message bad';
    }
  }

  function deleteEvent(data) {
    if (!window.confirm('Delete “' + (data.event.title || '') + '” in every calendar that accepts writes?')) { return; }
    api('DELETE', '/sync/events/' + encodeURIComponent(data.id)).then(written);
  }

  // ------------------------------------------------------------------ agents

  function renderAgents() {
    return api('GET', '/sync/agents/status').then(function (r) {
      if (!r.ok) { throw new Error(reasonOf(r)); }
      return Promise.all(r.data.agents.map(function (a) {
        return api('GET', '/sync/agents/' + encodeURIComponent(a.id) + '/status').then(function (s) { return s.ok ? s.data : a; });
      }));
    }).then(function (agents) {
      if (unchanged('agents', agents)) { return; }
      var body = clear($('agents-body'));
      if (!agents.length) { body.appendChild(el('p', { 'class': 'empty', text: 'No agent has registered yet.' })); return; }
      var grid = el('div', { 'class': 'grid' });
      agents.forEach(function (a) {
        var st = a.stats || {};
        var card = el('article', { 'class': 'card agent', 'data-agent': a.id, 'aria-label': 'Agent ' + a.id }, [
          el('h3', { text: (a.name || a.id) + (a.name && a.name !== a.id ? ' (' + a.id + ')' : '') }),
          kv([
            ['State', el('span', { 'class': 'state ' + (a.online ? 'online' : 'offline'), 'data-state': a.online ? 'online' : 'offline',
              text: a.online ? 'online' : 'offline' })],
            ['Last heartbeat', fmtTime(a.last_heartbeat)],
            ['Transport', a.transport],
            ['Events', a.event_count],
            ['Outbox backlog', st.outbox],
            ['Pending updates', a.pending_updates],
            ['Files rejected', st.parse_errors],
            ['Events rejected', st.rejected]
          ])
        ]);
        var sources = st.source_list || [];
        if (sources.length) {
          card.appendChild(el('h4', { text: 'Sources' }));
          card.appendChild(el('ul', null, sources.map(function (s) {
            // per source as the agent reports it (issue #10): kind, last successful read, cursor age, last error
            var parts = [s.name + (s.kind ? ' (' + s.kind + ')' : '') + ' — ' + (s.writable ? 'writable' : 'read-only')];
            if (s.event_count != null) { parts.push(s.event_count + ' events'); }
            parts.push('last read ' + (s.last_read ? fmtTime(s.last_read) : 'not yet'));
            if (s.cursor_age_seconds != null) { parts.push('cursor age ' + s.cursor_age_seconds + ' s'); }
            var li = el('li', { text: parts.join(' · ') });
            if (s.last_error) { li.appendChild(el('span', { 'class': 'error', text: ' · last error: ' + s.last_error })); }
            return li;
          })));
        }
        var problems = a.problems || st.problems || a.rejections || [];
        if (problems.length) {
          card.appendChild(el('h4', { text: 'Rejected files and events' }));
          card.appendChild(el('ul', null, problems.map(function (p) {
            return el('li', { text: [p.file, p.uid, p.property, p.reason || p.what || p.message].filter(Boolean).join(' · ') });
          })));
        }
        grid.appendChild(card);
      });
      body.appendChild(grid);
    });
  }

  // ------------------------------------------------------------------ destinations

  function renderDestinations() {
    return api('GET', '/sync/destinations').then(function (r) {
      if (!r.ok) { throw new Error(reasonOf(r)); }
      if (unchanged('destinations', r.data)) { return; }
      var body = clear($('destinations-body'));
      var list = r.data.destinations || [];
      if (!list.length) {
        body.appendChild(el('p', { 'class': 'empty', text: 'No destination is configured (besides the feed above). '
          + 'Add one as a YAML file in the master’s routes folder.' }));
        return;
      }
      var grid = el('div', { 'class': 'grid' });
      list.forEach(function (d) {
        var res = d.last_result || {};
        var card = el('article', { 'class': 'card destination', 'data-destination': d.name, 'aria-label': 'Destination ' + d.name }, [
          el('h3', { text: d.name + ' (' + d.type + ')' }),
          kv([
            ['State', el('span', { 'class': 'state ' + d.state, text: d.state })],
            ['Calendar', d.calendar_id],
            ['Last run', fmtTime(d.last_run_end || d.last_run_start)],
            ['Last result', res.outcome ? res.outcome + ' (created ' + (res.created || 0) + ', updated ' + (res.updated || 0)
              + ', deleted ' + (res.deleted || 0) + ')' : null],
            ['Writes in total', d.total_writes],
            ['Not yet written', d.lag],
            ['Last error', d.last_error],
            ['Paused until', d.paused_until ? fmtTime(d.paused_until) + (d.pause_reason ? ' — ' + d.pause_reason : '') : null]
          ])
        ]);
        if (d.held && d.held.count) {
          card.appendChild(el('p', { 'class': 'message bad held', text: d.held.count + ' deletion(s) held since ' + fmtTime(d.held.since)
            + ': ' + (d.held.reason || '') }));
        }
        if (d.parked && d.parked.length) {
          card.appendChild(el('h4', { text: 'Parked events' }));
          card.appendChild(el('ul', null, d.parked.map(function (p) {
            return el('li', { text: p.identity + ' (' + p.operation + '): ' + (p.reason || '') + (p.message ? ' — ' + p.message : '') });
          })));
        }
        var actions = el('div', { 'class': 'actions' }, [
          el('button', { type: 'button', 'class': 'secondary', text: 'Run now', 'aria-label': 'Run ' + d.name + ' now',
            onclick: function () { destinationAction(d.name, 'run'); } })
        ]);
        if (d.held && d.held.count) {
          actions.appendChild(el('button', { type: 'button', 'class': 'danger confirm-deletions', text: 'Confirm ' + d.held.count + ' deletion(s)',
            onclick: function () { destinationAction(d.name, 'confirm-deletions'); } }));
        }
        if (d.type === 'google') {
          actions.appendChild(el('button', { type: 'button', 'class': 'secondary', text: 'Connect Google',
            onclick: function () { connectGoogle(d.name); } }));
        }
        card.appendChild(actions);
        grid.appendChild(card);
      });
      body.appendChild(grid);
    });
  }

  function destinationAction(name, what) {
    notice((what === 'run' ? 'Running ' : 'Confirming deletions of ') + name + '…');
    api('POST', '/sync/destinations/' + encodeURIComponent(name) + '/' + what).then(function (r) {
      notice(r.ok ? name + ': ' + (r.data.outcome || 'done') + (r.data.message ? ' — ' + r.data.message : '')
        : name + ': ' + reasonOf(r), r.ok ? 'ok' : 'bad');
      refresh(true);
    });
  }

  function connectGoogle(name) {
    var redirect = location.origin + '/';
    api('GET', '/sync/config/google/auth-url?destination=' + encodeURIComponent(name) + '&redirect_uri=' + encodeURIComponent(redirect))
      .then(function (r) {
        if (!r.ok) { notice('Google: ' + reasonOf(r), 'bad'); return; }
        sessionStorage.setItem('chronoroute.oauth', JSON.stringify({ destination: name, redirect_uri: redirect }));
        location.assign(r.data.url);
      });
  }

  function oauthReturn() {
    var q = new URLSearchParams(location.search);
    var saved = sessionStorage.getItem('chronoroute.oauth');
    if (!q.get('code') || !saved) { return; }
    var s = JSON.parse(saved);
    sessionStorage.removeItem('chronoroute.oauth');
    history.replaceState(null, '', location.pathname + '#destinations');
    api('POST', '/sync/config/google/exchange-code', { destination: s.destination, code: q.get('code'),
      state: q.get('state'), redirect_uri: s.redirect_uri }).then(function (r) {
      notice(r.ok ? 'Google connected for ' + s.destination + '.' : 'Google: ' + reasonOf(r), r.ok ? 'ok' : 'bad');
      route();
    });
  }

  // ------------------------------------------------------------------ conflicts

  var FIELDS = ['title', 'start', 'end', 'location', 'description', 'rrule', 'exdate', 'status', 'transparency',
    'organizer', 'attendees', 'categories', 'last_modified', 'source'];

  function show(v) {
    if (v === null || v === undefined) { return ''; }
    if (typeof v !== 'object') { return String(v); }
    if (v.date || v.date_time) { return timeText(v); }
    return JSON.stringify(v);
  }

  function renderConflicts() {
    return api('GET', '/sync/conflicts/recent?status=open&limit=200').then(function (r) {
      if (!r.ok) { throw new Error(reasonOf(r)); }
      if (unchanged('conflicts', r.data)) { return; }
      var body = clear($('conflicts-body'));
      if (!r.data.conflicts.length) {
        body.appendChild(el('p', { 'class': 'empty', text: 'No open conflict. (Conflicts wait here when the strategy is manual.)' }));
        return;
      }
      r.data.conflicts.forEach(function (c) {
        var cur = c.current || {};
        var inc = c.incoming || {};
        var keys = FIELDS.filter(function (k) { return k in cur || k in inc; });
        Object.keys(Object.assign({}, cur, inc)).forEach(function (k) { if (keys.indexOf(k) < 0 && k !== 'uid') { keys.push(k); } });
        var rows = keys.map(function (k) {
          var a = show(cur[k]);
          var b = show(inc[k]);
          var changed = a !== b;
          return el('tr', changed ? { 'class': 'changed-row' } : null, [el('th', { scope: 'row', text: k + (changed ? ' ≠' : '') }),
            el('td', { 'class': changed ? 'changed' : '', text: a }), el('td', { 'class': changed ? 'changed' : '', text: b })]);
        });
        var card = el('article', { 'class': 'card conflict', 'data-conflict': c.id, 'aria-label': 'Conflict about ' + (cur.title || inc.title || c.identity) }, [
          el('h3', { text: (cur.title || inc.title || '(no title)') }),
          el('p', { 'class': 'muted small', text: 'UID ' + (cur.uid || inc.uid) + ' · from agent ' + c.agent_id + ' · ' + fmtTime(c.created_at) }),
          el('div', { 'class': 'table-wrap' }, [el('table', { 'class': 'diff' }, [
            el('thead', null, [el('tr', null, [el('th', { text: 'Field' }), el('th', { text: 'Current (consolidated)' }),
              el('th', { text: 'Incoming (agent ' + c.agent_id + ')' })])]),
            el('tbody', null, rows)])]),
          el('div', { 'class': 'actions' }, [
            el('button', { type: 'button', 'class': 'keep-current', text: 'Keep current',
              onclick: function () { resolve(c.id, 'destination_wins'); } }),
            el('button', { type: 'button', 'class': 'take-incoming', text: 'Take incoming',
              onclick: function () { resolve(c.id, 'source_wins'); } })
          ])
        ]);
        body.appendChild(card);
      });
    });
  }

  function resolve(id, resolution) {
    api('POST', '/sync/conflicts/' + encodeURIComponent(id) + '/resolve', { resolution: resolution }).then(function (r) {
      notice(r.ok ? 'Conflict resolved (' + (resolution === 'source_wins' ? 'incoming version taken' : 'current version kept') + ').'
        : 'Not resolved: ' + reasonOf(r), r.ok ? 'ok' : 'bad');
      refresh(true);
    });
  }

  // ------------------------------------------------------------------ updates

  function renderUpdates() {
    return api('GET', '/sync/queues/status').then(function (r) {
      if (!r.ok) { throw new Error(reasonOf(r)); }
      return Promise.all(r.data.agents.map(function (a) {
        return api('GET', '/sync/agents/' + encodeURIComponent(a.agent_id) + '/history?limit=50').then(function (h) {
          return { agent: a, updates: h.ok ? h.data.updates : [] };
        });
      }));
    }).then(function (list) {
      if (unchanged('updates', list)) { return; }
      var body = clear($('updates-body'));
      if (!list.length) { body.appendChild(el('p', { 'class': 'empty', text: 'No agent.' })); return; }
      list.forEach(function (x) {
        var rows = x.updates.map(function (u) {
          var d = u.data || {};
          var what = u.type + (d.action ? ' ' + d.action : '') + (d.source ? ' → ' + d.source : '')
            + (d.event && (d.event.title || d.event.uid) ? ': ' + (d.event.title || d.event.uid) : '');
          return el('tr', { 'class': 'update ' + u.status }, [el('td', { text: fmtTime(u.created_at) }), el('td', { text: what }),
            el('td', null, [el('span', { 'class': 'tag' + (u.status === 'rejected' ? ' bad' : u.status === 'pending' ? ' warn' : ''), text: u.status })]),
            el('td', { text: u.attempts }), el('td', { text: u.error || '' })]);
        });
        body.appendChild(el('article', { 'class': 'card', style: 'margin-bottom:1rem', 'aria-label': 'Updates of ' + x.agent.agent_id }, [
          el('h3', { text: x.agent.agent_id + ' — ' + x.agent.pending + ' pending' }),
          rows.length ? el('div', { 'class': 'table-wrap' }, [el('table', null, [
            el('thead', null, [el('tr', null, ['Queued', 'Update', 'Status', 'Attempts', 'Failure'].map(function (h) { return el('th', { text: h }); }))]),
            el('tbody', null, rows)])]) : el('p', { 'class': 'empty', text: 'No update.' })
        ]));
      });
    });
  }

  // ------------------------------------------------------------------ start

  function copyFeed() {
    var i = $('feed-url');
    var done = function () { $('feed-copied').textContent = 'Copied.'; setTimeout(function () { $('feed-copied').textContent = ''; }, 3000); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(i.value).then(done, function () { i.select(); document.execCommand('copy'); done(); });
    } else {
      i.select();
      document.execCommand('copy');
      done();
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('feed-copy').addEventListener('click', copyFeed);
    $('new-event').addEventListener('click', newEvent);
    $('event-form').addEventListener('submit', saveEvent);
    $('ef-cancel').addEventListener('click', function () { $('event-dialog').close(); });
    $('ef-allday').addEventListener('change', function () { setAllDay($('ef-allday').checked); });
    document.querySelectorAll('[data-close]').forEach(function (b) {
      b.addEventListener('click', function () { $('event-dialog').close(); });
    });
    $('event-dialog').addEventListener('close', function () { if (calendar) { calendar.refetchEvents(); } });
    window.addEventListener('hashchange', function () { if (session && session.authenticated) { route(); $('main').focus(); } });
    loadSession().then(function (s) {
      if (s.authenticated) { showApp(); oauthReturn(); } else { showLogin(); }
    }).catch(function (e) {
      $('login').hidden = false;
      $('login-error').textContent = 'The master cannot be reached: ' + e.message;
    });
  });
}());
