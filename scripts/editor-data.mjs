// Part of `npm run build`: editor data for `<connectpsp-checkout>`, generated from the custom
// elements manifest so the three never disagree:
// - widget/dist/vscode.html-custom-data.json: VS Code's HTML custom data
//   (https://github.com/microsoft/vscode-custom-data), listed in settings as `html.customData`;
// - widget/dist/web-types.json: JetBrains web-types (https://github.com/JetBrains/web-types), found
//   by WebStorm through the package's `web-types` field.
import { readFileSync, writeFileSync } from 'node:fs';

const dist = new URL('../widget/dist/', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../widget/package.json', import.meta.url), 'utf8'));
const manifest = JSON.parse(readFileSync(new URL('custom-elements.json', dist), 'utf8'));

const elements = manifest.modules.flatMap((m) => (m.declarations ?? []).filter((d) => d.customElement && d.tagName));
if (elements.length === 0) throw new Error('editor-data: the manifest declares no custom element');

/** `'a' | 'b' | undefined` → ['a', 'b']; a type with no string literal → []. */
const literals = (type) => [...(type?.text ?? '').matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);

const vscode = {
  version: 1.1,
  tags: elements.map((el) => ({
    name: el.tagName,
    description: [el.summary, el.description].filter(Boolean).join('\n\n'),
    attributes: (el.attributes ?? []).map((a) => ({
      name: a.name,
      description: a.description ?? '',
      ...(literals(a.type).length ? { values: literals(a.type).map((name) => ({ name })) } : {}),
    })),
    references: [{ name: 'README', url: 'https://www.npmjs.com/package/connectpsp-checkout' }],
  })),
};

const webTypes = {
  $schema: 'https://raw.githubusercontent.com/JetBrains/web-types/master/schema/web-types.json',
  name: pkg.name,
  version: pkg.version,
  'description-markup': 'markdown',
  contributions: {
    html: {
      elements: elements.map((el) => ({
        name: el.tagName,
        description: el.summary ?? el.description ?? '',
        attributes: (el.attributes ?? []).map((a) => ({
          name: a.name,
          description: a.description ?? '',
          value: literals(a.type).length
            ? {
                type: literals(a.type)
                  .map((v) => `'${v}'`)
                  .join(' | '),
              }
            : { type: 'string' },
        })),
        events: (el.events ?? []).map((e) => ({ name: e.name, description: e.description ?? '' })),
        css: {
          parts: (el.cssParts ?? []).map((p) => ({ name: p.name, description: p.description ?? '' })),
          properties: (el.cssProperties ?? []).map((p) => ({ name: p.name, description: p.description ?? '' })),
        },
      })),
    },
  },
};

writeFileSync(new URL('vscode.html-custom-data.json', dist), `${JSON.stringify(vscode, null, 2)}\n`);
writeFileSync(new URL('web-types.json', dist), `${JSON.stringify(webTypes, null, 2)}\n`);
console.log(`editor data: ${elements.map((e) => e.tagName).join(', ')} → vscode.html-custom-data.json, web-types.json`);
