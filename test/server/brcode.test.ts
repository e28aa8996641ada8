import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as core from '../../widget/contract/brcode-core.js';
import { crc16, encodeBrCode, formatBrCodeAmount, parseBrCode, type ParsedBrCode } from '../../server/pix/brcode.js';

/** Vectors from docs/protocols.md §1.6: payload up to and including `6304`, and its CRC. */
const BCB_STATIC =
  '00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***6304';
const PIX_UTILS_STATIC =
  '00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123520400005303986540510.005802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***6304';
const PIX_UTILS_DYNAMIC =
  '00020101021226740014br.gov.bcb.pix2552payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e875204000053039865802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***6304';

/** Appends `6304` + the right CRC, so a test can break one rule while the CRC stays valid. */
function sealed(bodyWithoutCrcField: string): string {
  const body = bodyWithoutCrcField + '6304';
  return body + crc16(body);
}

function tlv(id: string, value: string): string {
  return id + String(value.length).padStart(2, '0') + value;
}

const PIX_DYNAMIC_TEMPLATE = tlv('26', tlv('00', 'br.gov.bcb.pix') + tlv('25', 'psp.example.com/qr/v2/abc'));
const TAIL = '520400005303986' + '5802BR' + tlv('59', 'LOJA') + tlv('60', 'RECIFE') + '62070503***';

function reasonOf(text: string): string {
  const result = parseBrCode(text);
  assert.equal(result.ok, false, `expected ${text} to be rejected`);
  return (result as { reason: string }).reason;
}

function valueOf(text: string): ParsedBrCode {
  const result = parseBrCode(text);
  if (!result.ok) assert.fail(`expected a valid code, got: ${result.reason}`);
  return result.value;
}

describe('crc16', () => {
  test('matches the CRC-16/CCITT-FALSE check value', () => {
    assert.equal(crc16('123456789'), '29B1');
  });

  test('matches the BCB and pix-utils BR Code vectors', () => {
    assert.equal(crc16(BCB_STATIC), '1D3D');
    assert.equal(crc16(PIX_UTILS_STATIC), '0DC6');
    assert.equal(crc16(PIX_UTILS_DYNAMIC), '2895');
  });

  test('pads to four uppercase hex digits', () => {
    // Search a short input whose CRC has a leading zero, so the padding is exercised.
    const padded = Array.from({ length: 5000 }, (_, i) => crc16(String(i))).find((crc) => crc.startsWith('0'));
    assert.match(padded!, /^0[0-9A-F]{3}$/);
  });
});

describe('parseBrCode on the published vectors', () => {
  test('reads the BCB static example', () => {
    assert.deepEqual(valueOf(BCB_STATIC + '1D3D'), {
      merchantName: 'Fulano de Tal',
      merchantCity: 'BRASILIA',
      kind: 'static',
      crc: '1D3D',
      pixKey: '123e4567-e12b-12d1-a456-426655440000',
    });
  });

  test('reads the pix-utils static code with amount and message', () => {
    const value = valueOf(PIX_UTILS_STATIC + '0DC6');
    assert.equal(value.kind, 'static');
    assert.equal(value.amount, '10.00');
    assert.equal(value.pixKey, 'thalesog@me.com');
    assert.equal(value.message, 'Pedido 123');
    assert.equal(value.txid, undefined, '*** means no txid');
  });

  test('reads the pix-utils dynamic one-time code', () => {
    const value = valueOf(PIX_UTILS_DYNAMIC + '2895');
    assert.equal(value.kind, 'dynamic');
    assert.equal(value.pointOfInitiation, '12');
    assert.equal(value.locationUrl, 'payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e87');
    assert.equal(value.pixKey, undefined);
  });

  test('accepts an upper-case GUI and a lower-case CRC', () => {
    const upper = sealed('000201' + tlv('26', tlv('00', 'BR.GOV.BCB.PIX') + tlv('01', '12345678909')) + TAIL);
    assert.equal(valueOf(upper).pixKey, '12345678909');
    const lowerCrc = (BCB_STATIC + '1D3D').toLowerCase().slice(-4);
    assert.equal(valueOf(BCB_STATIC + lowerCrc).crc, '1D3D');
  });
});

describe('encodeBrCode', () => {
  test('reproduces the pix-utils static vector byte for byte', () => {
    const code = encodeBrCode({
      kind: 'static',
      pixKey: 'thalesog@me.com',
      message: 'Pedido 123',
      amount: '10.00',
      merchantName: 'Thales Ogliari',
      merchantCity: 'São Miguel do Ó',
    });
    assert.equal(code, PIX_UTILS_STATIC + '0DC6');
  });

  test('reproduces the pix-utils dynamic vector byte for byte', () => {
    const code = encodeBrCode({
      kind: 'dynamic',
      locationUrl: 'payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e87',
      merchantName: 'THALES OGLIARI',
      merchantCity: 'SAO MIGUEL DO O',
    });
    assert.equal(code, PIX_UTILS_DYNAMIC + '2895');
  });

  test('round-trips a dynamic code with an amount', () => {
    const code = encodeBrCode({
      kind: 'dynamic',
      locationUrl: 'localhost:3000/sandbox/pix/v2/abc123',
      merchantName: 'Padaria São João',
      merchantCity: 'Goiânia',
      amount: '1234.56',
    });
    assert.deepEqual(valueOf(code), {
      kind: 'dynamic',
      pointOfInitiation: '12',
      locationUrl: 'localhost:3000/sandbox/pix/v2/abc123',
      merchantName: 'PADARIA SAO JOAO',
      merchantCity: 'GOIANIA',
      amount: '1234.56',
      crc: code.slice(-4),
    });
  });

  test('round-trips a static code with a txid and a point of initiation', () => {
    const code = encodeBrCode({
      kind: 'static',
      pixKey: '+5511999998888',
      txid: 'PEDIDO42',
      pointOfInitiation: '11',
      merchantName: 'Loja',
      merchantCity: 'Recife',
    });
    const value = valueOf(code);
    assert.equal(value.txid, 'PEDIDO42');
    assert.equal(value.pointOfInitiation, '11');
    assert.equal(value.pixKey, '+5511999998888');
    assert.equal(value.amount, undefined);
  });

  test('throws on values that do not fit, naming the field', () => {
    const base = { kind: 'dynamic', locationUrl: 'psp.example.com/x', merchantName: 'LOJA', merchantCity: 'RECIFE' } as const;
    assert.throws(() => encodeBrCode({ ...base, merchantName: 'A'.repeat(26) }), /merchantName must be at most 25/);
    assert.throws(() => encodeBrCode({ ...base, merchantCity: 'B'.repeat(16) }), /merchantCity must be at most 15/);
    assert.throws(() => encodeBrCode({ ...base, locationUrl: 'p'.repeat(78) }), /locationUrl must be 1 to 77/);
    assert.throws(() => encodeBrCode({ ...base, locationUrl: 'https://psp.example.com/x' }), /must not include a scheme/);
    assert.throws(() => encodeBrCode({ ...base, amount: '10.5' }), /amount must look like "10.00"/);
    assert.throws(() => encodeBrCode({ ...base, amount: '0.00' }), /greater than zero/);
    assert.throws(() => encodeBrCode({ ...base, merchantName: 'Łódź' }), /printable ASCII/);
    const staticBase = { kind: 'static', pixKey: 'a@b.co', merchantName: 'LOJA', merchantCity: 'RECIFE' } as const;
    assert.throws(() => encodeBrCode({ ...staticBase, pixKey: 'k'.repeat(78) }), /pixKey must be 1 to 77/);
    assert.throws(() => encodeBrCode({ ...staticBase, txid: 'has-dash' }), /txid must be 1 to 25/);
    assert.throws(
      () => encodeBrCode({ ...staticBase, pixKey: 'k'.repeat(77), message: 'm'.repeat(10) }),
      /Pix template \(26\) is \d+ characters/,
    );
  });
});

describe('formatBrCodeAmount', () => {
  test('formats centavos with two decimals', () => {
    assert.equal(formatBrCodeAmount(1050), '10.50');
    assert.equal(formatBrCodeAmount(7), '0.07');
    assert.equal(formatBrCodeAmount(100000000), '1000000.00');
    assert.throws(() => formatBrCodeAmount(0), RangeError);
    assert.throws(() => formatBrCodeAmount(10.5), RangeError);
  });
});

describe('parseBrCode rejections', () => {
  test('CRC mismatch names both values', () => {
    assert.equal(reasonOf(BCB_STATIC + '0000'), 'CRC mismatch: expected 1D3D, got 0000');
  });

  test('empty input', () => {
    assert.equal(reasonOf(''), 'empty code');
  });

  test('a declared length longer than what remains', () => {
    assert.match(reasonOf('000201' + '5910LOJA'), /^field 59 declares length 10 but only 4 characters remain$/);
  });

  test('a truncated object and a non-numeric length', () => {
    assert.match(reasonOf('000201' + '59'), /^truncated data object at position 6$/);
    assert.match(reasonOf('000201' + '59XXLOJA'), /^invalid length "XX" for field 59/);
    assert.match(reasonOf('000201AB01x'), /^invalid field id "AB"/);
  });

  test('a zero-length object', () => {
    assert.match(reasonOf('000201' + '5900' + TAIL), /field 59 has length 00/);
  });

  test('field 00 must come first with 01', () => {
    assert.match(reasonOf(sealed('010212000201' + PIX_DYNAMIC_TEMPLATE + TAIL)), /field 00 .* must come first/);
    assert.match(reasonOf(sealed('000202' + PIX_DYNAMIC_TEMPLATE + TAIL)), /field 00 .* must come first/);
  });

  test('field 63 must be last and be 6304 + 4 hex digits', () => {
    const good = sealed('000201' + PIX_DYNAMIC_TEMPLATE + TAIL);
    assert.match(reasonOf(good + '5802BR'), /field 63 \(CRC\) must come last/);
    assert.match(reasonOf('000201' + PIX_DYNAMIC_TEMPLATE + TAIL + '6303ABC'), /field 63 \(CRC\) must come last/);
    assert.match(reasonOf('000201' + PIX_DYNAMIC_TEMPLATE + TAIL + '6304ZZZZ'), /field 63 \(CRC\) must come last/);
  });

  test('a repeated field', () => {
    assert.equal(reasonOf(sealed('000201' + PIX_DYNAMIC_TEMPLATE + TAIL + '5802BR')), 'field 58 appears more than once');
  });

  test('point of initiation other than 11 or 12', () => {
    assert.match(reasonOf(sealed('000201010213' + PIX_DYNAMIC_TEMPLATE + TAIL)), /field 01 .* must be 11 or 12, got 13/);
  });

  test('no Pix template, or one of another scheme only', () => {
    assert.match(reasonOf(sealed('000201' + TAIL)), /^no Pix template/);
    const other = tlv('27', tlv('00', 'com.example.pay') + tlv('01', 'key'));
    assert.match(reasonOf(sealed('000201' + other + TAIL)), /^no Pix template/);
  });

  test('a Pix template beside another scheme is fine', () => {
    const other = tlv('27', tlv('00', 'com.example.pay') + tlv('01', 'key'));
    assert.equal(valueOf(sealed('000201' + other + PIX_DYNAMIC_TEMPLATE.replace(/^26/, '28') + TAIL)).kind, 'dynamic');
  });

  test('two Pix templates', () => {
    const second = tlv('27', tlv('00', 'br.gov.bcb.pix') + tlv('01', '12345678909'));
    assert.equal(reasonOf(sealed('000201' + PIX_DYNAMIC_TEMPLATE + second + TAIL)), 'more than one Pix template (GUI br.gov.bcb.pix)');
  });

  test('a Pix template with both key and URL, or neither', () => {
    const both = tlv('26', tlv('00', 'br.gov.bcb.pix') + tlv('01', '12345678909') + tlv('25', 'psp.example.com/x'));
    assert.match(reasonOf(sealed('000201' + both + TAIL)), /both a key \(01\) and a location URL \(25\)/);
    const neither = tlv('26', tlv('00', 'br.gov.bcb.pix') + tlv('02', 'hello'));
    assert.match(reasonOf(sealed('000201' + neither + TAIL)), /neither a key \(01\) nor a location URL \(25\)/);
  });

  test('a location URL with a scheme', () => {
    const withScheme = tlv('26', tlv('00', 'br.gov.bcb.pix') + tlv('25', 'https://psp.example.com/x'));
    assert.match(reasonOf(sealed('000201' + withScheme + TAIL)), /must not include a scheme/);
  });

  test('a merchant template that is not valid TLV', () => {
    assert.match(
      reasonOf(sealed('000201' + tlv('26', '0014br.gov.bcb.pix25') + TAIL)),
      /field 26 \(merchant account\) is not a valid template/,
    );
  });

  test('missing or wrong currency, country, category, name, city', () => {
    const cases: [string, RegExp][] = [
      [TAIL.replace('5303986', ''), /field 53 \(currency\) is missing/],
      [TAIL.replace('5303986', '5303840'), /field 53 \(currency\) must be 986 \(BRL\), got 840/],
      [TAIL.replace('5802BR', ''), /field 58 \(country\) is missing/],
      [TAIL.replace('5802BR', '5802US'), /field 58 \(country\) must be BR, got US/],
      [TAIL.replace('52040000', ''), /field 52 \(merchant category code\) is missing/],
      [TAIL.replace(tlv('59', 'LOJA'), ''), /field 59 \(merchant name\) is missing/],
      [TAIL.replace(tlv('60', 'RECIFE'), ''), /field 60 \(merchant city\) is missing/],
    ];
    for (const [tail, reason] of cases) assert.match(reasonOf(sealed('000201' + PIX_DYNAMIC_TEMPLATE + tail)), reason);
  });

  test('a malformed or zero amount', () => {
    assert.match(reasonOf(sealed('000201' + PIX_DYNAMIC_TEMPLATE + '540410,0' + TAIL)), /field 54 \(amount\) must be a positive decimal/);
    assert.match(reasonOf(sealed('000201' + PIX_DYNAMIC_TEMPLATE + '54040.00' + TAIL)), /field 54 \(amount\) must be a positive decimal/);
  });

  test('a field 62 that is not valid TLV', () => {
    const tail = TAIL.replace('62070503***', '62050510X');
    assert.match(reasonOf(sealed('000201' + PIX_DYNAMIC_TEMPLATE + tail)), /field 62 \(additional data\) is not a valid template/);
  });
});

describe('brcode-core, the frame check the widget ships', () => {
  test('is where brcode.ts gets its CRC', () => {
    assert.equal(crc16, core.crc16);
  });

  test('reads the top-level objects of a valid code', () => {
    const objects = core.readBrCode(BCB_STATIC + '1D3D');
    assert.ok(!core.isProblem(objects));
    assert.deepEqual(objects[0], { id: '00', value: '01' });
    assert.deepEqual(objects.at(-1), { id: '63', value: '1D3D' });
    assert.equal(objects.find((object) => object.id === '59')?.value, 'Fulano de Tal');
  });

  test('names each problem with a short code and its details', () => {
    assert.deepEqual(core.readBrCode(BCB_STATIC + '0000'), ['crc', '1D3D', '0000']);
    assert.deepEqual(core.readBrCode('000201' + '5910LOJA'), ['overrun', '59', 10, 4]);
    assert.deepEqual(core.readBrCode('000201' + '59'), ['truncated', 6]);
    assert.deepEqual(core.readBrCode('000201AB01x'), ['id', 6, 'AB']);
    assert.deepEqual(core.readBrCode('000202' + PIX_DYNAMIC_TEMPLATE + TAIL + '6304ABCD'), ['first']);
    assert.deepEqual(core.readBrCode('000201' + TAIL), ['last']);
    assert.deepEqual(core.readTlv(''), ['empty']);
  });
});
