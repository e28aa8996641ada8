/**
 * Every string the widget shows, in Brazilian Portuguese (the default), English and Spanish: one
 * table, one row per message with the three locales side by side, so a missing or stale translation
 * shows at a glance and the bundle carries each key once.
 *
 * Messages that take values are written with `{0}`, `{1}` and become functions, so a translation can
 * move the value where its grammar wants it. Announcements reuse the titles of their screens.
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
  receiver: (name: string, city: string) => string;
  expiresIn: (time: string) => string;
  expiresSoon: (time: string) => string;
  waiting: string;
  reconnecting: string;
  paidTitle: string;
  paidMessage: string;
  paidAt: (when: string) => string;
  endToEndLabel: string;
  expiredTitle: string;
  expiredMessage: string;
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
  errorInvalidBrCode: string;
  errorUnsupportedMethod: string;
  errorInvalidRequest: string;
  errorConflict: string;
  contactStore: string;
  /** Spoken by the live region when the payer form shows. */
  waitingForDetails: string;
  /** Spoken by the live region when the PIX code shows. */
  codeReady: string;
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
    'O Pix exige o nome e o CPF ou CNPJ de quem paga.',
    'Pix requires the name and CPF or CNPJ of the payer.',
    'Pix exige el nombre y el CPF o CNPJ de quien paga.',
  ],
  nameLabel: ['Nome completo', 'Full name', 'Nombre completo'],
  documentLabel: ['CPF ou CNPJ', 'CPF or CNPJ', 'CPF o CNPJ'],
  nameRequired: ['Informe seu nome completo.', 'Enter your full name.', 'Ingresa tu nombre completo.'],
  documentIncomplete: [
    'Informe os 11 dígitos do CPF ou os 14 do CNPJ.',
    'Enter the 11 digits of a CPF or the 14 of a CNPJ.',
    'Ingresa los 11 dígitos del CPF o los 14 del CNPJ.',
  ],
  documentInvalid: [
    'Este CPF ou CNPJ não é válido. Confira os dígitos.',
    'This CPF or CNPJ is not valid. Check the digits.',
    'Este CPF o CNPJ no es válido. Revisa los dígitos.',
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
    'Você vai escolher o seu banco, aprovar o pagamento lá e voltar para esta página. Você tem 5 minutos para aprovar.',
    'You will choose your bank, approve the payment there and come back to this page. You have 5 minutes to approve.',
    'Elegirás tu banco, aprobarás el pago allí y volverás a esta página. Tienes 5 minutos para aprobar.',
  ],
  useQr: ['Pagar com QR Code', 'Pay with the QR code instead', 'Pagar con código QR'],
  ofConfirming: ['Confirmando com o seu banco…', 'Confirming with your bank…', 'Confirmando con tu banco…'],
  ofTimeLeft: ['Tempo para aprovar: {0}', 'Time left to approve: {0}', 'Tiempo para aprobar: {0}'],
  ofWaitingTitle: ['Pagamento ainda não aprovado', 'Payment not approved yet', 'Pago aún no aprobado'],
  ofWaiting: [
    'Você ainda não aprovou no seu banco. Volte ao banco para aprovar, ou pague com QR Code.',
    'You have not approved it at your bank yet. Go back to your bank to approve it, or pay with the QR code.',
    'Aún no lo aprobaste en tu banco. Vuelve a tu banco para aprobarlo o paga con código QR.',
  ],
  ofBackToBank: ['Voltar ao banco', 'Back to my bank', 'Volver al banco'],
  ofDeclinedTitle: ['Pagamento não aprovado', 'Payment not approved', 'Pago no aprobado'],
  ofDeclined: [
    'O seu banco não aprovou o pagamento. Nada foi debitado da sua conta.',
    'Your bank did not approve the payment. Nothing was taken from your account.',
    'Tu banco no aprobó el pago. No se debitó nada de tu cuenta.',
  ],
  methodLabel: ['Forma de pagamento', 'Payment method', 'Medio de pago'],
  recipientLabel: ['Recebedor', 'Recipient', 'Beneficiario'],
  payerLabel: ['Pagador', 'Payer', 'Pagador'],
  dateLabel: ['Data e hora', 'Date and time', 'Fecha y hora'],
  refundIdLabel: ['Identificador da devolução', 'Refund identifier', 'Identificador de la devolución'],
  // PIX view
  pixTitle: ['Pague com Pix', 'Pay with Pix', 'Paga con Pix'],
  scanInstructions: [
    'Abra o app do seu banco, escolha Pix › Ler QR Code e aponte a câmera para o código.',
    'Open your bank app, choose Pix › Scan QR code and point the camera at the code.',
    'Abre la app de tu banco, elige Pix › Leer código QR y apunta la cámara al código.',
  ],
  copyInstructions: [
    'Copie o código, abra o app do seu banco e escolha Pix › Pix Copia e Cola.',
    'Copy the code, open your bank app and choose Pix › Pix Copy and Paste (Copia e Cola).',
    'Copia el código, abre la app de tu banco y elige Pix › Pix Copia e Cola.',
  ],
  qrLabel: ['QR Code Pix', 'Pix QR code', 'Código QR de Pix'],
  codeLabel: ['Código Pix Copia e Cola', 'Pix Copy and Paste code', 'Código Pix Copia e Cola'],
  copy: ['Copiar código', 'Copy code', 'Copiar código'],
  copied: ['Código copiado!', 'Code copied!', '¡Código copiado!'],
  copyFailed: [
    'Não foi possível copiar. O código está selecionado: copie-o manualmente.',
    'Could not copy. The code is selected: copy it manually.',
    'No se pudo copiar. El código está seleccionado: cópialo manualmente.',
  ],
  receiver: ['Recebedor: {0} ({1})', 'Receiver: {0} ({1})', 'Beneficiario: {0} ({1})'],
  expiresIn: ['O código expira em {0}', 'The code expires in {0}', 'El código vence en {0}'],
  expiresSoon: ['Atenção: o código expira em {0}', 'Heads up: the code expires in {0}', 'Atención: el código vence en {0}'],
  waiting: ['Aguardando o pagamento…', 'Waiting for the payment…', 'Esperando el pago…'],
  reconnecting: [
    'Conexão instável. Continuamos verificando o pagamento…',
    'Unstable connection. Still checking for your payment…',
    'Conexión inestable. Seguimos verificando el pago…',
  ],
  // Final and terminal states
  paidTitle: ['Pagamento confirmado', 'Payment confirmed', 'Pago confirmado'],
  paidMessage: ['Recebemos o seu Pix. Obrigado!', 'We received your Pix. Thank you!', 'Recibimos tu Pix. ¡Gracias!'],
  paidAt: ['Pago em {0}', 'Paid at {0}', 'Pagado el {0}'],
  endToEndLabel: ['Identificador da transação (E2E)', 'Transaction identifier (E2E)', 'Identificador de la transacción (E2E)'],
  expiredTitle: ['O código Pix expirou', 'The Pix code expired', 'El código Pix venció'],
  expiredMessage: [
    'Nenhum pagamento foi feito com este código. Gere um novo para continuar.',
    'No payment was made with this code. Generate a new one to continue.',
    'No se hizo ningún pago con este código. Genera uno nuevo para continuar.',
  ],
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
    'The store cancelled this payment. Go back to the store to place the order again.',
    'La tienda canceló este pago. Vuelve a la tienda para hacer el pedido de nuevo.',
  ],
  // Errors: a plain message and a next step
  errorTitle: ['Não foi possível continuar', 'We could not continue', 'No pudimos continuar'],
  retry: ['Tentar novamente', 'Try again', 'Intentar de nuevo'],
  errorMissingAttributes: [
    'Este pagamento não foi configurado corretamente pela loja.',
    'The store did not set up this payment correctly.',
    'La tienda no configuró este pago correctamente.',
  ],
  // A wrong client secret and an unknown checkout id answer alike (on purpose): fits both.
  errorUnauthorized: [
    'Não conseguimos abrir este pagamento. Volte à loja e comece o pagamento de novo.',
    'We could not open this payment. Go back to the store and start the payment again.',
    'No pudimos abrir este pago. Vuelve a la tienda y empieza el pago de nuevo.',
  ],
  errorNotFound: [
    'Não encontramos este pagamento. Volte à loja e tente de novo.',
    'We could not find this payment. Go back to the store and try again.',
    'No encontramos este pago. Vuelve a la tienda e inténtalo de nuevo.',
  ],
  errorNetwork: [
    'Não conseguimos falar com o servidor de pagamento. Verifique sua conexão.',
    'We could not reach the payment server. Check your connection.',
    'No pudimos comunicarnos con el servidor de pagos. Revisa tu conexión.',
  ],
  errorInvalidResponse: [
    'O servidor de pagamento respondeu algo inesperado.',
    'The payment server sent an unexpected answer.',
    'El servidor de pagos envió una respuesta inesperada.',
  ],
  errorGateway: [
    'O provedor de pagamento está indisponível no momento.',
    'The payment provider is unavailable right now.',
    'El proveedor de pagos no está disponible en este momento.',
  ],
  errorRateLimited: [
    'Muitas tentativas em pouco tempo. Aguarde um instante.',
    'Too many attempts in a short time. Wait a moment.',
    'Demasiados intentos en poco tiempo. Espera un momento.',
  ],
  errorServer: [
    'O servidor de pagamento teve um problema.',
    'The payment server had a problem.',
    'El servidor de pagos tuvo un problema.',
  ],
  errorInvalidBrCode: [
    'O código Pix recebido está corrompido e não foi exibido por segurança.',
    'The Pix code we received is corrupted and was not shown, for your safety.',
    'El código Pix recibido está dañado y no se mostró, por tu seguridad.',
  ],
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
  errorConflict: [
    'Este pagamento não pode mais ser alterado.',
    'This payment can no longer be changed.',
    'Este pago ya no se puede modificar.',
  ],
  contactStore: [
    'Se o problema continuar, fale com a loja.',
    'If the problem persists, contact the store.',
    'Si el problema continúa, contacta a la tienda.',
  ],
  // Live-region announcements that are not the title of a screen
  waitingForDetails: ['Aguardando seus dados', 'Waiting for your details', 'Esperando tus datos'],
  codeReady: ['Código Pix pronto. Aguardando o pagamento', 'Pix code ready. Waiting for the payment', 'Código Pix listo. Esperando el pago'],
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
