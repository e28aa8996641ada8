/**
 * Every string the widget shows, in Brazilian Portuguese — the default locale and the source of the
 * {@link Messages} shape that `en` and `es` must match. Strings that take values are functions, so a
 * translation can move the value where its grammar wants it.
 */
export const ptBR = {
  // Summary and loading
  loading: 'Carregando pagamento…',
  creatingCharge: 'Gerando o código Pix…',
  amountLabel: 'Valor',
  payTo: (merchant: string) => `Pagamento para ${merchant}`,

  // Payer form
  payerFormTitle: 'Seus dados',
  payerFormHint: 'O Pix exige o nome e o CPF ou CNPJ de quem paga.',
  nameLabel: 'Nome completo',
  documentLabel: 'CPF ou CNPJ',
  nameRequired: 'Informe seu nome completo.',
  documentIncomplete: 'Informe os 11 dígitos do CPF ou os 14 do CNPJ.',
  documentInvalid: 'Este CPF ou CNPJ não é válido. Confira os dígitos.',
  continue: 'Continuar',
  formHasErrors: 'Corrija os campos destacados.',

  // Method choice
  methodChoiceTitle: 'Como você quer pagar?',
  methodPix: 'Pix com QR Code ou Copia e Cola',
  methodOpenFinance: 'Pix pelo app do banco (Open Finance)',
  methodUnavailable: 'Em breve',

  // PIX view
  pixTitle: 'Pague com Pix',
  scanInstructions: 'Abra o app do seu banco, escolha Pix › Ler QR Code e aponte a câmera para o código.',
  copyInstructions: 'Copie o código, abra o app do seu banco e escolha Pix › Pix Copia e Cola.',
  qrLabel: 'QR Code Pix',
  codeLabel: 'Código Pix Copia e Cola',
  copy: 'Copiar código',
  copied: 'Código copiado!',
  copyFailed: 'Não foi possível copiar. O código está selecionado: copie-o manualmente.',
  receiver: (name: string, city: string) => `Recebedor: ${name} (${city})`,
  expiresIn: (time: string) => `O código expira em ${time}`,
  expiresSoon: (time: string) => `Atenção: o código expira em ${time}`,
  waiting: 'Aguardando o pagamento…',
  reconnecting: 'Conexão instável. Continuamos verificando o pagamento…',

  // Final and terminal states
  paidTitle: 'Pagamento confirmado',
  paidMessage: 'Recebemos o seu Pix. Obrigado!',
  paidAt: (when: string) => `Pago em ${when}`,
  endToEndLabel: 'Identificador da transação (E2E)',
  expiredTitle: 'O código Pix expirou',
  expiredMessage: 'Nenhum pagamento foi feito com este código. Gere um novo para continuar.',
  newCode: 'Gerar novo código',
  refundedTitle: 'Pagamento devolvido',
  refundedMessage: 'O valor foi devolvido para a sua conta.',
  cancelledTitle: 'Pagamento cancelado',
  cancelledMessage: 'A loja cancelou este pagamento. Volte à loja para refazer o pedido.',

  // Errors: a plain message and a next step
  errorTitle: 'Não foi possível continuar',
  retry: 'Tentar novamente',
  errorMissingAttributes: 'Este pagamento não foi configurado corretamente pela loja.',
  errorUnauthorized: 'Este link de pagamento não é válido ou expirou. Volte à loja e tente de novo.',
  errorNotFound: 'Não encontramos este pagamento. Volte à loja e tente de novo.',
  errorNetwork: 'Não conseguimos falar com o servidor de pagamento. Verifique sua conexão.',
  errorInvalidResponse: 'O servidor de pagamento respondeu algo inesperado.',
  errorGateway: 'O provedor de pagamento está indisponível no momento.',
  errorRateLimited: 'Muitas tentativas em pouco tempo. Aguarde um instante.',
  errorServer: 'O servidor de pagamento teve um problema.',
  errorInvalidBrCode: 'O código Pix recebido está corrompido e não foi exibido por segurança.',
  errorUnsupportedMethod: 'Esta forma de pagamento não está disponível aqui.',
  errorInvalidRequest: 'Os dados enviados foram recusados.',
  errorConflict: 'Este pagamento não pode mais ser alterado.',
  contactStore: 'Se o problema continuar, fale com a loja.',

  // Status names, for announcements
  statusAnnouncement: {
    loading: 'Carregando pagamento',
    open: 'Aguardando seus dados',
    awaiting_payment: 'Código Pix pronto. Aguardando o pagamento',
    paid: 'Pagamento confirmado',
    expired: 'O código Pix expirou',
    refunded: 'Pagamento devolvido',
    cancelled: 'Pagamento cancelado',
    error: 'Erro no pagamento',
  },
};

/** The shape every translation implements. */
export type Messages = typeof ptBR;
