/**
 * The layer arrows of DESIGN.md §4, enforced. `npm run lint` fails on any import against them.
 *   cli ─► (everything: it is the composition root)
 *   graphql ─► app ─► domain          portal ─► app
 *   app ─► store, tdlib, config, shared
 *   store, tdlib ─► domain, shared
 *   domain ─► domain only (no node built-ins, no packages)
 */
const layer = (name) => `^src/${name}/`;
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing but itself: no other layer, no node built-in, no package.',
      severity: 'error',
      from: { path: layer('domain') },
      to: { pathNot: [layer('domain')] },
    },
    {
      name: 'store-below-app',
      severity: 'error',
      from: { path: layer('store') },
      to: { path: `^src/(app|tdlib|graphql|portal|noc|cli|config)/` },
    },
    {
      name: 'tdlib-below-app',
      comment: 'TDLib objects stay inside src/tdlib; it knows nothing of the store or the app.',
      severity: 'error',
      from: { path: layer('tdlib') },
      to: { path: `^src/(app|store|graphql|portal|noc|cli|config)/` },
    },
    {
      name: 'app-below-edges',
      severity: 'error',
      from: { path: layer('app') },
      to: { path: `^src/(graphql|portal|noc|cli)/` },
    },
    {
      name: 'graphql-through-app',
      comment: 'The API reaches the store and TDLib only through app actions and queries.',
      severity: 'error',
      from: { path: layer('graphql') },
      to: { path: `^src/(store|tdlib|portal|noc|cli)/` },
    },
    {
      name: 'portal-through-app',
      severity: 'error',
      from: { path: layer('portal') },
      to: { path: `^src/(store|tdlib|graphql|noc|cli)/` },
    },
    {
      name: 'shared-and-config-are-leaves',
      severity: 'error',
      from: { path: `^src/(shared|config)/` },
      to: { path: `^src/(app|store|tdlib|graphql|portal|noc|cli)/` },
    },
    {
      name: 'noc-speaks-graphql-only',
      comment: 'The browser apps talk to the daemon over GraphQL; they import no server code.',
      severity: 'error',
      from: { path: `^src/(noc|console)/` },
      to: { path: `^src/(domain|app|store|tdlib|graphql|portal|cli|config|shared)/` },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)web/(dist|node_modules)/' },
  },
};
