/**
 * The evidence file types we accept, recognised by their content (magic bytes), never by the
 * client's name or declared type: an executable renamed `.pdf` is refused.
 */
export interface SniffedType {
  contentType: string;
  extension: string;
}

const startsWith = (bytes: Buffer, signature: number[], offset = 0) => signature.every((b, i) => bytes[offset + i] === b);

export function sniffFileType(bytes: Buffer): SniffedType | null {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return { contentType: 'application/pdf', extension: 'pdf' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { contentType: 'image/png', extension: 'png' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { contentType: 'image/jpeg', extension: 'jpg' };
  // Office Open XML documents (docx, xlsx, pptx) are zip containers.
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) && bytes.includes(Buffer.from('[Content_Types].xml'))) {
    return { contentType: 'application/vnd.openxmlformats-officedocument', extension: 'docx' };
  }
  if (isPlainText(bytes)) return { contentType: 'text/plain; charset=utf-8', extension: 'txt' };
  return null;
}

function isPlainText(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  const sample = bytes.subarray(0, 4096);
  if (sample.includes(0)) return false;
  // Valid UTF-8 without control characters other than tab, newline and carriage return.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  if (text.includes('\uFFFD') && sample.length === bytes.length) return false;
  // Control characters other than tab, newline and carriage return mark binary content.
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text);
}
