import { constants, createHash, randomUUID, sign, verify, type KeyObject } from 'crypto';

/** The two algorithms the fake meets: RS256 (our tokens, older MSAL) and PS256 (msal-node's certificate assertions). */
export type JwtAlgorithm = 'RS256' | 'PS256';

export type JwtHeader = { alg: string; typ?: string; kid?: string; x5t?: string; 'x5t#S256'?: string; [k: string]: unknown };
export type JwtClaims = Record<string, unknown>;

export interface DecodedJwt {
  header: JwtHeader;
  claims: JwtClaims;
  /** `<header>.<payload>`: the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function newGuid(): string {
  return randomUUID();
}

/** RS256 is PKCS#1 v1.5; PS256 is PSS with a salt as long as the digest (RFC 7518 3.5). */
function signatureOptions(alg: JwtAlgorithm, key: KeyObject) {
  return alg === 'PS256'
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, padding: constants.RSA_PKCS1_PADDING };
}

export function signJwt(claims: JwtClaims, privateKey: KeyObject, header: Partial<JwtHeader> = {}): string {
  const alg = (header.alg ?? 'RS256') as JwtAlgorithm;
  const fullHeader = { typ: 'JWT', ...header, alg };
  const signingInput = `${base64url(JSON.stringify(fullHeader))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), signatureOptions(alg, privateKey));
  return `${signingInput}.${base64url(signature)}`;
}

/** Parses a compact JWT without trusting it; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as JwtHeader;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as JwtClaims;
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object') return undefined;
    return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return undefined;
  }
}

/** True when the signature was made by the private half of publicKey with the algorithm the header names. */
export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject): boolean {
  const alg = jwt.header.alg;
  if (alg !== 'RS256' && alg !== 'PS256') return false;
  try {
    return verify('sha256', Buffer.from(jwt.signingInput), signatureOptions(alg, publicKey), jwt.signature);
  } catch {
    return false;
  }
}

/** Key id of a public key, as Entra publishes it in its JWKS. */
export function keyId(publicKey: KeyObject): string {
  return base64url(createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest()).slice(0, 27);
}

export function numberClaim(claims: JwtClaims, name: string): number | undefined {
  const v = claims[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function stringClaim(claims: JwtClaims, name: string): string | undefined {
  const v = claims[name];
  return typeof v === 'string' ? v : undefined;
}
