// Berth's registry console. Plain JavaScript, no dependencies: every ECR call goes through
// `api` (POST ./api, the registry named in X-Berth-Account / X-Berth-Region), paginated;
// image bytes come from ./api/manifest and ./api/blob, which record no pull.
'use strict';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
// Repositories and images are listed a page at a time; a search scans pages of SCAN_PAGE
// until it has PAGE matches (or the end), so 10,000 repositories never load at once.
const PAGE = 100;
const SCAN_PAGE = 1000;

const state = {
  registry: null, // {accountId, region}
  writes: false,
  repos: { items: [], nextToken: undefined, done: false, query: '' },
  repository: null, // DescribeRepositories entry
  images: { items: [], nextToken: undefined, done: false, query: '' },
  generation: 0, // bumps on each navigation so stale answers are dropped
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Replaces `node`'s children; nested arrays (optional groups of nodes) are flattened and
// absent parts skipped.
function fill(node, ...children) {
  node.replaceChildren(...children.flat(3).filter((child) => child !== undefined && child !== null && child !== false));
}

class ApiError extends Error {
  constructor(type, message) {
    super(message || type);
    this.type = type;
  }
}

async function api(operation, body) {
  const response = await fetch('api', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': TARGET_PREFIX + operation,
      'X-Berth-Account': state.registry.accountId,
      'X-Berth-Region': state.registry.region,
    },
    body: JSON.stringify(body || {}),
  });
  return answer(response);
}

async function answer(response) {
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch (_) { /* not JSON: reported below */ }
  if (!response.ok) {
    const type = (json && (json.__type || '').split('#').pop()) || `HTTP ${response.status}`;
    throw new ApiError(type, json && (json.message || json.Message));
  }
  return json === null ? text : json;
}

function imageUrl(path, repositoryName, digest) {
  const query = new URLSearchParams({
    account: state.registry.accountId,
    region: state.registry.region,
    repository: repositoryName,
  });
  if (digest) query.set('digest', digest);
  return `api/${path}?${query}`;
}

async function readImage(path, repositoryName, digest) {
  const response = await fetch(imageUrl(path, repositoryName, digest));
  if (!response.ok) return answer(response);
  return { mediaType: response.headers.get('content-type'), text: await response.text() };
}

// ---- formatting ----

function when(seconds) {
  if (seconds === undefined || seconds === null) return '—';
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function bytes(n) {
  if (n === undefined || n === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]} (${n} B)`;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}

function status(text, isError) {
  const node = $('status');
  node.textContent = text || '';
  node.className = isError ? 'error' : '';
}

function fail(error) {
  status(error instanceof ApiError ? `${error.type}: ${error.message}` : String(error), true);
}

function copyButton(text) {
  return el('button', {
    type: 'button',
    class: 'copy',
    onclick: async (event) => {
      const button = event.currentTarget;
      try {
        await navigator.clipboard.writeText(text);
      } catch (_) {
        // No clipboard (plain HTTP on another host): select the text for a manual copy.
        const range = document.createRange();
        range.selectNodeContents(button.previousSibling);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
      }
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = 'Copy'; }, 1500);
    },
  }, 'Copy');
}

function pullLine(command) {
  return el('div', { class: 'pull-line' }, el('code', { class: 'pull' }, command), copyButton(command));
}

// ---- navigation: #/<account>/<region>[/<repository>[@<digest>]] ----

function hashFor(repositoryName, digest) {
  let hash = `#/${state.registry.accountId}/${state.registry.region}`;
  if (repositoryName) hash += `/${encodeURIComponent(repositoryName)}`;
  if (digest) hash += `@${digest}`;
  return hash;
}

function parseHash() {
  const [, accountId, region, rest] = location.hash.match(/^#\/(\d{12})\/([a-z0-9-]+)(?:\/(.*))?$/) || [];
  if (!accountId) return null;
  let repositoryName;
  let digest;
  if (rest) {
    const at = rest.lastIndexOf('@');
    repositoryName = decodeURIComponent(at >= 0 ? rest.slice(0, at) : rest);
    digest = at >= 0 ? rest.slice(at + 1) : undefined;
  }
  return { accountId, region, repositoryName, digest };
}

async function route() {
  const target = parseHash();
  if (!target) {
    const select = $('registry');
    const [accountId, region] = select.value.split('/');
    location.replace(`#/${accountId}/${region}`);
    return;
  }
  const registryChanged = !state.registry
    || state.registry.accountId !== target.accountId || state.registry.region !== target.region;
  if (registryChanged) {
    state.registry = { accountId: target.accountId, region: target.region };
    selectRegistry(target);
    resetRepos($('repo-search').value);
    await loadRepos();
  }
  const generation = ++state.generation;
  highlight(target.repositoryName);
  if (!target.repositoryName) {
    $('welcome').hidden = false;
    $('repository').hidden = true;
    $('image').hidden = true;
    return;
  }
  $('welcome').hidden = true;
  try {
    if (!state.repository || state.repository.repositoryName !== target.repositoryName || registryChanged) {
      await showRepository(target.repositoryName, generation);
    } else {
      $('repository').hidden = false;
    }
    if (target.digest) await showImage(target.repositoryName, target.digest, generation);
    else $('image').hidden = true;
  } catch (error) {
    fail(error);
  }
}

// ---- registries ----

async function loadOverview() {
  const overview = await answer(await fetch('api/overview'));
  state.writes = overview.consoleWrites;
  $('mode').textContent = overview.consoleWrites ? 'deletes allowed' : 'read-only';
  const select = $('registry');
  select.replaceChildren(...overview.registries.map((registry) => el('option', {
    value: `${registry.accountId}/${registry.region}`,
  }, `${registry.accountId} · ${registry.region} (${registry.repositoryCount})`)));
  select.value = `${overview.defaultAccountId}/${overview.defaultRegion}`;
  select.addEventListener('change', () => { location.hash = `#/${select.value}`; });
}

function selectRegistry(target) {
  const select = $('registry');
  const value = `${target.accountId}/${target.region}`;
  if (![...select.options].some((option) => option.value === value)) {
    select.append(el('option', { value }, `${target.accountId} · ${target.region}`));
  }
  select.value = value;
}

// ---- repositories ----

function resetRepos(query) {
  state.repos = { items: [], nextToken: undefined, done: false, query: query.trim() };
  state.repository = null;
  $('repositories').replaceChildren();
}

async function loadRepos() {
  const list = state.repos;
  const searching = list.query !== '';
  let found = 0;
  status('Loading repositories…');
  try {
    while (!list.done && found < PAGE) {
      const page = await api('DescribeRepositories', {
        maxResults: searching ? SCAN_PAGE : PAGE,
        nextToken: list.nextToken,
      });
      if (list !== state.repos) return; // a newer search started
      const matches = (page.repositories || []).filter((repository) =>
        !searching || repository.repositoryName.includes(list.query));
      list.items.push(...matches);
      found += matches.length;
      list.nextToken = page.nextToken;
      list.done = !page.nextToken;
      $('repositories').append(...matches.map(repoItem));
      if (!searching) break;
    }
    status('');
  } catch (error) {
    fail(error);
  }
  $('repos-more').hidden = list.done;
  $('repos-empty').hidden = list.items.length > 0 || !list.done;
  highlight(parseHash() && parseHash().repositoryName);
}

function repoItem(repository) {
  return el('li', {}, el('a', {
    href: hashFor(repository.repositoryName),
    'data-name': repository.repositoryName,
  }, repository.repositoryName));
}

function highlight(name) {
  for (const link of document.querySelectorAll('#repositories a')) {
    link.classList.toggle('selected', link.dataset.name === name);
  }
}

async function optional(promise, missingType) {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ApiError && error.type === missingType) return null;
    throw error;
  }
}

async function showRepository(name, generation) {
  status(`Loading ${name}…`);
  const [described] = (await api('DescribeRepositories', { repositoryNames: [name] })).repositories;
  const [tags, policy, lifecycle] = await Promise.all([
    api('ListTagsForResource', { resourceArn: described.repositoryArn }),
    optional(api('GetRepositoryPolicy', { repositoryName: name }), 'RepositoryPolicyNotFoundException'),
    optional(api('GetLifecyclePolicy', { repositoryName: name }), 'LifecyclePolicyNotFoundException'),
  ]);
  const preview = lifecycle ? await answer(await fetch(imageUrl('lifecycle-preview', name))) : null;
  if (generation !== state.generation) return;
  state.repository = described;
  const view = $('repository');
  const scanning = described.imageScanningConfiguration || {};
  const encryption = described.encryptionConfiguration || {};
  fill(view, 
    el('h2', { id: 'repository-name' }, name),
    el('dl', { id: 'repository-settings' },
      el('dt', {}, 'URI'), el('dd', { id: 'repository-uri' }, described.repositoryUri),
      el('dt', {}, 'ARN'), el('dd', {}, described.repositoryArn),
      el('dt', {}, 'Created'), el('dd', {}, when(described.createdAt)),
      el('dt', {}, 'Tag mutability'), el('dd', { id: 'tag-mutability' }, described.imageTagMutability),
      el('dt', {}, 'Scan on push'), el('dd', {}, String(!!scanning.scanOnPush)),
      el('dt', {}, 'Encryption'), el('dd', {}, encryption.encryptionType || '—')),
    el('h3', {}, 'Tags'),
    (tags.tags || []).length
      ? el('table', { id: 'resource-tags' }, el('tbody', {}, tags.tags.map((tag) =>
        el('tr', {}, el('td', {}, tag.Key), el('td', {}, tag.Value)))))
      : el('p', { class: 'muted', id: 'resource-tags' }, 'No tags.'),
    el('h3', {}, 'Repository policy'),
    policy ? el('pre', { id: 'repository-policy' }, pretty(policy.policyText))
      : el('p', { class: 'muted', id: 'repository-policy' }, 'No repository policy.'),
    el('h3', {}, 'Lifecycle policy'),
    lifecycle ? el('pre', { id: 'lifecycle-policy' }, pretty(lifecycle.lifecyclePolicyText))
      : el('p', { class: 'muted', id: 'lifecycle-policy' }, 'No lifecycle policy.'),
    lifecycle ? previewTable(preview.results) : null,
    el('h3', {}, 'Images'),
    el('input', {
      id: 'tag-search', type: 'search', placeholder: 'Search images by tag', 'aria-label': 'Search images by tag',
      oninput: debounce((event) => { resetImages(event.target.value); loadImages(); }),
    }),
    el('table', { id: 'images' },
      el('thead', {}, el('tr', {}, ['Tags', 'Digest', 'Size', 'Pushed at', 'Last pull', 'Media type']
        .map((title) => el('th', {}, title)))),
      el('tbody', { id: 'image-rows' })),
    el('button', { id: 'images-more', hidden: true, onclick: () => loadImages() }, 'More images'),
    el('p', { id: 'images-empty', class: 'muted', hidden: true }, 'No image matches.'),
    state.writes ? el('p', {}, el('button', {
      id: 'delete-repository', class: 'danger', onclick: () => deleteRepository(name),
    }, 'Delete repository…')) : null,
  );
  view.hidden = false;
  resetImages('');
  await loadImages();
}

function previewTable(results) {
  if (!results.length) return el('p', { id: 'lifecycle-preview', class: 'muted' }, 'The policy would act on no image now.');
  return el('div', { id: 'lifecycle-preview' },
    el('p', {}, `Preview: the policy would act on ${results.length} image(s) now.`),
    el('table', {},
      el('thead', {}, el('tr', {}, ['Action', 'Rule', 'Digest', 'Tags', 'Pushed at'].map((title) => el('th', {}, title)))),
      el('tbody', {}, results.map((result) => el('tr', {},
        el('td', {}, result.action),
        el('td', {}, result.appliedRulePriority),
        el('td', { class: 'digest' }, result.imageDigest),
        el('td', {}, result.imageTags.join(', ')),
        el('td', {}, when(result.pushedAtMillis / 1000)))))));
}

// ---- images ----

function resetImages(query) {
  state.images = { items: [], nextToken: undefined, done: false, query: query.trim() };
  const rows = $('image-rows');
  if (rows) rows.replaceChildren();
}

async function loadImages() {
  const list = state.images;
  const repositoryName = state.repository.repositoryName;
  const searching = list.query !== '';
  let found = 0;
  try {
    while (!list.done && found < PAGE) {
      const page = await api('DescribeImages', {
        repositoryName,
        maxResults: searching ? SCAN_PAGE : PAGE,
        nextToken: list.nextToken,
      });
      if (list !== state.images) return;
      const matches = (page.imageDetails || []).filter((image) =>
        !searching || (image.imageTags || []).some((tag) => tag.includes(list.query)));
      list.items.push(...matches);
      found += matches.length;
      list.nextToken = page.nextToken;
      list.done = !page.nextToken;
      $('image-rows').append(...matches.map((image) => imageRow(repositoryName, image)));
      if (!searching) break;
    }
    status('');
  } catch (error) {
    fail(error);
  }
  $('images-more').hidden = list.done;
  $('images-empty').hidden = list.items.length > 0 || !list.done;
}

function imageRow(repositoryName, image) {
  return el('tr', { class: 'image-row', 'data-digest': image.imageDigest },
    el('td', { class: 'tags' }, (image.imageTags || []).join(', ') || el('span', { class: 'muted' }, 'untagged')),
    el('td', { class: 'digest' }, el('a', { href: hashFor(repositoryName, image.imageDigest) }, image.imageDigest)),
    el('td', {}, bytes(image.imageSizeInBytes)),
    el('td', {}, when(image.imagePushedAt)),
    el('td', { class: 'last-pull' }, when(image.lastRecordedPullTime)),
    el('td', {}, image.imageManifestMediaType || '—'));
}

async function showImage(repositoryName, digest, generation) {
  status(`Loading ${digest}…`);
  const described = await api('DescribeImages', { repositoryName, imageIds: [{ imageDigest: digest }] });
  const image = described.imageDetails[0];
  const manifest = await readImage('manifest', repositoryName, digest);
  const referrers = await api('ListImageReferrers', { repositoryName, subjectId: { imageDigest: digest } });
  let parsed = {};
  try { parsed = JSON.parse(manifest.text); } catch (_) { /* shown as text */ }
  let config = null;
  if (parsed.config && parsed.config.digest) {
    config = await optional(readImage('blob', repositoryName, parsed.config.digest), 'LayersNotFoundException');
  }
  if (generation !== state.generation) return;
  const uri = state.repository.repositoryUri;
  const tags = image.imageTags || [];
  const view = $('image');
  fill(view, 
    el('h2', {}, 'Image'),
    el('dl', {},
      el('dt', {}, 'Digest'), el('dd', { id: 'image-digest', class: 'digest' }, image.imageDigest),
      el('dt', {}, 'Tags'), el('dd', { id: 'image-tags' }, tags.join(', ') || 'untagged'),
      el('dt', {}, 'Size'), el('dd', { id: 'image-size' }, bytes(image.imageSizeInBytes)),
      el('dt', {}, 'Pushed at'), el('dd', {}, when(image.imagePushedAt)),
      el('dt', {}, 'Last pull'), el('dd', { id: 'image-last-pull' }, when(image.lastRecordedPullTime)),
      el('dt', {}, 'Media type'), el('dd', { id: 'image-media-type' }, manifest.mediaType),
      parsed.artifactType ? [el('dt', {}, 'Artifact type'), el('dd', {}, parsed.artifactType)] : null,
      parsed.subject ? [el('dt', {}, 'Refers to'), el('dd', {}, el('a', {
        href: hashFor(repositoryName, parsed.subject.digest), class: 'digest',
      }, parsed.subject.digest))] : null),
    el('h3', {}, 'Pull'),
    el('div', { id: 'pull-lines' },
      tags.map((tag) => pullLine(`docker pull ${uri}:${tag}`)),
      pullLine(`docker pull ${uri}@${image.imageDigest}`)),
    Array.isArray(parsed.manifests) ? platforms(repositoryName, parsed.manifests) : null,
    Array.isArray(parsed.layers) ? layers(parsed) : null,
    el('h3', {}, 'Referrers'),
    (referrers.referrers || []).length
      ? el('table', { id: 'referrers' },
        el('thead', {}, el('tr', {}, ['Digest', 'Artifact type', 'Media type', 'Size'].map((title) => el('th', {}, title)))),
        el('tbody', {}, referrers.referrers.map((referrer) => el('tr', {},
          el('td', { class: 'digest' }, el('a', { href: hashFor(repositoryName, referrer.digest) }, referrer.digest)),
          el('td', {}, referrer.artifactType || '—'),
          el('td', {}, referrer.mediaType),
          el('td', {}, bytes(referrer.size))))))
      : el('p', { id: 'referrers', class: 'muted' }, 'No referrers.'),
    el('h3', {}, 'Manifest'),
    el('pre', { id: 'manifest-json' }, pretty(manifest.text)),
    config ? [el('h3', {}, 'Config'), el('pre', { id: 'config-json' }, pretty(config.text))] : null,
    state.writes ? el('p', {}, el('button', {
      id: 'delete-image', class: 'danger', onclick: () => deleteImage(repositoryName, digest),
    }, 'Delete image…')) : null,
  );
  view.hidden = false;
  status('');
  view.scrollIntoView({ block: 'start' });
}

function platforms(repositoryName, manifests) {
  return [el('h3', {}, 'Platforms'), el('table', { id: 'platforms' },
    el('thead', {}, el('tr', {}, ['Platform', 'Digest', 'Media type', 'Size'].map((title) => el('th', {}, title)))),
    el('tbody', {}, manifests.map((entry) => {
      const platform = entry.platform || {};
      const name = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/') || '—';
      return el('tr', {},
        el('td', { class: 'platform' }, name),
        el('td', { class: 'digest' }, el('a', { href: hashFor(repositoryName, entry.digest) }, entry.digest)),
        el('td', {}, entry.mediaType),
        el('td', {}, bytes(entry.size)));
    })))];
}

function layers(parsed) {
  const total = parsed.layers.reduce((sum, layer) => sum + (layer.size || 0), 0);
  return [el('h3', {}, `Layers (${parsed.layers.length}, ${bytes(total)})`), el('table', { id: 'layers' },
    el('thead', {}, el('tr', {}, ['Digest', 'Media type', 'Size'].map((title) => el('th', {}, title)))),
    el('tbody', {}, parsed.layers.map((layer) => el('tr', {},
      el('td', { class: 'digest' }, layer.digest),
      el('td', {}, layer.mediaType),
      el('td', { class: 'layer-size' }, bytes(layer.size))))))];
}

// ---- deletes (only with --console-writes) ----

async function deleteImage(repositoryName, digest) {
  if (!confirm(`Delete image ${digest} and its tags from ${repositoryName}? This cannot be undone.`)) return;
  try {
    const result = await api('BatchDeleteImage', { repositoryName, imageIds: [{ imageDigest: digest }] });
    const failure = (result.failures || [])[0];
    if (failure) throw new ApiError(failure.failureCode, failure.failureReason);
    state.repository = null;
    location.hash = hashFor(repositoryName);
    await route();
    status(`Deleted ${digest}.`);
  } catch (error) {
    fail(error);
  }
}

async function deleteRepository(name) {
  if (!confirm(`Delete repository ${name} and every image in it? This cannot be undone.`)) return;
  try {
    await api('DeleteRepository', { repositoryName: name, force: true });
    resetRepos($('repo-search').value);
    location.hash = hashFor();
    await loadRepos();
    status(`Deleted ${name}.`);
  } catch (error) {
    fail(error);
  }
}

// ---- events (GET /_berth/events, when this Berth has it) ----

async function loadEvents() {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 3000);
  try {
    const response = await fetch('/_berth/events', { headers: { Accept: 'application/json' }, signal: abort.signal });
    if (!response.ok) return;
    const body = await response.json();
    const events = Array.isArray(body) ? body : (body.events || []);
    $('event-rows').replaceChildren(...events.slice(-50).reverse().map((event) => {
      const detail = event.detail || {};
      return el('tr', {},
        el('td', {}, event.time || '—'),
        el('td', {}, `${event['detail-type'] || ''} ${detail['action-type'] || detail['scan-status'] || ''}`.trim()),
        el('td', {}, detail['repository-name'] || '—'),
        el('td', { class: 'digest' }, detail['image-digest'] || '—'),
        el('td', {}, detail['image-tag'] || '—'),
        el('td', {}, detail.result || '—'));
    }));
    $('events').hidden = false;
  } catch (_) {
    // No events endpoint (or not JSON): the section stays hidden.
  } finally {
    clearTimeout(timer);
  }
}

function debounce(fn) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), 250); };
}

async function start() {
  try {
    await loadOverview();
  } catch (error) {
    fail(error);
    return;
  }
  $('repo-search').addEventListener('input', debounce(() => {
    resetRepos($('repo-search').value);
    loadRepos();
  }));
  $('repos-more').addEventListener('click', () => loadRepos());
  window.addEventListener('hashchange', route);
  await route();
  document.body.dataset.ready = 'true';
  loadEvents();
}

start();
