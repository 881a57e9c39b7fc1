import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import { twilioSdk } from './sdk';
import type { Message } from '../../message';

/** The SDK types the union but does not export it by name. */
type SayLanguage = NonNullable<VoiceResponse.SayAttributes['language']>;

/** Twilio's `<Say language>` values, as twilio-node 6.2.0 types them (VoiceResponse's SayLanguage). */
const SAY_LANGUAGES = [
  'af-ZA', 'am-ET', 'ar-AE', 'ar-XA', 'arb', 'bg-BG', 'bn-IN', 'ca-ES', 'cmn-CN', 'cmn-TW', 'cs-CZ', 'cy-GB',
  'da-DK', 'de-AT', 'de-DE', 'el-GR', 'en-AU', 'en-CA', 'en-GB', 'en-GB-WLS', 'en-IE', 'en-IN', 'en-NZ', 'en-US',
  'en-ZA', 'es-ES', 'es-MX', 'es-US', 'fi-FI', 'fil-PH', 'fr-CA', 'fr-FR', 'fr-BE', 'gu-IN', 'he-IL', 'hi-IN',
  'hu-HU', 'id-ID', 'is-IS', 'it-IT', 'ja-JP', 'kn-IN', 'ko-KR', 'lv-LV', 'ml-IN', 'mr-IN', 'ms-MY', 'nb-NO',
  'nl-BE', 'nl-NL', 'pa-IN', 'pl-PL', 'pt-BR', 'pt-PT', 'ro-RO', 'ru-RU', 'sk-SK', 'sr-RS', 'sv-SE', 'ta-IN',
  'te-IN', 'th-TH', 'tr-TR', 'uk-UA', 'vi-VN', 'yue-HK', 'zh-CN', 'zh-HK', 'zh-TW',
] as const satisfies readonly SayLanguage[];

const known = new Set<string>(SAY_LANGUAGES);
/** A bare language picks its home region where the pattern `xx-XX` does not (en-EN, zh-ZH do not exist). */
const HOME: Record<string, SayLanguage> = { en: 'en-US', zh: 'zh-CN', pt: 'pt-BR', ar: 'ar-XA', sv: 'sv-SE', da: 'da-DK', nb: 'nb-NO', no: 'nb-NO' };

/** `de`, `de_DE`, `de-de` → `de-DE`; a locale Twilio cannot speak → undefined (Twilio's default, en-US). */
export function sayLanguage(locale: string | undefined): SayLanguage | undefined {
  if (!locale) return undefined;
  const [lang, region] = locale.replace(/_/g, '-').split('-');
  const l = lang.toLowerCase();
  const candidates = [region && `${l}-${region.toUpperCase()}`, HOME[l], `${l}-${l.toUpperCase()}`];
  const hit = candidates.find((c): c is string => !!c && known.has(c)) ?? SAY_LANGUAGES.find((s) => s.startsWith(`${l}-`));
  return hit as SayLanguage | undefined;
}

/** Text-to-speech reads "482913" as a number; spelled out with pauses, a person can write it down. */
export function speakable(message: Pick<Message, 'text' | 'code'>): string {
  if (!message.code) return message.text;
  return message.text.split(message.code).join([...message.code].join(', '));
}

/** Twilio's limit for the `Twiml` parameter of Calls.create. */
export const MAX_TWIML_LENGTH = 4000;

/** Says the message twice, so a person who picked up late still hears the code. The SDK escapes the XML. */
export function voiceTwiml(message: Pick<Message, 'text' | 'code' | 'locale'>): string {
  const response = new (twilioSdk().twiml.VoiceResponse)();
  const language = sayLanguage(message.locale);
  const attributes: VoiceResponse.SayAttributes = language ? { language } : {};
  const text = speakable(message);
  response.say(attributes, text);
  response.pause({ length: 1 });
  response.say(attributes, text);
  return response.toString();
}
