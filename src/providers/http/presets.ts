import type { JsonValue } from '../shared/template';

/** What a preset fills in. Every key can still be set in the provider entry, which wins (options key by key). */
export interface HttpPreset {
  url: string;
  method: 'GET' | 'POST';
  options: Record<string, JsonValue>;
  regexp?: string;
  returnSuccess?: string;
  successStatus?: number[];
  /** `parameters` keys the operator must supply (the account's credentials). */
  requiredParameters: string[];
}

export const presets = {
  /**
   * Clickatell's platform HTTP API (accounts since 2016). It answers 202 with JSON stating per message whether it
   * was `accepted`. The legacy `api.clickatell.com/http/sendmsg` API with privacyIDEA's `RETURN_SUCCESS: ID` is
   * not a preset: that substring also matches several of its error answers.
   */
  clickatell: {
    url: 'https://platform.clickatell.com/messages/http/send',
    method: 'GET',
    options: { to: '{phone}', content: '{message}' },
    // Clickatell wants the international number without the leading +.
    regexp: '/^\\+//',
    successStatus: [202],
    returnSuccess: '/"accepted"\\s*:\\s*true/',
    requiredParameters: ['apiKey'],
  },
  /** GTX Messaging's HTTP API; `user`/`pass` are the routing account's credentials, not the web login. */
  gtx: {
    url: 'https://http.gtx-messaging.net/smsc.php',
    method: 'GET',
    options: { to: '{phone}', text: '{message}' },
    regexp: '/^\\+//',
    // The success answer as privacyIDEA documents it; GTX's own page on the answer format was not reachable.
    returnSuccess: '200 OK',
    requiredParameters: ['user', 'pass'],
  },
} satisfies Record<string, HttpPreset>;

export type PresetName = keyof typeof presets;
export const presetNames = Object.keys(presets) as [PresetName, ...PresetName[]];
