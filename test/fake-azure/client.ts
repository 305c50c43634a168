import { request as httpRequest, type IncomingHttpHeaders } from 'http';
import { request as httpsRequest } from 'https';
import { readFileSync } from 'fs';

/** A raw answer from the fake, for tests that look at statuses, headers and bodies directly. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON (content-type application/json) unless it is a string. */
  body?: unknown;
  /** Sent form-encoded, as OAuth token requests are. */
  form?: Record<string, string>;
}

/**
 * A minimal HTTP(S) client for tests of the fake: it trusts the fake's CA explicitly (in-process tests cannot rely on
 * NODE_EXTRA_CA_CERTS, which Node reads at start-up) and uses no connection pooling, so nothing outlives a test.
 */
export function rawRequest(caCertPath: string, url: string, req: RawRequest = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let payload: string | undefined;
  if (req.form) {
    payload = new URLSearchParams(req.form).toString();
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  } else if (typeof req.body === 'string') {
    payload = req.body;
  } else if (req.body !== undefined) {
    payload = JSON.stringify(req.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(
      target,
      { method: req.method ?? (payload === undefined ? 'GET' : 'POST'), headers, agent: false, ca: readFileSync(caCertPath) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    r.on('error', reject);
    r.end(payload);
  });
}

/** An access token from the fake's token endpoint with a client secret, without MSAL in between. */
export async function tokenWithSecret(
  fake: { url: string; tenantId: string; caCertPath: string },
  clientId: string,
  clientSecret: string,
  scope = 'https://management.azure.com/.default',
): Promise<string> {
  const res = await rawRequest(fake.caCertPath, `${fake.url}/${fake.tenantId}/oauth2/v2.0/token`, {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope },
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return res.json.access_token as string;
}
