interface RandomSource {
  getRandomValues(bytes: Uint8Array): Uint8Array
}

// Browsers and Node have `crypto.getRandomValues` (`crypto.randomUUID` only on HTTPS pages); the mini-program has neither.
const crypto = (globalThis as { crypto?: RandomSource }).crypto

function randomBytes(count: number): Uint8Array {
  const bytes = new Uint8Array(count)
  if (crypto) return crypto.getRandomValues(bytes)
  for (let index = 0; index < count; index += 1) bytes[index] = Math.floor(Math.random() * 256)
  return bytes
}

/** A random (v4) UUID. */
export function uuid4(): string {
  const bytes = randomBytes(16)
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
