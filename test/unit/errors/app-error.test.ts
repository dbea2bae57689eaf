import { describe, expect, it } from 'vitest';
import { AppError, answerOf, ERROR_CODES, msg } from '../../../src/errors/index.js';

describe('AppError and its answer', () => {
  it('takes its status from the code map, and its body from the message in the language asked for', () => {
    const error = new AppError('not_found', msg('campaign.not_found', { id: 7 }));
    expect(error.statusCode).toBe(404);
    // English wherever the error is read as an Error (logs)
    expect(error.message).toBe('no campaign 7');
    expect(answerOf(error, 'en')).toEqual({
      status: 404,
      headers: {},
      body: { error: 'Not Found', message: 'no campaign 7', issues: [] },
    });
    expect(answerOf(error, 'id').body).toEqual({
      error: 'Not Found',
      message: 'Tidak ada kampanye 7',
      issues: [],
    });
  });

  it('keeps the reason and the fields a client reads, which cannot overwrite the shape', () => {
    const error = new AppError('conflict', msg('handoff.held', { assignedTo: 'agent-ani' }), {
      reason: 'held',
      details: { assignedTo: 'agent-ani', message: 'not this', error: 'nor this' },
    });
    expect(answerOf(error, 'id')).toEqual({
      status: 409,
      headers: {},
      body: {
        error: 'Conflict',
        message: 'agent-ani sedang menangani percakapan ini',
        reason: 'held',
        assignedTo: 'agent-ani',
        issues: [],
      },
    });
  });

  it('puts issues in the language asked for, and leaves words already said as they are', () => {
    const error = new AppError('invalid_request', msg('costs.range'), {
      issues: [
        { path: 'querystring.to', message: msg('costs.range') },
        { path: 'params.kpj', message: 'must be 11 digits' },
      ],
    });
    expect(answerOf(error, 'id').body.issues).toEqual([
      { path: 'querystring.to', message: 'to tidak boleh sebelum from' },
      { path: 'params.kpj', message: 'must be 11 digits' },
    ]);
    expect(answerOf(error, 'en').body.issues[0]).toEqual({
      path: 'querystring.to',
      message: 'to must not be before from',
    });
  });

  it("adds the code's headers: WWW-Authenticate to 401, Retry-After to 503 and to a 429 that says when", () => {
    expect(answerOf(new AppError('unauthorized', msg('auth.no_key')), 'en').headers).toEqual({
      'www-authenticate': 'Bearer',
    });
    expect(answerOf(new AppError('unavailable', msg('server.unavailable')), 'en').headers).toEqual({
      'retry-after': '5',
    });
    const limited = new AppError('rate_limited', msg('rate.limited', { seconds: 42 }), { retryAfter: 42 });
    expect(answerOf(limited, 'id')).toMatchObject({
      status: 429,
      headers: { 'retry-after': '42' },
      body: { error: 'Too Many Requests', message: 'Terlalu banyak permintaan, coba lagi dalam 42 detik' },
    });
  });

  it('maps every code to a 4xx or 5xx status', () => {
    for (const { status } of Object.values(ERROR_CODES)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
