import type TwilioSdk from 'twilio';

let sdk: typeof TwilioSdk | undefined;

/**
 * twilio-node adds about 24 MB to the process once loaded (measured: the relay idles at 111 MB with it), and most
 * relays configure no Twilio provider, so it is loaded when the first Twilio provider is created, not at start.
 */
export function twilioSdk(): typeof TwilioSdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on purpose: an import would load it at start (see above)
  return (sdk ??= require('twilio') as typeof TwilioSdk);
}
