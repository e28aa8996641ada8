/**
 * The sandbox's participant directory: the institutions its bank journey offers, each with a
 * friendly name and a logo, like the authorisation servers of the Open Finance Brasil directory
 * (`CustomerFriendlyName`, `CustomerFriendlyLogoUri`; docs/protocols.md §2.4).
 *
 * The logos are simple letter marks in each bank's colour, drawn here and served by the sandbox
 * itself (`/sandbox/open-finance/logos/:id.svg`): no external image, nothing hot-linked, and no
 * real trademark artwork. Each institution pays from the matching PAYER_BANKS entry, so an approval
 * gets that bank's ISPB in its `E…` id and `payer.bankData`.
 */
import { PAYER_BANKS } from './defaults.js';

export interface SandboxInstitution {
  /** Short, URL-safe id used in the journey's links and the logo file name. */
  id: string;
  /** The brand shown to the payer. */
  name: string;
  /** ISPB of the PAYER_BANKS entry the payment comes from. */
  ispb: string;
  /** Legal name, as it appears in `payer.bankData.bank`. */
  legalName: string;
  /** Logo: background colour, letter colour and the letters. */
  colour: string;
  ink: string;
  mark: string;
}

const BRANDS: readonly Omit<SandboxInstitution, 'legalName'>[] = [
  { id: 'bb', name: 'Banco do Brasil', ispb: '00000000', colour: '#FCE300', ink: '#0038A8', mark: 'BB' },
  { id: 'caixa', name: 'Caixa', ispb: '00360305', colour: '#005CA9', ink: '#FFFFFF', mark: 'CX' },
  { id: 'bradesco', name: 'Bradesco', ispb: '60746948', colour: '#CC092F', ink: '#FFFFFF', mark: 'B' },
  { id: 'itau', name: 'Itaú', ispb: '60701190', colour: '#EC7000', ink: '#003399', mark: 'it' },
  { id: 'nubank', name: 'Nubank', ispb: '18236120', colour: '#820AD1', ink: '#FFFFFF', mark: 'nu' },
  { id: 'inter', name: 'Inter', ispb: '00416968', colour: '#FF7A00', ink: '#FFFFFF', mark: 'in' },
];

/** Every institution of the journey, in the order the picker lists them. */
export const SANDBOX_INSTITUTIONS: readonly SandboxInstitution[] = Object.freeze(
  BRANDS.map((brand) => {
    const payerBank = PAYER_BANKS.find((bank) => bank.ispb === brand.ispb);
    // A typo here would make approvals fail at pay(); fail at import instead.
    if (!payerBank) throw new Error(`bank-logos.ts: ISPB ${brand.ispb} (${brand.name}) is not in PAYER_BANKS`);
    return Object.freeze({ ...brand, legalName: payerBank.bank });
  }),
);

export function findInstitution(id: unknown): SandboxInstitution | undefined {
  return typeof id === 'string' ? SANDBOX_INSTITUTIONS.find((institution) => institution.id === id) : undefined;
}

/**
 * The institution's logo as a standalone SVG document (64×64, rounded square, centred letters).
 * Every value comes from the constant table above, never from a request.
 */
export function bankLogoSvg(institution: SandboxInstitution): string {
  const fontSize = institution.mark.length > 1 ? 26 : 34;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img"',
    ` aria-label="${institution.name}">`,
    `<rect width="64" height="64" rx="14" fill="${institution.colour}"/>`,
    `<text x="32" y="32" dy="0.35em" text-anchor="middle" font-family="Arial, Helvetica, sans-serif"`,
    ` font-size="${fontSize}" font-weight="700" fill="${institution.ink}">${institution.mark}</text>`,
    '</svg>\n',
  ].join('');
}
