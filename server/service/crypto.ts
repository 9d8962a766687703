// Secret values are encrypted with AES-256-GCM under a key id, so keys can rotate: new values use
// the current key, old ciphertexts name the key that decrypts them.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";

export interface Sealed {
  keyId: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

export interface Keyring {
  readonly currentKeyId: string;
  /** Whether a key with this id is on the ring (current or previous). */
  has(keyId: string): boolean;
  seal(plaintext: string, associatedData: string): Sealed;
  open(sealed: Sealed, associatedData: string): string;
  /** A keyed hash: it identifies a request (say, one carrying a secret value) without letting a
   * reader of the database guess the value by hashing candidates. Keyed with the store's
   * fingerprint key, not with a secrets key, so it survives key rotation. */
  mac(data: string): string;
  /** The same ring, fingerprinting with `key` (the store's; see key-check.ts). */
  withFingerprintKey(key: Uint8Array): Keyring;
}

/** A key id derived from the key itself, so the same key always gets the same id. */
export function keyIdOf(key: Uint8Array): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** Builds a keyring from 32-byte keys; the first is current, the others still decrypt. */
export function createKeyring(keys: Uint8Array[], fingerprintKey?: Uint8Array): Keyring {
  if (keys.length === 0) throw new Error("a keyring needs at least one key");
  const byId = new Map<string, Uint8Array>();
  for (const key of keys) {
    if (key.length !== 32) throw new Error(`secret keys are 32 bytes (got ${key.length})`);
    byId.set(keyIdOf(key), key);
  }
  const currentKeyId = keyIdOf(keys[0]!);
  return {
    mac(data) {
      if (!fingerprintKey) {
        throw new Error("the store's fingerprint key is not loaded: open the keyring with openKeys first");
      }
      return createHmac("sha256", fingerprintKey).update(data).digest("hex");
    },
    withFingerprintKey: (key) => createKeyring(keys, key),
    has: (keyId) => byId.has(keyId),
    currentKeyId,
    seal(plaintext, associatedData) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", byId.get(currentKeyId)!, nonce);
      cipher.setAAD(Buffer.from(associatedData));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return { keyId: currentKeyId, nonce, ciphertext: body };
    },
    open(sealed, associatedData) {
      const key = byId.get(sealed.keyId);
      if (!key) throw new Error(`no key with id ${sealed.keyId} to decrypt this secret`);
      const body = Buffer.from(sealed.ciphertext);
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.nonce));
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}

/** Parses TENANCY_SECRET_KEY-style text: 32 bytes in base64. */
export function parseKey(text: string, source: string): Uint8Array {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) throw new Error(`${source} must hold 32 bytes in base64 (decodes to ${key.length})`);
  return key;
}
