import type { Message } from '../../message';

/**
 * The body FusionAuth's Generic Messenger sends (reference/fusionauth-contract.md §1.3, §1.4), so the receiver
 * downstream cannot tell us from FusionAuth: Jackson with properties sorted alphabetically and nulls left out,
 * compact. SMS carries `textMessage`; Voice carries `message` and `locale` instead. The number goes out in E.164,
 * already normalised on the way in, so the next receiver reads it the same whatever its default region.
 */
export function fusionAuthBody(message: Message): string {
  // Keys are written in alphabetical order; JSON.stringify keeps that order and drops the undefined ones.
  const body =
    message.channel === 'voice'
      ? { code: message.code, locale: message.locale, message: message.text, phoneNumber: message.to, type: 'Voice', userId: message.userId }
      : { code: message.code, phoneNumber: message.to, textMessage: message.text, type: 'SMS', userId: message.userId };
  return JSON.stringify(body);
}
