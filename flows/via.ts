// `via` says what opened a flow, as `<source>` or `<source>:<detail>`. The router writes it, the engine
// passes it through (as `flow:<id>` when one flow hands over to another without saying), and flows read it.
//   keyword:STOP  keyword:START  keyword:MENU  keyword:AGENT  keyword:LANGUAGE  keyword:LANG:jv
//   menu:BILL  menu:PAY  menu:AGENT  menu:LANGUAGE  menu:STOP     (a main-menu row, tapped or its digit typed)
//   template_button:BILL|PAY|STOP|AGENT                           (a reminder template's quick reply)
//   button:MENU  button:START  button:LANGUAGE  button:AGENT:<reason>   (the bot's own buttons)
//   choice:PAYCH:bri  choice:LANG:en  choice:LINK:YES             (a tap on an older message of a flow)
//   text  media:<type>  choice:<unknown id>                       (fallback)

export type ViaSource =
  | 'keyword'
  | 'menu'
  | 'template_button'
  | 'button'
  | 'choice'
  | 'text'
  | 'media'
  | 'flow';

export function via(source: ViaSource, detail?: string): string {
  return detail ? `${source}:${detail}` : source;
}

export function parseVia(value: string | undefined): { source: string; detail: string } {
  if (!value) return { source: '', detail: '' };
  const i = value.indexOf(':');
  return i < 0 ? { source: value, detail: '' } : { source: value.slice(0, i), detail: value.slice(i + 1) };
}
