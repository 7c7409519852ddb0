import { describe, expect, it } from 'vitest';
import { carriesSecret, redactBody, redactHeaders, redactJsonBody, redactRequest, redactResponse, redactTarget } from './index.ts';
import { answer } from './test-helpers.ts';

describe('redaction', () => {
  it('keeps cookie names and redacts their values, in Cookie and in every Set-Cookie', () => {
    expect(redactHeaders({ Cookie: 'session=abc123; theme=dark' })).toEqual({ cookie: 'session=[redacted]; theme=[redacted]' });
    const setCookie = 'session=abc; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly, csrf=xyz; Path=/';
    expect(redactHeaders({ 'set-cookie': setCookie })).toEqual({
      'set-cookie': 'session=[redacted]; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly, csrf=[redacted]; Path=/',
    });
    expect(redactHeaders({ 'set-cookie': ['a=1; Path=/', 'b=2'] })).toEqual({ 'set-cookie': 'a=[redacted]; Path=/, b=[redacted]' });
  });

  it('redacts authorization credentials but keeps the scheme', () => {
    expect(redactHeaders({ authorization: 'Bearer s3cr3t', 'proxy-authorization': 'Basic dXNlcjpwYXNz' })).toEqual({
      authorization: 'Bearer [redacted]',
      'proxy-authorization': 'Basic [redacted]',
    });
    expect(redactHeaders({ authorization: 's3cr3t' })).toEqual({ authorization: '[redacted]' });
  });

  it('redacts X-Api-Key and any header named like a token or secret, and keeps the others', () => {
    expect(redactHeaders({ 'X-Api-Key': 'k', 'X-CSRF-Token': 't', 'X-Client-Secret': 's', Accept: 'text/html', 'X-Request-Id': 'r1' })).toEqual({
      'x-api-key': '[redacted]',
      'x-csrf-token': '[redacted]',
      'x-client-secret': '[redacted]',
      accept: 'text/html',
      'x-request-id': 'r1',
    });
  });

  it('redacts query values whose names speak of tokens, passwords, secrets, keys, sessions or auth', () => {
    expect(redactTarget('/reset?token=t&Password=p&client_secret=s&api_key=k&sessionid=x&auth=a&page=2&q=a%20b')).toBe(
      '/reset?token=[redacted]&Password=[redacted]&client_secret=[redacted]&api_key=[redacted]&sessionid=[redacted]&auth=[redacted]&page=2&q=a%20b',
    );
    expect(redactTarget('/a?acc%65ss_token=t')).toBe('/a?acc%65ss_token=[redacted]');
    expect(redactTarget('/plain/path')).toBe('/plain/path');
  });

  it('redacts password, token, secret, session and csrf fields at any depth of a JSON body', () => {
    const body = JSON.stringify({ user: 'ann', password: 'p', nested: [{ refresh_token: 'r', csrfmiddlewaretoken: 'c', session_id: 's', client_secret: 'x', name: 'ok' }] });
    expect(JSON.parse(redactJsonBody(body))).toEqual({
      user: 'ann',
      password: '[redacted]',
      nested: [{ refresh_token: '[redacted]', csrfmiddlewaretoken: '[redacted]', session_id: '[redacted]', client_secret: '[redacted]', name: 'ok' }],
    });
    expect(redactJsonBody('not json')).toBe('not json');
  });

  it('redacts form fields and a CSRF input in an HTML page', () => {
    expect(redactBody('application/x-www-form-urlencoded', 'user=a&password=b&csrf_token=c')).toBe('user=a&password=[redacted]&csrf_token=[redacted]');
    expect(redactBody('text/html', '<form><input type="hidden" name="csrf_token" value="abc"><input name="q" value="hi"></form>')).toBe(
      '<form><input type="hidden" name="csrf_token" value="[redacted]"><input name="q" value="hi"></form>',
    );
  });

  it('leaves nothing a store would refuse in a redacted request and response', () => {
    const request = redactRequest({ method: 'GET', target: '/t?session=s', headers: { cookie: 'session=s', authorization: 'Bearer b', 'x-api-key': 'k' } });
    expect(request).toEqual({
      method: 'GET',
      target: '/t?session=[redacted]',
      headers: { cookie: 'session=[redacted]', authorization: 'Bearer [redacted]', 'x-api-key': '[redacted]' },
    });
    expect(carriesSecret(request.headers)).toBeNull();
    const response = redactResponse(answer({ token: 't', ok: true }, { headers: { 'set-cookie': 'session=abc; HttpOnly' } }));
    expect(response).toMatchObject({ status: 200, headers: { 'set-cookie': 'session=[redacted]; HttpOnly' }, body: '{"token":"[redacted]","ok":true}' });
    expect(carriesSecret(response.headers)).toBeNull();
    expect(carriesSecret({ cookie: 'session=abc' })).toBe('cookie');
    expect(carriesSecret({ 'x-auth-token': 'abc' })).toBe('x-auth-token');
  });
});
