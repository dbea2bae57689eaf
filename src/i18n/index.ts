// The i18n room: the participant's language. Every sentence a participant reads comes from locales/ through
// the translator; money, dates and times are written here the same way for every room that speaks.
export { formatDate, formatDateTime, formatPeriod, formatRupiah } from './format.js';
export {
  BODY_LIMIT,
  createTranslator,
  flattenKeys,
  KEY_LIMITS,
  limitOf,
  type Resources,
  resources,
  type Translator,
  type Vars,
} from './translator.js';
