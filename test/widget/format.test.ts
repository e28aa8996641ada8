import { expect } from '@open-wc/testing';

import { checkDocument, checkName, formatBRL, formatCountdown, formatDateTime, maskDocument } from '../../widget/format.js';

describe('format', () => {
  it('formats centavos as BRL in each locale', () => {
    expect(formatBRL(4990, 'pt-BR')).to.equal('R$\u00a049,90');
    expect(formatBRL(123456, 'pt-BR')).to.equal('R$\u00a01.234,56');
    expect(formatBRL(4990, 'en')).to.equal('R$49.90');
    expect(formatBRL(4990, 'es')).to.equal('49,90\u00a0R$');
  });

  it('formats the countdown rounding up to the whole second', () => {
    expect(formatCountdown(15 * 60_000)).to.equal('15:00');
    expect(formatCountdown(59_001)).to.equal('01:00');
    expect(formatCountdown(1)).to.equal('00:01');
    expect(formatCountdown(0)).to.equal('00:00');
    expect(formatCountdown(-5000)).to.equal('00:00');
    expect(formatCountdown(2 * 3600_000 + 5000)).to.equal('2:00:05');
  });

  it('formats a date in the locale, and nothing for a bad date', () => {
    expect(formatDateTime('2026-11-30T12:00:00Z', 'pt-BR')).to.match(/30\/11\/2026/);
    expect(formatDateTime('not a date', 'pt-BR')).to.equal('');
  });

  it('masks CPF and CNPJ as they are typed', () => {
    expect(maskDocument('529982247')).to.equal('529.982.247');
    expect(maskDocument('52998224725')).to.equal('529.982.247-25');
    expect(maskDocument('11222333000181')).to.equal('11.222.333/0001-81');
    expect(maskDocument('abc123')).to.equal('123');
    expect(maskDocument('112223330001819999')).to.equal('11.222.333/0001-81');
  });

  it('checks CPF and CNPJ check digits', () => {
    expect(checkDocument('529.982.247-25')).to.equal(null);
    expect(checkDocument('529.982.247-24')).to.equal('invalid');
    expect(checkDocument('111.111.111-11')).to.equal('invalid');
    expect(checkDocument('11.222.333/0001-81')).to.equal(null);
    expect(checkDocument('11.222.333/0001-80')).to.equal('invalid');
    expect(checkDocument('529.982')).to.equal('incomplete');
    expect(checkDocument('')).to.equal('incomplete');
  });

  it('needs a name of two characters or more', () => {
    expect(checkName(' ')).to.equal('required');
    expect(checkName('Ana')).to.equal(null);
  });
});
