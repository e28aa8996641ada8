import { expect, fixture, html } from '@open-wc/testing';
import jsQR from 'jsqr';
import { render } from 'lit';

import BitBuffer from 'qrcode/lib/core/bit-buffer.js';
import { create } from 'qrcode/lib/core/qrcode.js';
import qrcodeOwnSegments from 'qrcode/lib/core/segments.js';

import { QUIET_ZONE, qrMatrix, qrPath, renderQr } from '../../widget/qr.js';
import { qrSegments } from '../../widget/qr-segments.js';
import * as bundleSegments from '../../widget/qrcode-segments.js';
import { brCodeFor } from './helpers.js';

/** Rasterises an inline <svg> and decodes it with jsQR, an independent decoder. */
async function decodeSvg(svg: SVGSVGElement, pixels = 400): Promise<string | null> {
  const markup = new XMLSerializer().serializeToString(svg);
  const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }));
  try {
    const image = new Image(pixels, pixels);
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = pixels;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0, pixels, pixels);
    const { data } = context.getImageData(0, 0, pixels, pixels);
    return jsQR(data, pixels, pixels)?.data ?? null;
  } finally {
    URL.revokeObjectURL(url);
  }
}

describe('qr', () => {
  it('draws an SVG that an independent decoder reads back as exactly the Copia e Cola text', async () => {
    const code = brCodeFor(4990);
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    render(renderQr(code, 'QR Code Pix'), host);
    const svg = host.querySelector('svg')!;
    expect(await decodeSvg(svg)).to.equal(code);
  });

  it('draws long codes too', async () => {
    const code = brCodeFor(123456789, 'pix.example.com/qr/v2/cobv/9d36b84fc70b478fb95c12729b90ca25aaaaaaaaaaaaaaaaa');
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    render(renderQr(code, 'QR'), host);
    expect(await decodeSvg(host.querySelector('svg')!, 600)).to.equal(code);
  });

  it('is an image with an accessible name and builds its markup only from numbers', async () => {
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    render(renderQr(brCodeFor(100), 'QR Code Pix'), host);
    const svg = host.querySelector('svg')!;
    expect(svg.getAttribute('role')).to.equal('img');
    expect(svg.getAttribute('aria-label')).to.equal('QR Code Pix');
    expect(svg.querySelector('path')!.getAttribute('d')).to.match(/^[Mhvz0-9 -]+$/);
    expect(svg.outerHTML).not.to.contain('data:');
  });

  it('leaves a quiet zone of 4 modules', () => {
    const matrix = qrMatrix('hello');
    const path = qrPath(matrix);
    const xs = [...path.matchAll(/M(\d+) (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(Math.min(...xs.map(([x]) => x!))).to.equal(QUIET_ZONE);
    expect(Math.min(...xs.map(([, y]) => y!))).to.equal(QUIET_ZONE);
  });

  describe('segments', () => {
    const codes = [
      brCodeFor(4990),
      brCodeFor(123456789, 'pix.example.com/qr/v2/cobv/9d36b84fc70b478fb95c12729b90ca25aaaaaaaaaaaaaaaaa'),
      '00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D',
      'hello',
    ];

    /** The bits qrcode writes for some segments: mode, character count and data of each. */
    function bits(segments: unknown[]): number[] {
      const buffer = new BitBuffer();
      for (const segment of segments as { mode: { bit: number; ccBits: number[] }; getLength(): number; write(b: BitBuffer): void }[]) {
        buffer.put(segment.mode.bit, 4);
        buffer.put(segment.getLength(), segment.mode.ccBits[1]!);
        segment.write(buffer);
      }
      return [buffer.length, ...buffer.buffer];
    }

    it('splits the text into runs that fit their modes, in order', () => {
      for (const code of codes) {
        const segments = qrSegments(code);
        expect(segments.map((s) => s.data).join('')).to.equal(code);
        for (const { data, mode } of segments) {
          if (mode === 'numeric') expect(data).to.match(/^\d+$/);
          if (mode === 'alphanumeric') expect(data).to.match(/^[0-9A-Z $%*+\-./:]+$/);
        }
      }
    });

    it("reaches the QR version of qrcode's own optimal split for dynamic BR Codes", () => {
      for (const code of codes.slice(0, 2)) {
        expect(create(qrSegments(code), { errorCorrectionLevel: 'M' }).version).to.equal(
          create(code, { errorCorrectionLevel: 'M' }).version,
        );
      }
    });

    it('builds, in the script-tag bundle, exactly the segments qrcode builds', () => {
      for (const code of codes) {
        const segments = qrSegments(code);
        expect(bits(bundleSegments.fromArray(segments))).to.deep.equal(bits(qrcodeOwnSegments.fromArray(segments)));
        expect(bits(bundleSegments.fromString(code))).to.deep.equal(bits(qrcodeOwnSegments.fromArray(segments)));
      }
    });
  });
});
