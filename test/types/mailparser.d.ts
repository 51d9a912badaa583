/** The little of mailparser (no bundled types) the notification tests read from a received e-mail. */
declare module 'mailparser' {
  export interface AddressObject {
    text: string;
    value: { address?: string; name: string }[];
  }
  export interface ParsedMail {
    subject?: string;
    text?: string;
    messageId?: string;
    from?: AddressObject;
    to?: AddressObject | AddressObject[];
    headers: Map<string, unknown>;
  }
  export function simpleParser(source: NodeJS.ReadableStream | Buffer | string): Promise<ParsedMail>;
}
