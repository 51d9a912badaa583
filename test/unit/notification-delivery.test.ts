import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffMs, emailContent, kindLabel, newWebhookSecret, signWebhook, verifyWebhookSignature, webhookBody } from '../../notifications/delivery';

const note = { id: 'p-1:monthly:1', projectId: 'p-1', cycleId: 'cy-2026', recipientId: 'u-sec', recipientName: '张书记', kind: 'monthly_reminder', message: '月提示：请推进项目《走访企业》。', at: '2026-03-05T01:00:00.000Z' };

describe('webhook signature (x-pp-signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">)', () => {
  const secret = 'whsec_test-secret-0123456789';
  const body = webhookBody(note, 1);

  it('signs the timestamp and the body with HMAC-SHA256, hex', () => {
    const header = signWebhook(secret, body, 1_780_000_000);
    const expected = createHmac('sha256', secret).update(`1780000000.${body}`).digest('hex');
    expect(header).toBe(`t=1780000000,v1=${expected}`);
    expect(JSON.parse(body)).toMatchObject({ id: note.id, kind: 'monthly_reminder', message: note.message, attempt: 1 });
  });

  it('verifies a fresh signature, and refuses a changed body, another secret, an old timestamp and malformed headers', () => {
    const t = 1_780_000_000;
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, body, header, { nowS: t + 10 })).toBe(true);
    expect(verifyWebhookSignature(secret, body.replace('推进', '暂停'), header, { nowS: t })).toBe(false);
    expect(verifyWebhookSignature('whsec_other-secret-0123456789', body, header, { nowS: t })).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, { nowS: t + 301 })).toBe(false);
    // The timestamp is inside the MAC: moving it forward to pass the freshness check breaks the signature.
    expect(verifyWebhookSignature(secret, body, header.replace(`t=${t}`, `t=${t + 600}`), { nowS: t + 600 })).toBe(false);
    for (const bad of [undefined, '', 'v1=abc', `t=${t}`, `t=x,v1=${'0'.repeat(64)}`, `t=${t},v1=short`]) expect(verifyWebhookSignature(secret, body, bad, { nowS: t })).toBe(false);
  });

  it('generates distinct secrets of 256 bits', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});

describe('retry back-off: min(cap, base·2^(attempts-1)) with jitter in [0.5, 1.5)', () => {
  const policy = { baseMs: 1000, capMs: 60_000 };

  it('doubles per failed attempt up to the cap', () => {
    const mid = () => 0.5; // jitter factor exactly 1
    expect([1, 2, 3, 4, 5, 6, 7, 8, 30].map((n) => backoffMs(n, policy, mid))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  });

  it('spreads each wait over half to one and a half times its base', () => {
    expect(backoffMs(3, policy, () => 0)).toBe(2000);
    expect(backoffMs(3, policy, () => 0.999999)).toBe(6000);
    expect(backoffMs(50, policy, () => 0)).toBe(30_000);
    for (let i = 0; i < 200; i++) {
      const wait = backoffMs(4, policy);
      expect(wait).toBeGreaterThanOrEqual(4000);
      expect(wait).toBeLessThan(12_000);
    }
  });
});

describe('the e-mail', () => {
  it('has a Chinese subject naming the kind and a Chinese body carrying the message and the notification id', () => {
    const { subject, text } = emailContent(note);
    expect(subject).toBe('【党建项目提醒】月度提示');
    expect(text).toContain('张书记：');
    expect(text).toContain(note.message);
    expect(text).toContain(`通知编号：${note.id}`);
    expect(kindLabel('dispatch_adjust')).toBe('年中调度');
    expect(kindLabel('something_new')).toBe('something_new');
  });
});
