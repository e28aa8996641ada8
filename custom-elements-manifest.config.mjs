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

export default {
  globs: ['widget/**/*.ts'],
  exclude: ['widget/**/*.d.ts', 'widget/translations/**'],
  outdir: 'dist',
  litelement: true,
  plugins: [hideInternalState()],
};
