// The smpp package ships no types and @types/smpp does not exist; providers declare what they use.
declare module 'smpp';
