/**
 * Every string the widget shows, in Brazilian Portuguese (the default), English and Spanish: one
 * table, one row per message with the three locales side by side, so a missing or stale translation
 * shows at a glance and the bundle carries each key once.
 *
 * Messages that take values are written with `{0}`, `{1}` and become functions, so a translation can
 * move the value where its grammar wants it. A screen is announced by its title and first line.
 */
/** The strings of one locale. Pages override any of them with the element's `messages` property. */
export interface Messages {
  loading: string;
  creatingCharge: string;
  amountLabel: string;
  payTo: (merchant: string) => string;
  payerFormTitle: string;
  payerFormHint: string;
  nameLabel: string;
  documentLabel: string;
  nameRequired: string;
  documentIncomplete: string;
  documentInvalid: string;
  continue: string;
  formHasErrors: string;
  methodChoiceTitle: string;
  methodPix: string;
  methodOpenFinance: string;
  ofNext: string;
  useQr: string;
  ofConfirming: string;
  ofTimeLeft: (time: string) => string;
  ofWaitingTitle: string;
  ofWaiting: string;
  ofBackToBank: string;
  ofDeclinedTitle: string;
  ofDeclined: string;
  methodLabel: string;
  recipientLabel: string;
  payerLabel: string;
  dateLabel: string;
  refundIdLabel: string;
  pixTitle: string;
  scanInstructions: string;
  copyInstructions: string;
  qrLabel: string;
  codeLabel: string;
  copy: string;
  copied: string;
  copyFailed: string;
  expiresIn: (time: string) => string;
  waiting: string;
  reconnecting: string;
  paidTitle: string;
  paidMessage: string;
  endToEndLabel: string;
  expiredTitle: string;
  expiredMessage: string;
  /** Before `expiredMessage` when the gateway no longer knows the code (the charge ended `cancelled`). */
  unknownCodeMessage: string;
  newCode: string;
  refundedTitle: string;
  refundedMessage: string;
  cancelledTitle: string;
  cancelledMessage: string;
  errorTitle: string;
  retry: string;
  errorMissingAttributes: string;
  errorUnauthorized: string;
  errorNotFound: string;
  errorNetwork: string;
  errorInvalidResponse: string;
  errorGateway: string;
  errorRateLimited: string;
  errorServer: string;
  errorUnsupportedMethod: string;
  errorInvalidRequest: string;
  contactStore: string;
}

/** pt-BR, en, es. */
type Row = readonly [string, string, string];

const TABLE: Record<keyof Messages, Row> = {
  // Summary and loading
  loading: ['Carregando pagamento…', 'Loading payment…', 'Cargando el pago…'],
  creatingCharge: ['Gerando o código Pix…', 'Generating the Pix code…', 'Generando el código Pix…'],
  amountLabel: ['Valor', 'Amount', 'Importe'],
  payTo: ['Pagamento para {0}', 'Payment to {0}', 'Pago a {0}'],
  // Payer form
  payerFormTitle: ['Seus dados', 'Your details', 'Tus datos'],
  payerFormHint: [
    'O Pix exige nome e CPF ou CNPJ de quem paga.',
    'Pix requires the payer’s name and CPF or CNPJ.',
    'Pix exige nombre y CPF o CNPJ de quien paga.',
  ],
  nameLabel: ['Nome completo', 'Full name', 'Nombre completo'],
  documentLabel: ['CPF ou CNPJ', 'CPF or CNPJ', 'CPF o CNPJ'],
  nameRequired: ['Informe seu nome completo.', 'Enter your full name.', 'Ingresa tu nombre completo.'],
  documentIncomplete: ['O CPF tem 11 dígitos; o CNPJ, 14.', 'A CPF has 11 digits; a CNPJ, 14.', 'El CPF tiene 11 dígitos; el CNPJ, 14.'],
  documentInvalid: [
    'CPF ou CNPJ inválido. Confira os dígitos.',
    'Not a valid CPF or CNPJ. Check the digits.',
    'CPF o CNPJ inválido. Revisa los dígitos.',
  ],
  continue: ['Continuar', 'Continue', 'Continuar'],
  formHasErrors: ['Corrija os campos destacados.', 'Fix the highlighted fields.', 'Corrige los campos marcados.'],
  // Method choice
  methodChoiceTitle: ['Como você quer pagar?', 'How do you want to pay?', '¿Cómo quieres pagar?'],
  methodPix: ['Pix com QR Code ou Copia e Cola', 'Pix with QR code or Copy and Paste', 'Pix con código QR o Copia e Cola'],
  methodOpenFinance: [
    'Pix pelo app do banco (Open Finance)',
    'Pix in your bank app (Open Finance)',
    'Pix en la app de tu banco (Open Finance)',
  ],
  // Open Finance
  ofNext: [
    'Escolha seu banco, aprove lá em até 5 minutos e volte para esta página.',
    'Choose your bank, approve there within 5 minutes and come back to this page.',
    'Elige tu banco, aprueba allí en 5 minutos y vuelve a esta página.',
  ],
  useQr: ['Pagar com QR Code', 'Pay with the QR code instead', 'Pagar con código QR'],
  ofConfirming: ['Confirmando com o seu banco…', 'Confirming with your bank…', 'Confirmando con tu banco…'],
  ofTimeLeft: ['Tempo para aprovar: {0}', 'Time left to approve: {0}', 'Tiempo para aprobar: {0}'],
  ofWaitingTitle: ['Pagamento ainda não aprovado', 'Payment not approved yet', 'Pago aún no aprobado'],
  ofWaiting: [
    'Você ainda não aprovou no seu banco. Volte lá ou pague com QR Code.',
    'You have not approved it at your bank yet. Go back there, or pay with the QR code.',
    'Aún no lo aprobaste en tu banco. Vuelve allí o paga con código QR.',
  ],
  ofBackToBank: ['Voltar ao banco', 'Back to my bank', 'Volver al banco'],
  ofDeclinedTitle: ['Pagamento não aprovado', 'Payment not approved', 'Pago no aprobado'],
  ofDeclined: [
    'Seu banco não aprovou o pagamento. Nada foi debitado.',
    'Your bank did not approve the payment. Nothing was charged.',
    'Tu banco no aprobó el pago. No se debitó nada.',
  ],
  methodLabel: ['Forma de pagamento', 'Payment method', 'Medio de pago'],
  recipientLabel: ['Recebedor', 'Recipient', 'Beneficiario'],
  payerLabel: ['Pagador', 'Payer', 'Pagador'],
  dateLabel: ['Data e hora', 'Date and time', 'Fecha y hora'],
  refundIdLabel: ['ID da devolução', 'Refund ID', 'ID de la devolución'],
  // PIX view
  pixTitle: ['Pague com Pix', 'Pay with Pix', 'Paga con Pix'],
  scanInstructions: [
    'No app do banco, escolha Pix › Ler QR Code e aponte a câmera.',
    'In your bank app, choose Pix › Scan QR code and point the camera.',
    'En la app del banco, elige Pix › Leer código QR y apunta la cámara.',
  ],
  copyInstructions: [
    'Copie o código e cole no app do banco em Pix › Copia e Cola.',
    'Copy the code and paste it in your bank app under Pix › Copia e Cola.',
    'Copia el código y pégalo en la app del banco en Pix › Copia e Cola.',
  ],
  qrLabel: ['QR Code Pix', 'Pix QR code', 'Código QR de Pix'],
  codeLabel: ['Código Pix Copia e Cola', 'Pix Copy and Paste code', 'Código Pix Copia e Cola'],
  copy: ['Copiar código', 'Copy code', 'Copiar código'],
  copied: ['Código copiado!', 'Code copied!', '¡Código copiado!'],
  copyFailed: [
    'Não foi possível copiar. O código está selecionado: copie-o.',
    'Could not copy. The code is selected: copy it yourself.',
    'No se pudo copiar. El código está seleccionado: cópialo.',
  ],
  expiresIn: ['O código expira em {0}', 'The code expires in {0}', 'El código vence en {0}'],
  waiting: ['Aguardando o pagamento…', 'Waiting for the payment…', 'Esperando el pago…'],
  reconnecting: [
    'Conexão instável. Seguimos verificando…',
    'Unstable connection. Still checking…',
    'Conexión inestable. Seguimos verificando…',
  ],
  // Final and terminal states
  paidTitle: ['Pagamento confirmado', 'Payment confirmed', 'Pago confirmado'],
  paidMessage: ['Recebemos o seu Pix. Obrigado!', 'We received your Pix. Thank you!', 'Recibimos tu Pix. ¡Gracias!'],
  endToEndLabel: ['ID da transação (E2E)', 'Transaction ID (E2E)', 'ID de la transacción (E2E)'],
  expiredTitle: ['O código Pix expirou', 'The Pix code expired', 'El código Pix venció'],
  expiredMessage: [
    'Nada foi pago com este código. Gere um novo para continuar.',
    'Nothing was paid with this code. Generate a new one to continue.',
    'No se pagó nada con este código. Genera uno nuevo para continuar.',
  ],
  unknownCodeMessage: ['O Pix não reconhece mais este código.', 'Pix no longer knows this code.', 'El Pix ya no reconoce este código.'],
  newCode: ['Gerar novo código', 'Generate a new code', 'Generar un código nuevo'],
  refundedTitle: ['Pagamento devolvido', 'Payment refunded', 'Pago devuelto'],
  refundedMessage: [
    'O valor foi devolvido para a sua conta.',
    'The amount was returned to your account.',
    'El importe fue devuelto a tu cuenta.',
  ],
  cancelledTitle: ['Pagamento cancelado', 'Payment cancelled', 'Pago cancelado'],
  cancelledMessage: [
    'A loja cancelou este pagamento. Volte à loja para refazer o pedido.',
    'The store cancelled this payment. Go back to the store to order again.',
    'La tienda canceló este pago. Vuelve a la tienda para pedir de nuevo.',
  ],
  // Errors: a plain message and a next step
  errorTitle: ['Não foi possível continuar', 'We could not continue', 'No pudimos continuar'],
  retry: ['Tentar novamente', 'Try again', 'Intentar de nuevo'],
  errorMissingAttributes: [
    'A loja não configurou este pagamento direito.',
    'The store did not set up this payment right.',
    'La tienda no configuró bien este pago.',
  ],
  // A wrong client secret and an unknown checkout id answer alike (on purpose): fits both.
  errorUnauthorized: [
    'Não conseguimos abrir este pagamento. Volte à loja e comece de novo.',
    'We could not open this payment. Go back to the store and start again.',
    'No pudimos abrir este pago. Vuelve a la tienda y empieza de nuevo.',
  ],
  errorNotFound: [
    'Não encontramos este pagamento. Volte à loja.',
    'We could not find this payment. Go back to the store.',
    'No encontramos este pago. Vuelve a la tienda.',
  ],
  errorNetwork: [
    'Sem resposta do servidor de pagamento. Verifique sua conexão.',
    'The payment server did not answer. Check your connection.',
    'El servidor de pagos no responde. Revisa tu conexión.',
  ],
  errorInvalidResponse: [
    'O servidor de pagamento respondeu algo inesperado.',
    'The payment server gave an odd answer.',
    'El servidor de pagos respondió algo inesperado.',
  ],
  errorGateway: ['O provedor de pagamento está fora do ar.', 'The payment provider is down.', 'El proveedor de pagos no responde.'],
  errorRateLimited: [
    'Muitas tentativas. Aguarde um instante.',
    'Too many attempts. Wait a moment.',
    'Demasiados intentos. Espera un momento.',
  ],
  errorServer: ['O servidor de pagamento teve um problema.', 'The payment server had a problem.', 'El servidor de pagos tuvo un problema.'],
  errorUnsupportedMethod: [
    'Esta forma de pagamento não está disponível aqui.',
    'This payment method is not available here.',
    'Este medio de pago no está disponible aquí.',
  ],
  errorInvalidRequest: [
    'Os dados enviados foram recusados.',
    'The details you sent were refused.',
    'Los datos enviados fueron rechazados.',
  ],
  contactStore: [
    'Se o problema continuar, fale com a loja.',
    'If the problem persists, contact the store.',
    'Si el problema continúa, contacta a la tienda.',
  ],
};

function locale(column: 0 | 1 | 2): Messages {
  const m: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(TABLE)) {
    const text = row[column];
    m[key] = text.includes('{') ? (...values: string[]) => text.replace(/\{(\d)\}/g, (_, i: number) => values[i]!) : text;
  }
  return m as unknown as Messages;
}

/** Locales the widget ships. pt-BR is the default. */
export const LOCALES = { 'pt-BR': locale(0), en: locale(1), es: locale(2) } as const;
export type Locale = keyof typeof LOCALES;
export const DEFAULT_LOCALE: Locale = 'pt-BR';

/**
 * The shipped locale closest to a BCP 47 tag: exact match first, then the language alone
 * (`en-US` → `en`, `es-MX` → `es`, `pt-PT` → `pt-BR`), else the default. Case-insensitive.
 */
export function resolveLocale(tag: string | null | undefined): Locale {
  const wanted = tag?.trim().toLowerCase() ?? '';
  const locales = Object.keys(LOCALES) as Locale[];
  return (
    locales.find((locale) => locale.toLowerCase() === wanted) ??
    locales.find((locale) => locale.slice(0, 2) === wanted.split(/[-_]/)[0]) ??
    DEFAULT_LOCALE
  );
}
