/**
 * PIX BR Code ("Pix Copia e Cola"): build and check the EMV QRCPS-MPM payload that a PIX QR code
 * carries. See docs/protocols.md §1 for the field table, the CRC and the static/dynamic split.
 *
 * Pure and dependency-free: nothing here may pull in zod, Node built-ins or server code. The frame —
 * the TLV walk, 00 first, 63 last with its CRC — lives in `brcode-core.ts`, which the widget imports
 * on its own to check a code before it draws it; this module builds the full validation on it.
 *
 * A payload is a flat list of TLV data objects, `ID (2 digits) + LEN (2 digits) + VALUE`; objects
 * 26–51 and 62 are templates whose value is itself such a list. The last object is always the CRC,
 * written `6304` + 4 hex digits, computed over everything before those 4 digits.
 */

import { crc16, isProblem, readBrCode, readTlv, type BrCodeProblem, type DataObject } from 'connectpsp-checkout/contract';

export { crc16 };

/** The GUI that marks a merchant-account template as Pix (object 26, sub-field 00). */
export const PIX_GUI = 'br.gov.bcb.pix';

/** Limits from the BCB manual and the EMV encoding (docs/protocols.md §1.2–§1.4). */
const MAX_VALUE_LENGTH = 99;
const MAX_MERCHANT_NAME = 25;
const MAX_MERCHANT_CITY = 15;
const MAX_PIX_KEY = 77;
const MAX_LOCATION_URL = 77;
const MAX_AMOUNT = 13;
/** 62-05 when a static code carries no txid, and always in a dynamic code. */
const NO_TXID = '***';

const ID = {
  payloadFormat: '00',
  pointOfInitiation: '01',
  pixTemplate: '26',
  merchantCategory: '52',
  currency: '53',
  amount: '54',
  country: '58',
  merchantName: '59',
  merchantCity: '60',
  additionalData: '62',
  crc: '63',
} as const;

const PIX_SUB_ID = { gui: '00', key: '01', message: '02', locationUrl: '25' } as const;
const ADDITIONAL_SUB_ID = { txid: '05' } as const;

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

interface BrCodeCommonFields {
  /** Receiver name. Accents are stripped and it is upper-cased; at most 25 characters after that. */
  merchantName: string;
  /** Receiver city. Same normalisation; at most 15 characters. */
  merchantCity: string;
  /**
   * Object 54, decimal reais with a `.` and two decimals (`"10.00"`), see {@link formatBrCodeAmount}.
   * Omit it to let the payer type the amount (static codes).
   */
  amount?: string;
}

/** A code a PSP issues for one charge: the payer's app fetches the charge from `locationUrl`. */
export interface DynamicBrCodeFields extends BrCodeCommonFields {
  kind: 'dynamic';
  /** Object 26-25: the PSP location **without** scheme, e.g. `pix.example.com/qr/v2/abc`; ≤77 chars. */
  locationUrl: string;
}

/** A reusable code anyone can build for a Pix key. */
export interface StaticBrCodeFields extends BrCodeCommonFields {
  kind: 'static';
  /** Object 26-01: the DICT key (CPF, CNPJ, e-mail, `+55…` phone or EVP); ≤77 chars. */
  pixKey: string;
  /** Object 26-02: a message shown to the payer. */
  message?: string;
  /** Object 62-05: `[A-Za-z0-9]{1,25}`; `***` (no txid) when omitted. */
  txid?: string;
  /** Object 01: omitted by default, as in the BCB example; `'12'` marks a single-use code. */
  pointOfInitiation?: '11' | '12';
}

export type BrCodeFields = DynamicBrCodeFields | StaticBrCodeFields;

/**
 * Builds a BR Code with its CRC. Throws a `RangeError` naming the field when a value does not fit
 * (too long, bad amount, non-ASCII after accent stripping) rather than truncating it: a code that
 * silently differs from what the caller asked for is worse than no code.
 *
 * A dynamic code always carries `010212` (single use) and `62070503***` (its txid lives behind the
 * location), plus object 54 when `amount` is given so a reader can show it.
 */
export function encodeBrCode(fields: BrCodeFields): string {
  const merchantName = normaliseText(fields.merchantName, 'merchantName', MAX_MERCHANT_NAME);
  const merchantCity = normaliseText(fields.merchantCity, 'merchantCity', MAX_MERCHANT_CITY);
  if (fields.amount !== undefined) checkAmount(fields.amount, 'amount');

  let pointOfInitiation: string | undefined;
  let pixTemplate: string;
  let txid = NO_TXID;
  if (fields.kind === 'dynamic') {
    checkLocationUrl(fields.locationUrl, 'locationUrl');
    pointOfInitiation = '12';
    pixTemplate = tlv(PIX_SUB_ID.gui, PIX_GUI) + tlv(PIX_SUB_ID.locationUrl, fields.locationUrl);
  } else {
    if (fields.pixKey.length === 0 || fields.pixKey.length > MAX_PIX_KEY) {
      throw new RangeError(`pixKey must be 1 to ${MAX_PIX_KEY} characters, got ${fields.pixKey.length}`);
    }
    if (fields.txid !== undefined && !/^[A-Za-z0-9]{1,25}$/.test(fields.txid)) {
      throw new RangeError(`txid must be 1 to 25 letters or digits, got "${fields.txid}"`);
    }
    pointOfInitiation = fields.pointOfInitiation;
    pixTemplate = tlv(PIX_SUB_ID.gui, PIX_GUI) + tlv(PIX_SUB_ID.key, fields.pixKey);
    if (fields.message) pixTemplate += tlv(PIX_SUB_ID.message, checkAscii(fields.message, 'message'));
    txid = fields.txid ?? NO_TXID;
  }

  const body =
    tlv(ID.payloadFormat, '01') +
    (pointOfInitiation ? tlv(ID.pointOfInitiation, pointOfInitiation) : '') +
    tlv(ID.pixTemplate, pixTemplate, 'the Pix template (26)') +
    tlv(ID.merchantCategory, '0000') +
    tlv(ID.currency, '986') +
    (fields.amount !== undefined ? tlv(ID.amount, fields.amount) : '') +
    tlv(ID.country, 'BR') +
    tlv(ID.merchantName, merchantName) +
    tlv(ID.merchantCity, merchantCity) +
    tlv(ID.additionalData, tlv(ADDITIONAL_SUB_ID.txid, txid)) +
    ID.crc +
    '04';
  return body + crc16(body);
}

/** 1050 centavos → `"10.50"`, the object 54 form. Integer arithmetic, so no float rounding. */
export function formatBrCodeAmount(centavos: number): string {
  if (!Number.isSafeInteger(centavos) || centavos <= 0) {
    throw new RangeError(`amount must be a positive integer number of centavos, got ${centavos}`);
  }
  return `${Math.floor(centavos / 100)}.${String(centavos % 100).padStart(2, '0')}`;
}

/**
 * Makes free text fit a BR Code name (25) or city (15) field the lenient way: accents stripped,
 * upper-cased, other non-ASCII characters dropped, truncated to `maxLength`. For callers holding
 * text they do not control (a configured merchant name); `encodeBrCode` itself refuses rather than
 * truncates.
 *
 * @example fitBrCodeText('Padaria e Confeitaria São João Ltda', 25) === 'PADARIA E CONFEITARIA SAO'
 */
export function fitBrCodeText(text: string, maxLength: number): string {
  return stripAccents(text)
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, maxLength)
    .trim();
}

function stripAccents(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase();
}

function tlv(id: string, value: string, what = `field ${id}`): string {
  if (value.length > MAX_VALUE_LENGTH) {
    throw new RangeError(`${what} is ${value.length} characters long; a BR Code data object holds at most ${MAX_VALUE_LENGTH}`);
  }
  return id + String(value.length).padStart(2, '0') + value;
}

/** NFD + drop combining marks + upper-case (docs/protocols.md §1.5), then check what is left. */
function normaliseText(text: string, field: string, max: number): string {
  const normalised = stripAccents(text).trim();
  if (normalised.length === 0) throw new RangeError(`${field} must not be empty`);
  if (normalised.length > max)
    throw new RangeError(`${field} must be at most ${max} characters, got ${normalised.length} ("${normalised}")`);
  return checkAscii(normalised, field);
}

/** Outside printable ASCII the character count and the byte count part ways, and readers disagree. */
function checkAscii(text: string, field: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new RangeError(`${field} must be printable ASCII after accents are removed, got "${text}"`);
  return text;
}

function checkAmount(amount: string, field: string): void {
  if (!/^\d{1,10}\.\d{2}$/.test(amount) || amount.length > MAX_AMOUNT) {
    throw new RangeError(`${field} must look like "10.00" (up to 10 digits, a dot, 2 decimals), got "${amount}"`);
  }
  if (/^0+\.00$/.test(amount)) throw new RangeError(`${field} must be greater than zero`);
}

function checkLocationUrl(url: string, field: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new RangeError(`${field} must not include a scheme, got "${url}"`);
  if (url.length === 0 || url.length > MAX_LOCATION_URL) {
    throw new RangeError(`${field} must be 1 to ${MAX_LOCATION_URL} characters, got ${url.length}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** What a valid BR Code says. Text values are exactly as written in the code. */
export interface ParsedBrCode {
  /** Object 01: `'11'` reusable, `'12'` single use; undefined when absent (usual for static codes). */
  pointOfInitiation?: '11' | '12';
  merchantName: string;
  merchantCity: string;
  /** Object 54 as written (`"10.00"`). For a dynamic code the authoritative amount is behind the location. */
  amount?: string;
  /** Object 26-01, static codes only. */
  pixKey?: string;
  /** Object 26-02, static codes only. */
  message?: string;
  /** Object 26-25 (no scheme), dynamic codes only. */
  locationUrl?: string;
  /** Object 62-05; undefined when absent or `***` (no txid). */
  txid?: string;
  kind: 'static' | 'dynamic';
  /** The 4 hex digits of object 63, upper-cased. */
  crc: string;
}

export type BrCodeParseResult = { ok: true; value: ParsedBrCode } | { ok: false; reason: string };

/**
 * Checks a BR Code and reads its fields. Never throws: a malformed code gives `{ ok: false, reason }`
 * with a short plain-English reason ("CRC mismatch: expected 1D3D, got 0000").
 *
 * Checked: the TLV structure (every length matches and the payload is consumed exactly), 00=`01`
 * first, 63 last as `6304` + a correct CRC, no repeated top-level field, exactly one Pix template
 * (IDs 26–51, GUI `br.gov.bcb.pix` in any case) holding a key (01) or a location URL (25) but not
 * both, 01 ∈ {11, 12} when present, 52 present, 53=`986`, 54 a positive decimal when present,
 * 58=`BR`, 59 and 60 present. Name and city lengths are not enforced: codes in the wild exceed them
 * and payers' banks still accept them.
 *
 * Callers reading user input should `trim()` it first; whitespace inside a code is an error.
 */
export function parseBrCode(text: string): BrCodeParseResult {
  if (typeof text !== 'string' || text.length === 0) return fail('empty code');

  const objects = readBrCode(text);
  if (isProblem(objects)) return fail(describeProblem(objects));
  const crc = objects[objects.length - 1]!.value.toUpperCase();

  const byId = new Map<string, string>();
  for (const object of objects) {
    if (byId.has(object.id)) return fail(`field ${object.id} appears more than once`);
    byId.set(object.id, object.value);
  }

  const pointOfInitiation = byId.get(ID.pointOfInitiation);
  if (pointOfInitiation !== undefined && pointOfInitiation !== '11' && pointOfInitiation !== '12') {
    return fail(`field 01 (point of initiation) must be 11 or 12, got ${pointOfInitiation}`);
  }

  const pix = findPixTemplate(objects);
  if (typeof pix === 'string') return fail(pix);

  if (!byId.has(ID.merchantCategory)) return fail('field 52 (merchant category code) is missing');
  const currency = byId.get(ID.currency);
  if (currency === undefined) return fail('field 53 (currency) is missing');
  if (currency !== '986') return fail(`field 53 (currency) must be 986 (BRL), got ${currency}`);
  const amount = byId.get(ID.amount);
  if (amount !== undefined && !isPositiveDecimal(amount))
    return fail(`field 54 (amount) must be a positive decimal like 10.00, got "${amount}"`);
  const country = byId.get(ID.country);
  if (country === undefined) return fail('field 58 (country) is missing');
  if (country !== 'BR') return fail(`field 58 (country) must be BR, got ${country}`);
  const merchantName = byId.get(ID.merchantName);
  if (!merchantName) return fail('field 59 (merchant name) is missing');
  const merchantCity = byId.get(ID.merchantCity);
  if (!merchantCity) return fail('field 60 (merchant city) is missing');

  let txid: string | undefined;
  const additional = byId.get(ID.additionalData);
  if (additional !== undefined) {
    const sub = readTemplate(additional);
    if (typeof sub === 'string') return fail(`field 62 (additional data) is not a valid template: ${sub}`);
    const reference = sub.find((object) => object.id === ADDITIONAL_SUB_ID.txid)?.value;
    if (reference !== undefined && reference !== NO_TXID) txid = reference;
  }

  const value: ParsedBrCode = {
    merchantName,
    merchantCity,
    kind: pix.locationUrl !== undefined ? 'dynamic' : 'static',
    crc,
  };
  if (pointOfInitiation !== undefined) value.pointOfInitiation = pointOfInitiation;
  if (amount !== undefined) value.amount = amount;
  if (pix.pixKey !== undefined) value.pixKey = pix.pixKey;
  if (pix.message !== undefined) value.message = pix.message;
  if (pix.locationUrl !== undefined) value.locationUrl = pix.locationUrl;
  if (txid !== undefined) value.txid = txid;
  return { ok: true, value };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** The core's problem codes, in words. */
function describeProblem(problem: BrCodeProblem): string {
  switch (problem[0]) {
    case 'empty':
      return 'empty code';
    case 'truncated':
      return `truncated data object at position ${problem[1]}`;
    case 'id':
      return `invalid field id "${problem[2]}" at position ${problem[1]}`;
    case 'length':
      return `invalid length "${problem[3]}" for field ${problem[2]} at position ${problem[1]}`;
    case 'zero':
      return `field ${problem[1]} has length 00`;
    case 'overrun':
      return `field ${problem[1]} declares length ${problem[2]} but only ${problem[3]} characters remain`;
    case 'first':
      return 'field 00 (payload format indicator) must come first with value 01';
    case 'last':
      return 'field 63 (CRC) must come last, written as 6304 and 4 hex digits';
    case 'crc':
      return `CRC mismatch: expected ${problem[1]}, got ${problem[2]}`;
  }
}

/** A template's objects, or why they cannot be read. */
function readTemplate(text: string): DataObject[] | string {
  const objects = readTlv(text);
  return isProblem(objects) ? describeProblem(objects) : objects;
}

interface PixTemplate {
  pixKey?: string;
  message?: string;
  locationUrl?: string;
}

/**
 * The one merchant-account template (IDs 26–51) whose GUI is Pix. Templates of other schemes may sit
 * beside it; a second Pix template makes the code ambiguous, so it is refused.
 */
function findPixTemplate(objects: DataObject[]): PixTemplate | string {
  let found: PixTemplate | undefined;
  for (const object of objects) {
    const id = Number(object.id);
    if (id < 26 || id > 51) continue;
    const sub = readTemplate(object.value);
    if (typeof sub === 'string') return `field ${object.id} (merchant account) is not a valid template: ${sub}`;
    const get = (subId: string) => sub.find((s) => s.id === subId)?.value;
    if (get(PIX_SUB_ID.gui)?.toLowerCase() !== PIX_GUI) continue;
    if (found) return 'more than one Pix template (GUI br.gov.bcb.pix)';
    const pixKey = get(PIX_SUB_ID.key);
    const locationUrl = get(PIX_SUB_ID.locationUrl);
    if (pixKey !== undefined && locationUrl !== undefined) return 'Pix template holds both a key (01) and a location URL (25)';
    if (pixKey === undefined && locationUrl === undefined) return 'Pix template holds neither a key (01) nor a location URL (25)';
    if (locationUrl !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(locationUrl)) {
      return 'Pix location URL (26-25) must not include a scheme';
    }
    found = { pixKey, locationUrl, message: get(PIX_SUB_ID.message) };
  }
  return found ?? 'no Pix template (GUI br.gov.bcb.pix) in fields 26-51';
}

function isPositiveDecimal(amount: string): boolean {
  return amount.length <= MAX_AMOUNT && /^\d+(\.\d{1,2})?$/.test(amount) && Number(amount) > 0;
}
