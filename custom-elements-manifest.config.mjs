// `cem analyze` (the second half of `npm run build`) turns the JSDoc of widget/connectpsp-checkout.ts
// into dist/custom-elements.json — attributes, events, parts, custom properties — for docs and IDEs.

/** Internal reactive state (`_status`, …) is declared in `static properties` but is not public API. */
function hideInternalState() {
  return {
    name: 'connectpsp:hide-internal-state',
    packageLinkPhase({ customElementsManifest }) {
      for (const module of customElementsManifest.modules) {
        for (const declaration of module.declarations ?? []) {
          if (!declaration.customElement) continue;
          declaration.attributes = declaration.attributes?.filter((a) => !a.name.startsWith('_'));
          declaration.members = declaration.members?.filter((m) => !m.name.startsWith('_') && m.privacy !== 'private');
          // Events dispatched as `new XEvent(...)` carry no literal name; the @fires tags do.
          declaration.events = declaration.events?.filter((e) => e.name);
        }
      }
    },
  };
}

/**
 * The manifest ships in the package, so it names the files the package ships: the element's module
 * `widget/connectpsp-checkout.ts` becomes `dist/connectpsp-checkout.js` (the npm entry that exports
 * it) and `widget/define.ts` becomes `dist/define.js` (where the tag is registered). Modules that are
 * bundled into those entries and declare nothing public are left out.
 */
function shippedPaths() {
  const SHIPPED = {
    'widget/connectpsp-checkout.ts': 'dist/connectpsp-checkout.js',
    'widget/define.ts': 'dist/define.js',
    'widget/events.ts': 'dist/connectpsp-checkout.js',
  };
  const rewrite = (value) => {
    if (Array.isArray(value)) return value.forEach(rewrite);
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if ((key === 'module' || key === 'path') && typeof child === 'string' && SHIPPED[child.replace(/^\//, '')])
        value[key] = SHIPPED[child.replace(/^\//, '')];
      else rewrite(child);
    }
  };
  return {
    name: 'connectpsp:shipped-paths',
    packageLinkPhase({ customElementsManifest }) {
      const byPath = new Map();
      for (const module of customElementsManifest.modules.filter((m) => SHIPPED[m.path])) {
        rewrite(module);
        const same = byPath.get(module.path);
        if (!same) byPath.set(module.path, module);
        else for (const key of ['declarations', 'exports']) same[key] = [...(same[key] ?? []), ...(module[key] ?? [])];
      }
      customElementsManifest.modules = [...byPath.values()];
    },
  };
}

export default {
  globs: ['widget/**/*.ts'],
  exclude: ['widget/**/*.d.ts', 'widget/translations/**', 'widget/dist/**', 'widget/contract/**', 'widget/react.ts', 'widget/jsx.ts'],
  outdir: 'widget/dist',
  litelement: true,
  plugins: [hideInternalState(), shippedPaths()],
};
