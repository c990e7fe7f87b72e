import { type KeyValueStorage, readJson, writeJson } from './storage'

export interface TokenPair {
  access_token: string
  refresh_token: string
}

/** One login's tokens under one storage key (a resident and a gate keeper may share a phone: two keys). */
export class TokenStore {
  constructor(
    private readonly storage: KeyValueStorage,
    readonly key: string,
  ) {}

  access(): string | null {
    return this.read()?.access_token ?? null
  }

  refresh(): string | null {
    return this.read()?.refresh_token ?? null
  }

  save({ access_token, refresh_token }: TokenPair): void {
    writeJson(this.storage, this.key, { access_token, refresh_token })
  }

  clear(): void {
    this.storage.removeItem(this.key)
  }

  private read(): TokenPair | null {
    return readJson<TokenPair | null>(this.storage, this.key, null)
  }
}
