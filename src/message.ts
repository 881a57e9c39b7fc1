/** The one internal shape every inbound format is turned into. */
export type Channel = 'sms' | 'voice';

export interface Message {
  channel: Channel;
  /** E.164, e.g. +13035551212. */
  to: string;
  text: string;
  /** The one-time code, from the body's `code` or extracted from the text. */
  code?: string;
  userId?: string;
  locale?: string;
  /** FusionAuth's "Test generic configuration" button. */
  test: boolean;
}
