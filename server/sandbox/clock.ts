/**
 * Timestamp formats of the ConnectPSP wire (docs/connectpsp.md §6.5). Transaction times carry the
 * Brasília offset (`2026-03-10T11:20:00-03:00`); event and snapshot times are UTC
 * (`2026-03-10T14:22:18Z`). Both are written to the second, like every example in the docs.
 */

/** Brasília has had no daylight saving time since 2019, so its offset is a constant. */
const BRASILIA_OFFSET_MS = -3 * 60 * 60 * 1000;

/** `2026-03-10T11:20:00-03:00` */
export function brasiliaIso(ms: number): string {
  return new Date(ms + BRASILIA_OFFSET_MS).toISOString().slice(0, 19) + '-03:00';
}

/** `2026-03-10T14:22:18Z` */
export function utcIso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** `2026-03-10`, the calendar date in Brasília (the balance `referenceDate`). */
export function brasiliaDate(ms: number): string {
  return new Date(ms + BRASILIA_OFFSET_MS).toISOString().slice(0, 10);
}

/** `202603101422`: UTC `yyyyMMddHHmm`, the date part of an end-to-end id (docs/protocols.md §1.9). */
export function spiMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace(/[-T:]/g, '');
}
