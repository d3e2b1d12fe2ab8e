import { describe, expect, it } from 'vitest';
import { classifySmtpError, SendError } from '../../src/delivery/index.js';

const err = (props: Record<string, unknown>, message = 'x'): Error => Object.assign(new Error(message), props);

describe('classifySmtpError', () => {
  it.each([
    ['4xx reply', err({ code: 'EENVELOPE', responseCode: 451, permanent: false }), 'transient'],
    ['421 closing', err({ code: 'EENVELOPE', responseCode: 421 }), 'transient'],
    ['connection lost', err({ code: 'ECONNECTION' }), 'transient'],
    ['socket reset on a live pool', err({ code: 'ESOCKET', originalCode: 'ECONNRESET' }), 'transient'],
    ['socket timeout (maybe after the data)', err({ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT' }), 'uncertain'],
    ['550 on MAIL FROM (a quota)', err({ code: 'EENVELOPE', responseCode: 550, command: 'MAIL FROM', permanent: true }), 'unavailable'],
    ['a closed pool', new Error('Connection pool was closed'), 'transient'],
    ['5xx reply', err({ code: 'EENVELOPE', responseCode: 550, permanent: true }), 'permanent'],
    ['554 at DATA', err({ code: 'EMESSAGE', responseCode: 554 }), 'permanent'],
    ['err.permanent', err({ permanent: true }), 'permanent'],
    ['invalid recipient (no reply)', err({ code: 'EENVELOPE' }), 'permanent'],
    ['503 bad sequence', err({ code: 'EPROTOCOL', responseCode: 503, permanent: false }), 'transient'],
    ['refused', err({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), 'unavailable'],
    ['refused (raw)', err({ code: 'ECONNREFUSED' }), 'unavailable'],
    ['DNS', err({ code: 'EDNS', originalCode: 'ENOTFOUND' }), 'unavailable'],
    ['TLS', err({ code: 'ETLS' }), 'unavailable'],
    ['bad certificate', err({ code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'unavailable'],
    ['auth', err({ code: 'EAUTH', responseCode: 535 }), 'unavailable'],
    ['connect timeout', err({ code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' }), 'unavailable'],
    ['outbox folder not writable', err({ code: 'EACCES' }), 'unavailable'],
  ])('%s → %s', (_name, error, kind) => {
    const classified = classifySmtpError(error);
    expect(classified).toBeInstanceOf(SendError);
    expect(classified.kind).toBe(kind);
    expect(classified.cause).toBe(error);
  });

  it('keeps the reply code and message, and passes a SendError through', () => {
    const classified = classifySmtpError(err({ code: 'EENVELOPE', responseCode: 550 }, 'Recipient command failed: 550 no such user'));
    expect(classified.responseCode).toBe(550);
    expect(classified.message).toContain('550 no such user');
    expect(classifySmtpError(classified)).toBe(classified);
    expect(classifySmtpError('weird').kind).toBe('transient');
  });
});
