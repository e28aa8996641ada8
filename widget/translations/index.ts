import { en } from './en.js';
import { es } from './es.js';
import { ptBR, type Messages } from './pt-BR.js';

export type { Messages };

/** Locales the widget ships. pt-BR is the default. */
export const LOCALES = { 'pt-BR': ptBR, en, es } as const;
export type Locale = keyof typeof LOCALES;
export const DEFAULT_LOCALE: Locale = 'pt-BR';

/**
 * The shipped locale closest to a BCP 47 tag: exact match first, then the language alone
 * (`en-US` → `en`, `es-MX` → `es`, `pt-PT` → `pt-BR`), else the default. Case-insensitive.
 */
export function resolveLocale(tag: string | null | undefined): Locale {
  if (!tag) return DEFAULT_LOCALE;
  const wanted = tag.trim().toLowerCase();
  for (const locale of Object.keys(LOCALES) as Locale[]) {
    if (locale.toLowerCase() === wanted) return locale;
  }
  const language = wanted.split(/[-_]/)[0];
  for (const locale of Object.keys(LOCALES) as Locale[]) {
    if (locale.toLowerCase().split('-')[0] === language) return locale;
  }
  return DEFAULT_LOCALE;
}
