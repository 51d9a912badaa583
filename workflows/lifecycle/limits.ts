/**
 * Size by design: what keeps a project's state and every Temporal payload small whatever people
 * write, and what refuses text PostgreSQL could never store.
 *
 * - Long texts live in the content-addressed store (the claim check): an event carries at most
 *   INLINE_TEXT_MAX characters inline; a longer text is stored first and the event holds its
 *   `textRef` (SHA-256, bytes, characters) and a summary of at most SUMMARY_MAX characters.
 * - The state is refused growth beyond STATE_MAX_BYTES of JSON (half of Temporal's 2 MB payload
 *   limit), so what continue-as-new carries stays below the limit by construction.
 * - U+0000, lone surrogates and C0 controls other than tab, newline and carriage return are
 *   refused in every string of every event: PostgreSQL cannot store NUL in text or jsonb, and an
 *   accepted event that can never be persisted would freeze the project's event log.
 */
import { invalid } from './refusals';
import type { Refusal, TextRef } from './types';

/** Longest text an event may carry inline; longer texts go to the content store first. */
export const INLINE_TEXT_MAX = 500;
/** Longest summary kept beside a `textRef`. */
export const SUMMARY_MAX = 200;
/** Largest state (JSON, UTF-8 bytes) an action may produce: half of Temporal's 2 MB payload limit. */
export const STATE_MAX_BYTES = 1024 * 1024;

const SHA256_RE = /^[0-9a-f]{64}$/;

/** UTF-8 length of a string without allocating (the workflow sandbox needs no TextEncoder for it). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Size of a value as JSON in UTF-8 bytes. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}

/** Why a string cannot be stored, or null: NUL, C0 controls other than tab/LF/CR, lone surrogates. */
export function unstorableCharacter(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return 'U+0000';
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        i += 1;
        continue;
      }
      return 'lone surrogate';
    }
    if (c >= 0xdc00 && c <= 0xdfff) return 'lone surrogate';
  }
  return null;
}

/** The path and reason of the first string (or object key) in `value` that cannot be stored, or null. */
export function findUnstorableText(value: unknown, path = ''): { path: string; reason: string } | null {
  if (typeof value === 'string') {
    const reason = unstorableCharacter(value);
    return reason ? { path: path || '(value)', reason } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const keyReason = unstorableCharacter(key);
      if (keyReason) return { path: path ? `${path}.<key>` : '<key>', reason: keyReason };
      const found = findUnstorableText(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

/** The reason of `unstorableCharacter` as people read it. */
export function unstorableReasonZh(reason: string): string {
  return reason === 'lone surrogate' ? '不成对的代理字符' : reason;
}

/** Refuses an event holding text that PostgreSQL (text, jsonb) could never store. */
export function checkStorableText(event: unknown): Refusal | null {
  const found = findUnstorableText(event);
  if (!found) return null;
  return invalid(
    'payload.unstorable_character',
    `field ${found.path} contains a character that cannot be stored (${found.reason})`,
    `字段 ${found.path} 含有无法保存的字符（${unstorableReasonZh(found.reason)}），请删除后重试`,
  );
}

/** Validates a claim-checked text reference. */
export function validateTextRef(value: unknown): Refusal | null {
  const v = value as Partial<TextRef> | null;
  if (
    v !== null &&
    typeof v === 'object' &&
    typeof v.sha256 === 'string' &&
    SHA256_RE.test(v.sha256) &&
    Number.isSafeInteger(v.size) &&
    (v.size as number) > 0 &&
    Number.isSafeInteger(v.chars) &&
    (v.chars as number) > 0
  ) {
    return null;
  }
  return invalid('payload.text_ref', 'textRef needs a lower-case SHA-256, a size in bytes and a character count', '长文本引用须包含SHA-256、字节数和字数');
}

/**
 * A long-text field of an event: inline text of at most INLINE_TEXT_MAX characters, or, with a
 * `textRef`, a summary of at most SUMMARY_MAX characters. `allowEmpty` admits an empty inline text.
 */
export function checkClaimCheckedText(
  text: unknown,
  textRef: unknown,
  rule: string,
  fieldEn: string,
  fieldZh: string,
  allowEmpty = false,
): Refusal | null {
  if (typeof text !== 'string') return invalid(rule, `${fieldEn} must be text`, `${fieldZh}须为文字`);
  if (textRef !== undefined && textRef !== null) {
    const ref = validateTextRef(textRef);
    if (ref) return ref;
    if (text.trim().length === 0 || text.length > SUMMARY_MAX) {
      return invalid(rule, `with a textRef, ${fieldEn} is its summary of 1..${SUMMARY_MAX} characters`, `${fieldZh}摘要须为1至${SUMMARY_MAX}字`);
    }
    return null;
  }
  if (!allowEmpty && text.trim().length === 0) return invalid(rule, `${fieldEn} must not be empty`, `${fieldZh}不能为空`);
  if (text.length > INLINE_TEXT_MAX) {
    return invalid(
      'payload.text_needs_claim_check',
      `${fieldEn} longer than ${INLINE_TEXT_MAX} characters must be stored in the content store and referenced by textRef`,
      `${fieldZh}超过${INLINE_TEXT_MAX}字时须先存入内容库，以引用方式提交`,
    );
  }
  return null;
}

/** Refuses a state that has outgrown STATE_MAX_BYTES (checked by the workflow before it accepts an action). */
export function checkStateSize(bytes: number): Refusal | null {
  if (bytes <= STATE_MAX_BYTES) return null;
  return {
    rule: 'state.size_limit',
    message: `the project's data would exceed ${STATE_MAX_BYTES} bytes; correct or consolidate earlier entries instead`,
    messageZh: `项目数据量已达上限（${Math.round(STATE_MAX_BYTES / 1024)} KB），无法再添加；请合并或精简已有材料`,
    status: 409,
  };
}
