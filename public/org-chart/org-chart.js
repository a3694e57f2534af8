// The org chart page (contract section 11, issue 13). Plain browser JavaScript, no build step: it runs
// under the application's strict Content-Security-Policy (scripts from 'self' only, no inline code or
// styles), so every text a user wrote reaches the DOM through textContent (d3's .text()), never as HTML.
// The token lives in sessionStorage only (this tab), never in localStorage, a cookie or a URL.
(() => {
  'use strict';

  const TOKEN_KEY = 'organigram.token';
  /** Levels loaded below a unit when it is drawn or expanded, so its children can show their own expand buttons. */
  const LOOKAHEAD = 2;
  const PAGE = 1000;
  /** Pages of one subtree read at most (a bound on the work one click causes). */
  const MAX_PAGES = 20;

  const $ = (id) => document.getElementById(id);
  const state = { chart: null, data: [], known: new Set(), loaded: new Set(), selected: null, rootId: null };

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  function status(text, isError = false) {
    $('status').textContent = text;
    $('status').classList.toggle('error', isError);
  }

  /** The chosen instant (contract section 10.2), or null for now. */
  function asOf() {
    const value = $('as-of').value;
    return value ? `${value}T00:00:00.000Z` : null;
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${token()}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (res.status === 401) {
      forgetToken();
      throw new ApiError(401, 'The token was refused: enter a valid one.');
    }
    if (!res.ok) throw new ApiError(res.status, (data && data.detail) || `HTTP ${res.status}`);
    return { data, total: Number(res.headers.get('X-Pagination-Total-Count') ?? 0) };
  }

  /** Adds `as_of` to a 4HSE body when an instant is chosen. */
  const withInstant = (body) => (asOf() ? { ...body, as_of: asOf() } : body);
  const query = (params) => {
    const q = new URLSearchParams(params);
    if (asOf()) q.set('as_of', asOf());
    return q.toString();
  };

  function toNode(unit, parentId) {
    return {
      id: unit.org_unit_id,
      parentId,
      name: unit.name,
      code: unit.code,
      head: unit.head_count ?? 0,
      total: unit.total_head_count ?? 0,
      active: unit.owned_active && unit.parent_active,
    };
  }

  /**
   * The subtree of `id` down to LOOKAHEAD levels, with head counts, page by page: one request per
   * page however many children the unit has. Returns the units not drawn yet.
   */
  async function loadBelow(id) {
    const found = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { data, total } = await api(
        'POST',
        '/v2/org-unit/descendants',
        withInstant({ org_unit_id: id, depth: LOOKAHEAD, with_counts: true, 'per-page': PAGE, page }),
      );
      found.push(...data);
      if (page * PAGE >= total) break;
    }
    state.loaded.add(id);
    // Units at the last level are drawn, but their own children are not loaded yet.
    for (const unit of found) if (unit.depth < LOOKAHEAD) state.loaded.add(unit.org_unit_id);
    return found.filter((u) => !state.known.has(u.org_unit_id)).map((u) => toNode(u, u.parent_org_unit_id));
  }

  function addNodes(nodes) {
    for (const node of nodes) {
      state.known.add(node.id);
      state.data.push(node);
    }
  }

  /** Draws one unit's card with DOM nodes and .text(): names are never parsed as HTML. */
  function drawNode(d) {
    const box = d3.select(this).select('.node-foreign-object-div');
    box.selectAll('*').remove();
    const unit = d.data;
    const card = box
      .append('div')
      .attr('class', `unit-card${unit.id === state.selected ? ' selected' : ''}${unit.active ? '' : ' inactive'}`)
      .attr('tabindex', 0)
      .attr('role', 'button')
      .attr('data-unit-id', unit.id)
      .attr('aria-label', `${unit.name}: ${unit.head} here, ${unit.total} in total. Enter selects, + and - expand and collapse.`);
    card.append('div').attr('class', 'unit-name').text(unit.name);
    card
      .append('div')
      .attr('class', 'unit-code')
      .text(unit.code ?? '');
    card.append('div').attr('class', 'unit-counts').text(`${unit.head} here · ${unit.total} in total`);
    card.on('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        void selectUnit(unit.id);
      } else if (event.key === '+' || event.key === '-') {
        event.preventDefault();
        setExpanded(unit.id, event.key === '+');
      }
    });
  }

  /** Expands or collapses a unit as its button does (the button's handler also loads what comes below). */
  function setExpanded(id, expand) {
    const node = state.chart.getChartState().allNodes.find((n) => n.data.id === id);
    if (!node || Boolean(node.children) === expand || (!node.children && !node._children)) return;
    state.chart.onButtonClick({ stopPropagation() {} }, node);
    // The cards are drawn anew on every update: keep the keyboard where it was.
    document.querySelector(`[data-unit-id="${CSS.escape(id)}"]`)?.focus();
  }

  async function onExpandOrCollapse(node) {
    if (!node.children || node.children.every((c) => state.loaded.has(c.data.id))) return;
    // The newly shown children get their own children loaded, so that each can be expanded in turn:
    // one read of the unit's next two levels, rather than one read per child.
    try {
      const added = await loadBelow(node.data.id);
      if (added.length) {
        addNodes(added);
        state.chart.updateNodesState();
      }
    } catch (error) {
      status(error.message, true);
    }
  }

  async function drawTree(rootId) {
    status('Loading the unit tree…');
    state.rootId = rootId;
    state.data = [];
    state.known = new Set();
    state.loaded = new Set();
    state.selected = null;
    const { data: root } = await api('GET', `/v2/org-unit/view/${encodeURIComponent(rootId)}?${query({ with_counts: 'true' })}`);
    addNodes([toNode(root, null)]);
    addNodes(await loadBelow(rootId));
    $('chart').replaceChildren();
    state.chart = new d3.OrgChart()
      .container('#chart')
      .data(state.data)
      .svgHeight(Math.max(480, window.innerHeight - 180))
      .nodeWidth(() => 230)
      .nodeHeight(() => 92)
      .childrenMargin(() => 50)
      .compactMarginBetween(() => 30)
      .compactMarginPair(() => 60)
      .initialExpandLevel(1)
      // No "show next nodes" paging of wide units (the library's default from 2,000 children): its
      // button is HTML with inline styles, which the CSP refuses. What is drawn is bounded by the loads.
      .minPagingVisibleNodes(() => Number.MAX_SAFE_INTEGER)
      // The card is built by drawNode; the library's own HTML content stays empty.
      .nodeContent(() => '')
      .nodeUpdate(drawNode)
      .buttonContent(
        ({ node }) => `<div class="oc-button">${node.children ? '−' : '+'} ${Number(node.data._directSubordinates) || 0}</div>`,
      )
      .onNodeClick((node) => void selectUnit(node.data.id))
      .onExpandOrCollapse((node) => void onExpandOrCollapse(node))
      .render();
    status(`${root.name}: ${root.total_head_count} people in total.`);
  }

  function listItem(list, text) {
    const li = document.createElement('li');
    li.textContent = text;
    list.append(li);
    return li;
  }

  async function selectUnit(id) {
    state.selected = id;
    d3.selectAll('.unit-card').classed('selected', function () {
      return this.getAttribute('data-unit-id') === id;
    });
    const unit = state.data.find((n) => n.id === id);
    $('unit-title').textContent = unit ? unit.name : 'Selected unit';
    $('unit-summary').textContent = unit ? `${unit.head} people here, ${unit.total} in this unit and below.` : '';
    const list = $('unit-people');
    list.replaceChildren();
    try {
      const { data, total } = await api(
        'POST',
        '/v2/org-person/index',
        withInstant({ filter: { org_unit_id: id }, sort: 'person_last_name,person_first_name', 'per-page': 100 }),
      );
      for (const a of data) {
        const role = a.org_role_name ? ` (${a.org_role_name})` : '';
        listItem(list, `${a.person_first_name} ${a.person_last_name}${role}`);
      }
      if (total > data.length) listItem(list, `… and ${total - data.length} more`);
      if (total === 0) listItem(list, 'Nobody is assigned here.');
    } catch (error) {
      status(error.message, true);
    }
  }

  async function search(text) {
    const results = $('search-results');
    results.replaceChildren();
    $('person-details').replaceChildren();
    const params = new URLSearchParams({ q: text, 'per-page': '20', sort: 'lastName' });
    if (asOf()) params.set('asOf', asOf());
    const { data } = await api('GET', `/api/v2/data/people?${params.toString()}`);
    if (data.data.length === 0) listItem(results, 'Nobody found.');
    for (const person of data.data) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'person-link';
      button.textContent = `${person.firstName} ${person.lastName} <${person.email}>`;
      button.addEventListener('click', () => void showPerson(person));
      li.append(button);
      results.append(li);
    }
  }

  async function showPerson(person) {
    const details = $('person-details');
    details.replaceChildren();
    const heading = document.createElement('h3');
    heading.textContent = `${person.firstName} ${person.lastName}`;
    details.append(heading);
    const units = document.createElement('ul');
    details.append(units);
    const { data } = await api('POST', '/v2/org-person/index', withInstant({ filter: { person_id: person.id }, 'per-page': 100 }));
    if (data.length === 0) listItem(units, 'No unit.');
    for (const a of data) listItem(units, `${a.org_unit_name}${a.org_role_name ? ` (${a.org_role_name})` : ''}`);
    const chain = document.createElement('p');
    details.append(chain);
    try {
      const query = asOf() ? `?${new URLSearchParams({ asOf: asOf() }).toString()}` : '';
      const { data: managers } = await api('GET', `/api/v2/data/people/${encodeURIComponent(person.email)}/managers${query}`);
      chain.textContent = managers.data.length
        ? `Manager chain: ${managers.data.map((m) => `${m.firstName} ${m.lastName}`).join(' → ')}`
        : 'No manager.';
    } catch (error) {
      chain.textContent = error.status === 404 ? 'Manager chain: not available on this server.' : error.message;
    }
  }

  async function loadRoots() {
    const { data } = await api(
      'POST',
      '/v2/org-unit/index',
      withInstant({ filter: { parent_org_unit_id: null }, sort: 'name', 'per-page': PAGE }),
    );
    const select = $('root');
    select.replaceChildren();
    for (const unit of data) {
      const option = document.createElement('option');
      option.value = unit.org_unit_id;
      option.textContent = unit.project_id ? `${unit.name} (project ${unit.project_id})` : unit.name;
      select.append(option);
    }
    if (data.length === 0) {
      status('No unit trees yet.');
      return;
    }
    const keep = data.some((u) => u.org_unit_id === state.rootId) ? state.rootId : data[0].org_unit_id;
    select.value = keep;
    await drawTree(keep);
  }

  function showSignedIn(signedIn) {
    $('token-form').hidden = signedIn;
    $('forget').hidden = !signedIn;
    $('controls').hidden = !signedIn;
  }

  function forgetToken() {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignedIn(false);
  }

  const guarded = (work) => () =>
    work().catch((error) => {
      status(error.message, true);
    });

  function start() {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('token').value.trim();
      $('token').value = '';
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      showSignedIn(true);
      void guarded(loadRoots)();
    });
    $('forget').addEventListener('click', () => {
      forgetToken();
      state.chart = null;
      $('chart').replaceChildren();
      status('Token forgotten.');
    });
    $('root').addEventListener(
      'change',
      guarded(() => drawTree($('root').value)),
    );
    $('as-of').addEventListener('change', guarded(loadRoots));
    $('expand-all').addEventListener('click', () => state.chart?.expandAll());
    $('collapse-all').addEventListener('click', () => state.chart?.collapseAll());
    $('fit').addEventListener('click', () => state.chart?.fit());
    $('search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const text = $('search').value.trim();
      if (text) void guarded(() => search(text))();
    });
    showSignedIn(Boolean(token()));
    if (token()) void guarded(loadRoots)();
  }

  start();
})();
